"""Gradient descent: the ``SGD`` optimiser (with momentum) and a small ``train()`` loop.

One step of gradient descent moves every parameter against its gradient:
:math:`\\theta \\leftarrow \\theta - \\eta\\,\\nabla_\\theta L`. With momentum
:math:`\\mu`, a velocity remembers past steps:
:math:`v \\leftarrow \\mu v - \\eta \\nabla_\\theta L`, :math:`\\theta \\leftarrow \\theta + v`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .engine import TrainingDivergedError, Value
from .nn import MLP
from .random_state import SeedLike, as_generator

__all__ = ["LOSSES", "SGD", "History", "accuracy", "check_training_arguments", "train"]

LearningRate = float | Callable[[int], float]

#: names accepted by ``train(loss=...)``
LOSSES = ("hinge", "mse", "bce", "softmax")


class SGD:
    """Stochastic gradient descent with optional momentum.

    Args:
        parameters: the Values to update (e.g. ``model.parameters()``).
        lr: the learning rate :math:`\\eta`, a number or a function of the step number.
        momentum: :math:`\\mu` in [0, 1); 0 is plain gradient descent.
    """

    def __init__(self, parameters: Sequence[Value], lr: LearningRate = 0.1, momentum: float = 0.0) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("SGD got no parameters to optimise; pass model.parameters()")
        if not callable(lr) and (not math.isfinite(lr) or lr <= 0):
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.lr = lr
        self.momentum = momentum
        self.velocity = [0.0] * len(self.parameters)
        self.steps = 0

    def current_lr(self) -> float:
        """The learning rate the next ``step()`` will use."""
        return float(self.lr(self.steps)) if callable(self.lr) else float(self.lr)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0 (leaf gradients accumulate otherwise)."""
        for p in self.parameters:
            p.grad = 0.0

    def step(self) -> None:
        """Move each parameter one step against its gradient."""
        lr, mu = self.current_lr(), self.momentum
        if mu:
            v = self.velocity
            for i, p in enumerate(self.parameters):
                v[i] = mu * v[i] - lr * p.grad
                p.data += v[i]
        else:
            for p in self.parameters:
                p.data -= lr * p.grad
        self.steps += 1


@dataclass
class History:
    """What ``train()`` recorded, one entry per step (before that step's update)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


def accuracy(outputs: Sequence[Value | list[Value]], y: np.ndarray, loss: str) -> float:
    """Fraction of examples classified right, reading ``outputs`` as ``loss`` does.

    hinge/bce: positive score = class 1; softmax: the largest logit; mse: the
    prediction nearer the target, threshold 0.5 for 0/1 targets and 0 for -1/+1 (NaN for
    real-valued targets).
    """
    y = np.asarray(y)
    if loss == "softmax":
        pred = np.array([np.argmax([z.data for z in row]) for row in outputs])  # type: ignore[union-attr]
        return float(np.mean(pred == y))
    scores = np.array([o.data for o in outputs])  # type: ignore[union-attr]
    if loss == "mse":
        if np.isin(y, (0, 1)).all():
            return float(np.mean((scores > 0.5) == (y == 1)))
        if np.isin(y, (-1, 1)).all():
            return float(np.mean((scores > 0.0) == (y == 1)))
        return math.nan
    return float(np.mean((scores > 0.0) == (y > 0)))


def _loss(name: str, outputs: list, y: np.ndarray) -> Value:
    if name == "hinge":
        return losses.hinge(outputs, y if (y < 0).any() else 2.0 * y - 1.0)
    if name == "mse":
        return losses.mse(outputs, y)
    if name == "bce":
        return losses.binary_cross_entropy(outputs, y)
    return losses.softmax_cross_entropy(outputs, y)


def check_training_arguments(
    X: np.ndarray,
    y: np.ndarray,
    nin: int,
    steps: int,
    lr: LearningRate,
    momentum: float,
    l2: float,
    batch_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Check what a training loop was given; return ``X`` as float64 and ``y`` as arrays.

    Shared by this module's :func:`train` and :func:`backprop_course.matrix_mlp.train`,
    so both refuse the same bad input with the same message.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != nin:
        raise ValueError(f"X must have shape (n, {nin}) for this model, got {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has shape {y.shape}; give one label per row of X")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    if not callable(lr) and (not math.isfinite(lr) or lr <= 0):
        raise ValueError(f"lr must be a positive number (or a function of the step number), got {lr!r}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    n = len(X)
    if batch_size is not None and (isinstance(batch_size, bool) or not 1 <= batch_size <= n):
        raise ValueError(f"batch_size must be between 1 and {n} (the data set's size), got {batch_size!r}")
    return X, y


def train(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "hinge",
    steps: int = 100,
    lr: LearningRate = 0.1,
    momentum: float = 0.0,
    l2: float = 0.0,
    batch_size: int | None = None,
    seed: SeedLike = 0,
    callback: Callable[[int, MLP, History], object] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent and return the history.

    Each step: forward pass over the batch, loss (+ ``l2`` times the sum of squared
    parameters), ``zero_grad``, ``backward``, ``SGD.step``.

    Args:
        model: an :class:`~backprop_course.nn.MLP`.
        X: inputs, shape ``(n, nin)``.
        y: labels: 0/1 (or -1/+1) for ``"hinge"``, 0/1 for ``"bce"``, class indices for
            ``"softmax"``, real targets for ``"mse"``.
        loss: one of :data:`LOSSES`.
        steps: number of updates.
        lr: learning rate, or a function of the step number (a schedule).
        momentum: see :class:`SGD`.
        l2: weight-decay strength :math:`\\alpha`.
        batch_size: examples per step, drawn without replacement each step from ``seed``;
            ``None`` uses the whole data set (full-batch gradient descent).
        callback: called as ``callback(step, model, history)`` after each update;
            return ``True`` to stop early.

    Raises:
        TrainingDivergedError: when the loss becomes NaN or infinite, or a value overflows float64.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    X, y = check_training_arguments(X, y, model.nin, steps, lr, momentum, l2, batch_size)
    n = len(X)
    rng = as_generator(seed)
    params = model.parameters()
    opt = SGD(params, lr=lr, momentum=momentum)
    history = History()
    rows = X.tolist()
    for step in range(steps):
        idx = range(n) if batch_size is None else rng.choice(n, size=batch_size, replace=False).tolist()
        try:
            outputs = [model(rows[i]) for i in idx]
            yb = y[list(idx)]
            total = _loss(loss, outputs, yb)
            if l2:
                total = total + losses.l2_penalty(params, l2)
            history.loss.append(total.data)
            history.accuracy.append(accuracy(outputs, yb, loss))
            history.lr.append(opt.current_lr())
            opt.zero_grad()
            total.backward()
        except (OverflowError, TrainingDivergedError) as err:
            raise TrainingDivergedError(
                f"training diverged at step {step} with learning rate {opt.current_lr():g}: {err}"
            ) from err
        opt.step()
        if callback is not None and callback(step, model, history) is True:
            break
    return history
