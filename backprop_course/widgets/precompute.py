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
from typing import Any

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

    Every run's weights live in one row of a single array ``theta`` of shape ``(R, 4H + 1)``:
    hidden unit ``j``'s :math:`(w_{j1}, w_{j2}, b_j)`, then the output weights
    :math:`v_1 \\dots v_H`, then the output bias :math:`c`. With the inputs written
    :math:`(x_1, x_2, 1)` a step is a handful of array operations whatever the number of runs:

    .. math::

        Z = U \\tilde X^T,\\quad A = \\phi(Z),\\quad s = v^T A + c,\\qquad
        \\partial Z = v\\, \\partial s \\odot \\phi'(Z),\\quad \\partial U = \\partial Z\\, \\tilde X,\\quad
        \\partial v = A\\, \\partial s^T,\\quad \\partial c = \\textstyle\\sum \\partial s,

    and the update (plain, or with momentum) is one operation on all weights of all runs.
    Per step its cost is nearly the same for one run as for ten (numpy's per-call overhead
    dominates arrays this small), which is why an explorer trains a few seeds together.

    Args:
        hidden, seeds, lrs, momenta: one entry per run.
        loss: ``"mse"`` (sigmoid output, mean squared error, as notebook 07) or ``"bce"``
            (raw score, binary cross-entropy from the logit, as notebook 05).
        every: keep the weights every ``every`` steps (0: only at the steps :meth:`advance` stops at).
        activation: ``"tanh"`` or ``"sigmoid"`` hidden units.
        init, scale: the initialisation of :class:`~backprop_course.matrix_mlp.MatrixMLP`.
        record_loss: keep every run's loss at every step (:meth:`grid`'s ``loss``); without, a step is cheaper.
    """

    @classmethod
    def of_seeds(
        cls, hidden: int, seeds: Sequence[int], lr: float, momentum: float = 0.0, **options: Any
    ) -> XorGridTrainer:
        """One run per seed, all with the same width, learning rate and momentum (what an explorer
        shows when its seed slider moves); ``options`` as for the constructor."""
        S = len(seeds)
        return cls([hidden] * S, list(seeds), [lr] * S, [momentum] * S, **options)

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
        self.n = len(X)
        self.t = y.astype(np.float64)[None, None, :]  # (1, 1, 4)
        self.Xa = np.column_stack([X, np.ones(self.n)])  # (4, 3): the inputs with a 1 appended, for the bias
        self.XaT = np.ascontiguousarray(self.Xa.T)
        self.H = H = int(max(hidden))
        self.theta = theta = np.zeros((R, 4 * H + 1))
        self.grad = np.zeros_like(theta)
        U, V, c = self._parts(theta)
        mask = np.zeros_like(theta)
        mU, mV, mc = self._parts(mask)
        output = "sigmoid" if loss == "mse" else "linear"
        for r, (h, s) in enumerate(zip(hidden, seeds)):
            h = int(h)
            (w1, c1), (w2, c2) = MatrixMLP(2, [h, 1], activation, output, init, scale, seed=int(s)).params
            U[r, :h, :2], U[r, :h, 2], V[r, :h], c[r] = w1, c1, w2[0], c2
            mU[r, :h], mV[r, :h], mc[r] = 1.0, 1.0, 1.0
        self.mask = mask
        self.velocity = np.zeros_like(theta)
        self.mu = np.asarray(momenta, dtype=np.float64)[:, None]  # (R, 1)
        self.lr = np.asarray(lrs, dtype=np.float64)[:, None]
        # plain gradient descent (p -= lr * g, as matrix_mlp does without momentum) when no run has momentum
        self.plain = not np.any(self.mu)
        # A padded tanh unit has tanh(0) = 0 as output and 0 weights out, so all its gradients are
        # exactly 0 already; a sigmoid unit outputs 1/2 and needs its gradients masked.
        self.masked = activation != "tanh"
        self.loss_name, self.activation, self.every, self.record_loss = loss, activation, every, record_loss
        self.hidden = np.asarray(hidden)
        self.step = 0
        self._recorded: list[np.ndarray] = []  # per step, (R, 1, 4): each run's error (mse) or loss (bce) per point
        self._tape = np.empty((1 if not every else 64, R, theta.shape[1]))  # theta every `every` steps
        self._tape[0] = theta
        self._taped = 1
        self._extra: dict[int, np.ndarray] = {}  # theta where advance stopped off the every-grid

    def _parts(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views of a ``(..., 4H + 1)`` array: the hidden units ``(..., H, 3)``, the output weights ``(..., H)``,
        the output bias ``(..., 1)``."""
        H = self.H
        return flat[..., : 3 * H].reshape(*flat.shape[:-1], H, 3), flat[..., 3 * H : 4 * H], flat[..., 4 * H :]

    def advance(self, steps: int) -> None:
        """Train every run until it has had ``steps`` updates (nothing if it has had them already)."""
        theta, grad, velocity, mask, mu, lr = self.theta, self.grad, self.velocity, self.mask, self.mu, self.lr
        R, H = theta.shape[0], self.H
        U, V, c = self._parts(theta)
        gU, gV, gc = self._parts(grad)
        V_col, c_col = V[:, :, None], c[:, :, None]  # (R, H, 1), (R, 1, 1)
        V_row, gV_col = V[:, None, :], gV[:, :, None]  # (R, 1, H), (R, H, 1)
        Xa, XaT, t, n = self.Xa, self.XaT, self.t, float(self.n)
        tanh, mse, record, plain, masked = (
            self.activation == "tanh",
            self.loss_name == "mse",
            self.record_loss,
            self.plain,
            self.masked,
        )
        every, recorded = self.every, self._recorded
        Z = np.empty((R, H, self.n))
        with np.errstate(over="ignore", invalid="ignore"):
            while self.step < steps:
                np.matmul(U, XaT, out=Z)  # (R, H, 4): w1 x1 + w2 x2 + b of every unit at every point
                A = np.tanh(Z, out=Z) if tanh else _sigmoid(Z)
                s = np.matmul(V_row, A)  # (R, 1, 4): the output's score
                s += c_col
                if mse:
                    out = _sigmoid(s)
                    err = out - t
                    if record:
                        recorded.append(err)
                    ds = np.subtract(1.0, out)
                    ds *= out
                    ds *= err
                    ds *= 2.0 / n  # d(mean squared error)/ds through the sigmoid: 2 (out - t) out (1 - out) / n
                else:
                    if record:
                        point_loss = np.logaddexp(0.0, s)
                        point_loss -= t * s
                        recorded.append(point_loss)
                    ds = _sigmoid(s)
                    ds -= t
                    ds /= n  # d(binary cross-entropy from the logit)/ds = (sigmoid(s) - t) / n
                dZ = V_col * ds  # (R, H, 4)
                if tanh:
                    local = A * A
                    np.subtract(1.0, local, out=local)
                else:
                    local = np.subtract(1.0, A)
                    local *= A
                dZ *= local
                np.matmul(dZ, Xa, out=gU)
                np.matmul(A, ds.transpose(0, 2, 1), out=gV_col)
                np.sum(ds, axis=2, out=gc)
                if masked:
                    grad *= mask
                grad *= lr
                if plain:
                    theta -= grad
                else:
                    velocity *= mu
                    velocity -= grad
                    theta += velocity
                self.step += 1
                if every and self.step % every == 0:
                    self._keep(theta)
        if not (every and self.step % every == 0):
            self._extra.setdefault(self.step, theta.copy())

    def _keep(self, theta: np.ndarray) -> None:
        if self._taped == len(self._tape):  # grow the tape by doubling
            grown = np.empty((2 * len(self._tape), *self._tape.shape[1:]))
            grown[: self._taped] = self._tape
            self._tape = grown
        self._tape[self._taped] = theta
        self._taped += 1

    def _kept(self, step: int) -> np.ndarray | None:
        """``theta`` after ``step`` updates, if it was kept."""
        every = self.every
        if every and step % every == 0 and step // every < self._taped:
            return self._tape[step // every]
        if step == 0:
            return self._tape[0]
        return self._extra.get(step)

    @property
    def kept_steps(self) -> list[int]:
        """The steps whose weights are kept, in order."""
        grid = [k * self.every for k in range(self._taped)] if self.every else [0]
        return sorted(set(grid) | set(self._extra))

    def weights(self, run: int, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run ``run``'s ``[(W1, b1), (W2, b2)]`` after ``step`` updates, training further first if needed."""
        if step > self.step:
            self.advance(step)
        theta = self._kept(step)
        if theta is None:
            raise ValueError(
                f"the weights after {step} steps were not kept (kept: every {self.every} steps and where "
                f"training stopped); ask for one of those steps"
            )
        h = int(self.hidden[run])
        U, V, c = self._parts(theta[run])
        return [(U[:h, :2].copy(), U[:h, 2].copy()), (V[None, :h].copy(), c.copy())]

    def trajectory(self, run: int, step: int) -> np.ndarray:
        """Run ``run``'s first layer ``(w1, w2, b)`` per unit after each of ``0..step`` updates:
        ``(step + 1, hidden, 3)`` (needs ``every=1``). A view of the kept weights: do not write to it."""
        if self.every != 1:
            raise ValueError("trajectory needs the weights of every step: make the trainer with every=1")
        self.advance(step)
        h = int(self.hidden[run])
        return self._parts(self._tape[: step + 1, run])[0][:, :h]

    def units(self, runs: slice, hidden: int, step: int) -> np.ndarray:
        """The first layers ``(w1, w2, b)`` of ``runs`` after each of ``0..step`` updates:
        ``(step + 1, runs, hidden, 3)``, a view (needs ``every=1``)."""
        if self.every != 1:
            raise ValueError("units needs the weights of every step: make the trainer with every=1")
        self.advance(step)
        return self._parts(self._tape[: step + 1, runs])[0][:, :, :hidden]

    def loss(self) -> np.ndarray:
        """``(steps, R)``: each run's loss before each update (needs ``record_loss``)."""
        if not self._recorded:
            return np.empty((0, len(self.hidden)))
        per_point = np.array(self._recorded)[:, :, 0, :]  # (steps, R, 4)
        if self.loss_name == "mse":
            per_point = per_point * per_point
        return per_point.mean(axis=2)

    def grid(self) -> XorGrid:
        """What has been trained so far, as arrays."""
        steps = self.kept_steps
        thetas = np.stack([self._kept(k) for k in steps])  # type: ignore[misc]
        U, V, c = self._parts(thetas)
        H = self.H
        return XorGrid(
            loss=self.loss(),
            snapshots=steps,
            W1=U[..., :2].copy(),
            b1=U[..., 2].copy(),
            W2=V.reshape(*V.shape[:-1], 1, H).copy(),
            b2=c.copy(),
            hidden=self.hidden,
        )


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
