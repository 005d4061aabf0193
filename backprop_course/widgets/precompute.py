"""Many small XOR networks trained at once, so an explorer's slider only looks results up.

An explorer over seeds, widths, learning rates and momenta would otherwise retrain a
network on every slider move. :func:`train_xor_grid` trains every combination in one
vectorised loop (as :func:`backprop_course.matrix_mlp.train_many` does for seeds), with the
hidden layers of narrower networks padded to the widest one: a padded unit has zero weights
in and out and its gradient is masked to zero, so it stays zero and changes nothing. Run
``r`` is the network ``MatrixMLP(2, [hidden[r], 1], seed=seeds[r])`` trained full batch by
gradient descent (with momentum ``momenta[r]`` and learning rate ``lrs[r]``), the same
steps as :func:`backprop_course.matrix_mlp.train` and the scalar :func:`backprop_course.optim.train`
take, up to float rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import data
from ..matrix_mlp import MatrixMLP

__all__ = ["XorGrid", "XorGridTrainer", "train_xor_grid"]


@dataclass
class XorGrid:
    """The result of :func:`train_xor_grid`.

    Attributes:
        loss: ``(steps, R)``: each run's loss before each update.
        snapshots: the step numbers at which the weights were kept (0 and every ``every`` steps).
        W1, b1, W2, b2: the kept weights, ``(len(snapshots), R, ...)``: ``W1[k, r, :hidden[r]]``
            is run ``r``'s first layer after ``snapshots[k]`` updates.
        hidden: each run's hidden width.
    """

    loss: np.ndarray
    snapshots: list[int]
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    hidden: np.ndarray

    def weights(self, run: int, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run ``run``'s ``[(W1, b1), (W2, b2)]`` after ``step`` updates (a kept step)."""
        k = self.snapshots.index(step)
        h = int(self.hidden[run])
        return [
            (self.W1[k, run, :h].copy(), self.b1[k, run, :h].copy()),
            (self.W2[k, run, :, :h].copy(), self.b2[k, run].copy()),
        ]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class XorGridTrainer:
    """Many XOR networks trained together, step by step, on demand: :meth:`advance` trains only
    as far as asked, so an explorer pays for the steps its slider has reached, not for its maximum.

    Args:
        hidden, seeds, lrs, momenta: one entry per run.
        loss: ``"mse"`` (sigmoid output, mean squared error, as notebook 07) or ``"bce"``
            (raw score, binary cross-entropy from the logit, as notebook 05).
        every: keep the weights every ``every`` steps (0: only at the steps :meth:`advance` stops at).
        activation: ``"tanh"`` or ``"sigmoid"`` hidden units.
        init, scale: the initialisation of :class:`~backprop_course.matrix_mlp.MatrixMLP`.
        record_loss: keep every run's loss at every step (:meth:`grid`'s ``loss``); without, a step is cheaper.
    """

    def __init__(
        self,
        hidden: Sequence[int],
        seeds: Sequence[int],
        lrs: Sequence[float],
        momenta: Sequence[float],
        *,
        loss: str,
        every: int = 0,
        activation: str = "tanh",
        init: str = "uniform",
        scale: float = 1.0,
        record_loss: bool = True,
    ) -> None:
        if loss not in ("mse", "bce"):
            raise ValueError(f"loss must be 'mse' or 'bce', got {loss!r}")
        if activation not in ("tanh", "sigmoid"):
            raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {activation!r}")
        R = len(hidden)
        if not R or not len(seeds) == len(lrs) == len(momenta) == R:
            raise ValueError("hidden, seeds, lrs and momenta need one entry per run, the same number each")
        X, y = data.xor()
        self.t = y.astype(np.float64)[None, :]  # (1, 4)
        self.x1, self.x2 = X[:, 0][None, :, None], X[:, 1][None, :, None]  # (1, 4, 1): two inputs, no matmul
        self.n = len(X)
        H = int(max(hidden))
        W1, b1, W2, b2 = np.zeros((R, H, 2)), np.zeros((R, H)), np.zeros((R, 1, H)), np.zeros((R, 1))
        self.mask = np.zeros((R, H))
        output = "sigmoid" if loss == "mse" else "linear"
        for r, (h, s) in enumerate(zip(hidden, seeds)):
            (w1, c1), (w2, c2) = MatrixMLP(2, [int(h), 1], activation, output, init, scale, seed=int(s)).params
            W1[r, :h], b1[r, :h], W2[r, :, :h], b2[r] = w1, c1, w2, c2
            self.mask[r, :h] = 1.0
        self.params = [W1, b1, W2, b2]
        self.velocity = [np.zeros_like(p) for p in self.params]
        mu = np.asarray(momenta, dtype=np.float64)
        lr = np.asarray(lrs, dtype=np.float64)
        self.mus = [mu.reshape((R,) + (1,) * (p.ndim - 1)) for p in self.params]
        self.lrs = [lr.reshape((R,) + (1,) * (p.ndim - 1)) for p in self.params]
        # plain gradient descent (p -= lr * g, as matrix_mlp does without momentum) when no run has momentum
        self.plain = not np.any(mu)
        # A padded tanh unit has tanh(0) = 0 as output and 0 weights out, so all its gradients are
        # exactly 0 already; a sigmoid unit outputs 1/2 and needs its gradients masked.
        self.masked = activation != "tanh"
        self.loss_name, self.activation, self.every, self.record_loss = loss, activation, every, record_loss
        self.hidden = np.asarray(hidden)
        self.step = 0
        self.losses: list[np.ndarray] = []
        self.kept: dict[int, list[np.ndarray]] = {0: [p.copy() for p in self.params]}

    def advance(self, steps: int) -> None:
        """Train every run until it has had ``steps`` updates (nothing if it has had them already)."""
        W1, b1, W2, b2 = self.params
        x1, x2, t, n = self.x1, self.x2, self.t, self.n
        tanh, mse, record = self.activation == "tanh", self.loss_name == "mse", self.record_loss
        every, kept = self.every, self.kept
        with np.errstate(over="ignore", invalid="ignore"):
            while self.step < steps:
                z1 = x1 * W1[:, None, :, 0]
                z1 += x2 * W1[:, None, :, 1]
                z1 += b1[:, None, :]  # (R, 4, H)
                a1 = np.tanh(z1, out=z1) if tanh else _sigmoid(z1)
                z2 = (a1 * W2).sum(axis=2)
                z2 += b2  # (R, 4)
                if mse:
                    out = _sigmoid(z2)
                    err = out - t
                    if record:
                        self.losses.append(np.mean(err * err, axis=1))
                    dz2 = 2.0 * err / n * out * (1.0 - out)
                else:
                    if record:
                        self.losses.append(np.mean(np.logaddexp(0.0, z2) - t * z2, axis=1))
                    dz2 = (_sigmoid(z2) - t) / n
                dz2_ = dz2[:, :, None]  # (R, 4, 1)
                dW2 = (dz2_ * a1).sum(axis=1)[:, None, :]
                db2 = dz2.sum(axis=1, keepdims=True)
                dz1 = dz2_ * W2
                dz1 *= (1.0 - a1 * a1) if tanh else a1 * (1.0 - a1)
                dW1 = np.stack([(dz1 * x1).sum(axis=1), (dz1 * x2).sum(axis=1)], axis=2)
                db1 = dz1.sum(axis=1)
                if self.masked:
                    dW2 *= self.mask[:, None, :]
                    dW1 *= self.mask[:, :, None]
                    db1 *= self.mask
                if self.plain:
                    for p, g, l in zip(self.params, (dW1, db1, dW2, db2), self.lrs):
                        p -= l * g
                else:
                    for p, g, v, m, l in zip(self.params, (dW1, db1, dW2, db2), self.velocity, self.mus, self.lrs):
                        v *= m
                        v -= l * g
                        p += v
                self.step += 1
                if every and self.step % every == 0:
                    kept[self.step] = [p.copy() for p in self.params]
        kept.setdefault(self.step, [p.copy() for p in self.params])

    def weights(self, run: int, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run ``run``'s ``[(W1, b1), (W2, b2)]`` after ``step`` updates, training further first if needed."""
        if step not in self.kept:
            self.advance(step)
        W1, b1, W2, b2 = self.kept[step]
        h = int(self.hidden[run])
        return [(W1[run, :h].copy(), b1[run, :h].copy()), (W2[run, :, :h].copy(), b2[run].copy())]

    def trajectory(self, run: int, step: int) -> np.ndarray:
        """Run ``run``'s first layer ``(w1, w2, b)`` per unit after each of ``0..step`` updates:
        ``(step + 1, hidden, 3)`` (needs ``every=1``)."""
        if self.every != 1:
            raise ValueError("trajectory needs the weights of every step: make the trainer with every=1")
        self.advance(step)
        h = int(self.hidden[run])
        return np.array(
            [np.column_stack([self.kept[k][0][run, :h], self.kept[k][1][run, :h]]) for k in range(step + 1)]
        )

    def grid(self) -> XorGrid:
        """What has been trained so far, as arrays."""
        steps = sorted(self.kept)
        stacked = [np.stack([self.kept[k][i] for k in steps]) for i in range(4)]
        loss = np.array(self.losses) if self.losses else np.empty((0, len(self.hidden)))
        W1, b1, W2, b2 = stacked
        return XorGrid(loss=loss, snapshots=steps, W1=W1, b1=b1, W2=W2, b2=b2, hidden=self.hidden)


def train_xor_grid(
    hidden: Sequence[int],
    seeds: Sequence[int],
    lrs: Sequence[float],
    momenta: Sequence[float],
    *,
    steps: int,
    loss: str,
    every: int = 0,
    activation: str = "tanh",
    init: str = "uniform",
    scale: float = 1.0,
) -> XorGrid:
    """Train one ``2-hidden[r]-1`` network per run ``r`` on the four XOR points, all at once, for
    ``steps`` updates (see :class:`XorGridTrainer` for the arguments)."""
    trainer = XorGridTrainer(
        hidden, seeds, lrs, momenta, loss=loss, every=every, activation=activation, init=init, scale=scale
    )
    trainer.advance(steps)
    return trainer.grid()
