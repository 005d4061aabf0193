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

__all__ = ["XorGrid", "train_xor_grid"]


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
    """Train one ``2-hidden[r]-1`` network per run ``r`` on the four XOR points, all at once.

    Args:
        hidden, seeds, lrs, momenta: one entry per run.
        steps: updates per run.
        loss: ``"mse"`` (sigmoid output, mean squared error, as notebook 07) or ``"bce"``
            (raw score, binary cross-entropy from the logit, as notebook 05).
        every: keep the weights every ``every`` steps (0: only before and after training).
        activation: ``"tanh"`` or ``"sigmoid"`` hidden units.
        init, scale: the initialisation of :class:`~backprop_course.matrix_mlp.MatrixMLP`.
    """
    if loss not in ("mse", "bce"):
        raise ValueError(f"loss must be 'mse' or 'bce', got {loss!r}")
    if activation not in ("tanh", "sigmoid"):
        raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {activation!r}")
    R = len(hidden)
    if not R or not len(seeds) == len(lrs) == len(momenta) == R:
        raise ValueError("hidden, seeds, lrs and momenta need one entry per run, the same number each")
    X, y = data.xor()
    t = y.astype(np.float64)[None, :]  # (1, 4)
    H = int(max(hidden))
    W1 = np.zeros((R, H, 2))
    b1 = np.zeros((R, H))
    W2 = np.zeros((R, 1, H))
    b2 = np.zeros((R, 1))
    mask = np.zeros((R, H))
    output = "sigmoid" if loss == "mse" else "linear"
    for r, (h, s) in enumerate(zip(hidden, seeds)):
        (w1, c1), (w2, c2) = MatrixMLP(2, [int(h), 1], activation, output, init, scale, seed=int(s)).params
        W1[r, :h], b1[r, :h], W2[r, :, :h], b2[r] = w1, c1, w2, c2
        mask[r, :h] = 1.0
    lr = np.asarray(lrs, dtype=np.float64)
    mu = np.asarray(momenta, dtype=np.float64)
    params = [W1, b1, W2, b2]
    velocity = [np.zeros_like(p) for p in params]
    keep = [0] + [k for k in range(1, steps + 1) if (every and k % every == 0) or k == steps]
    kept = {name: [] for name in ("W1", "b1", "W2", "b2")}  # type: dict[str, list[np.ndarray]]

    def snapshot() -> None:
        for name, p in zip(kept, params):
            kept[name].append(p.copy())

    keep_set = set(keep)
    mus = [mu.reshape((R,) + (1,) * (p.ndim - 1)) for p in params]
    lrs_ = [lr.reshape((R,) + (1,) * (p.ndim - 1)) for p in params]
    losses = np.empty((steps, R))
    n = X.shape[0]
    if 0 in keep:
        snapshot()
    x1, x2 = X[:, 0][None, :, None], X[:, 1][None, :, None]  # (1, 4, 1): two inputs, so no matmul needed
    # A padded tanh unit has tanh(0) = 0 as output and 0 weights out, so all its gradients are
    # exactly 0 already; a sigmoid unit outputs 1/2 and needs its gradients masked.
    masked = activation != "tanh"
    plain = not np.any(mu)  # plain gradient descent: p -= lr * g, as matrix_mlp does without momentum
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            z1 = x1 * W1[:, None, :, 0] + x2 * W1[:, None, :, 1] + b1[:, None, :]  # (R, 4, H)
            a1 = np.tanh(z1) if activation == "tanh" else _sigmoid(z1)
            z2 = (a1 * W2).sum(axis=2) + b2  # (R, 4)
            if loss == "mse":
                out = _sigmoid(z2)
                err = out - t
                losses[step] = np.mean(err * err, axis=1)
                dz2 = 2.0 * err / n * out * (1.0 - out)
            else:
                losses[step] = np.mean(np.logaddexp(0.0, z2) - t * z2, axis=1)
                dz2 = (_sigmoid(z2) - t) / n
            dz2_ = dz2[:, :, None]  # (R, 4, 1)
            dW2 = (dz2_ * a1).sum(axis=1)[:, None, :]
            db2 = dz2.sum(axis=1, keepdims=True)
            dz1 = dz2_ * W2 * ((1.0 - a1 * a1) if activation == "tanh" else a1 * (1.0 - a1))
            dW1 = np.stack([(dz1 * x1).sum(axis=1), (dz1 * x2).sum(axis=1)], axis=2)
            db1 = dz1.sum(axis=1)
            if masked:
                dW2 *= mask[:, None, :]
                dW1 *= mask[:, :, None]
                db1 *= mask
            if plain:
                for p, g, l in zip(params, (dW1, db1, dW2, db2), lrs_):
                    p -= l * g
            else:
                for p, g, v, m, l in zip(params, (dW1, db1, dW2, db2), velocity, mus, lrs_):
                    v *= m
                    v -= l * g
                    p += v
            if step + 1 in keep_set:
                snapshot()
    return XorGrid(
        loss=losses,
        snapshots=keep,
        W1=np.stack(kept["W1"]),
        b1=np.stack(kept["b1"]),
        W2=np.stack(kept["W2"]),
        b2=np.stack(kept["b2"]),
        hidden=np.asarray(hidden),
    )
