"""A vectorised MLP trained by explicit backprop, built from the layer pairs in :mod:`.layers`.

:class:`MatrixMLP` is the array twin of the scalar :class:`~backprop_course.nn.MLP`: the
same options, the same initial weights for the same seed, the same loss and gradients
(it can copy its weights from a scalar MLP with :meth:`MatrixMLP.from_scalar`). Where the
scalar MLP builds a graph of thousands of ``Value`` nodes per step, this one does a few
matrix products per layer:

.. math::

    \\text{forward:}\\quad Z^{(l)} = A^{(l-1)} W^{(l)T} + b^{(l)},\\qquad A^{(l)} = \\phi(Z^{(l)})

    \\text{backward:}\\quad \\nabla_{Z^{(l)}} = \\nabla_{A^{(l)}} \\odot \\phi'(Z^{(l)}),\\quad
    \\nabla_{W^{(l)}} = \\nabla_{Z^{(l)}}^T A^{(l-1)},\\quad
    \\nabla_{A^{(l-1)}} = \\nabla_{Z^{(l)}} W^{(l)}

:func:`train` mirrors :func:`backprop_course.optim.train` step for step (same sampling of
mini-batches from the same seed, same SGD with momentum, same history), and
:func:`train_many` trains one network per seed *all at once*, stacking their weights
along a leading axis, so experiments over hundreds of seeds (:func:`xor_success_rate`)
take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import layers
from .engine import TrainingDivergedError
from .nn import ACTIVATIONS, MLP, init_weights
from .optim import History, LearningRate, check_training_arguments
from .random_state import SeedLike, as_generator

__all__ = [
    "LOSSES",
    "ManyRuns",
    "MatrixMLP",
    "SuccessRate",
    "accuracy",
    "loss_forward_backward",
    "train",
    "train_many",
    "xor_success_rate",
]

#: loss names, as in :data:`backprop_course.optim.LOSSES`
LOSSES = ("hinge", "mse", "bce", "softmax")

Params = list[tuple[np.ndarray, np.ndarray]]
LayerCache = tuple[layers.LinearCache, Any]


def _check_size(n: object, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _check_activation(name: str, what: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown {what} {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return name


def _check_loss(loss: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")


class MatrixMLP:
    """A multi-layer perceptron on arrays: ``MatrixMLP(nin, [h1, ..., nout])``.

    Same arguments as :class:`backprop_course.nn.MLP`; the same ``seed`` draws the same
    weights (both call :func:`~backprop_course.nn.init_weights` layer by layer from one
    generator).

    Args:
        nin: number of inputs (columns of ``X``).
        nouts: size of each layer, the last being the output layer.
        activation: hidden layers' activation: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"``.
        output_activation: the last layer's (``"linear"``: raw scores, for every loss here).
        init: weight initialisation, one of :data:`backprop_course.nn.INITS`.
        scale: see :func:`~backprop_course.nn.init_weights`.
        seed: an int or a numpy Generator.

    Attributes:
        params: per layer ``(W, b)``, ``W`` of shape ``(out, in)``; training updates them in place.

    Example:
        >>> model = MatrixMLP(2, [16, 16, 1], seed=0)
        >>> out, caches = model.forward(np.zeros((5, 2)))     # out has shape (5, 1)
        >>> grads = model.backward(np.ones_like(out), caches)  # [(dW1, db1), (dW2, db2), (dW3, db3)]
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        scale: float = 1.0,
        seed: SeedLike = 0,
    ) -> None:
        nin = _check_size(nin, "nin")
        if isinstance(nouts, (int, np.integer)) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 16, 1]; got {nouts!r}")
        sizes = [nin, *(_check_size(n, "each layer size in nouts") for n in nouts)]
        rng = as_generator(seed)
        params = [init_weights(init, sizes[i], sizes[i + 1], rng, scale) for i in range(len(sizes) - 1)]
        self._set(params, activation, output_activation)

    def _set(self, params: Params, activation: str, output_activation: str) -> None:
        self.activation = _check_activation(activation, "activation")
        self.output_activation = _check_activation(output_activation, "output_activation")
        self.params = params
        self.sizes = [params[0][0].shape[1], *(W.shape[0] for W, _ in params)]
        self.nin = self.sizes[0]

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[tuple[np.ndarray, np.ndarray]],
        activation: str = "relu",
        output_activation: str = "linear",
    ) -> MatrixMLP:
        """Build a model around given weights (copied): per layer ``(W, b)``, ``W`` of shape ``(out, in)``."""
        if len(weights) == 0:
            raise ValueError("from_weights needs at least one (W, b) pair")
        params: Params = []
        for i, (W, b) in enumerate(weights):
            W = np.array(W, dtype=np.float64)
            b = np.array(b, dtype=np.float64)
            if W.ndim != 2 or b.shape != (W.shape[0],):
                raise ValueError(
                    f"layer {i}: W must have shape (out, in) and b shape (out,), got {W.shape} and {b.shape}"
                )
            if params and W.shape[1] != params[-1][0].shape[0]:
                raise ValueError(
                    f"layer {i}: W has shape {W.shape}, so it takes {W.shape[1]} inputs, but layer {i - 1} "
                    f"has {params[-1][0].shape[0]} outputs"
                )
            params.append((W, b))
        model = cls.__new__(cls)
        model._set(params, activation, output_activation)
        return model

    @classmethod
    def from_scalar(cls, mlp: MLP) -> MatrixMLP:
        """The same network as the scalar ``mlp``: its current weights (copied) and activations."""
        if not isinstance(mlp, MLP):
            raise TypeError(f"from_scalar expects a backprop_course.nn.MLP, got {type(mlp).__name__}")
        acts = [layer.activation for layer in mlp.layers]
        hidden = acts[0] if len(acts) > 1 else "relu"
        if any(a != hidden for a in acts[:-1]):
            raise ValueError(f"from_scalar: hidden layers use different activations {acts[:-1]}; MatrixMLP uses one")
        return cls.from_weights(mlp.weights(), hidden, acts[-1])

    def to_scalar(self) -> MLP:
        """A scalar :class:`~backprop_course.nn.MLP` holding a copy of these weights."""
        mlp = MLP(self.nin, self.sizes[1:], self.activation, self.output_activation)  # type: ignore[arg-type]
        for layer, (W, b) in zip(mlp.layers, self.params):
            for neuron, w_row, b_i in zip(layer.neurons, W, b):
                for v, w in zip(neuron.w, w_row):
                    v.data = float(w)
                neuron.b.data = float(b_i)
        return mlp

    @property
    def activations(self) -> list[str]:
        """The activation of each layer, the output layer last."""
        return [self.activation] * (len(self.params) - 1) + [self.output_activation]

    def weights(self) -> Params:
        """Per layer ``(W, b)``, copies, as :meth:`backprop_course.nn.MLP.weights` returns them."""
        return [(W.copy(), b.copy()) for W, b in self.params]

    def num_parameters(self) -> int:
        """How many numbers the model learns (as ``len(MLP(...).parameters())``)."""
        return sum(W.size + b.size for W, b in self.params)

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list[LayerCache]]:
        """Run the batch ``X`` (shape ``(N, nin)``) through every layer.

        Returns:
            ``out`` of shape ``(N, nout)`` and one ``(linear_cache, activation_cache)`` per layer.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.nin:
            raise ValueError(f"X must have shape (N, {self.nin}) for this model (one example per row), got {X.shape}")
        caches: list[LayerCache] = []
        a = X
        for (W, b), act in zip(self.params, self.activations):
            z, lin_cache = layers.linear_forward(a, W, b)
            a, act_cache = layers.ACTIVATION_LAYERS[act][0](z)
            caches.append((lin_cache, act_cache))
        return a, caches

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The outputs for the batch ``X``, shape ``(N, nout)`` (no caches kept)."""
        return self.forward(X)[0]

    def backward(self, dout: np.ndarray, caches: list[LayerCache]) -> Params:
        """Backpropagate ``dout`` = :math:`\\partial L/\\partial \\mathrm{out}` (shape ``(N, nout)``) to every layer.

        Returns:
            Per layer ``(dW, db)``, the same structure as :attr:`params`.
        """
        if len(caches) != len(self.params):
            raise ValueError(f"got {len(caches)} caches for a model with {len(self.params)} layers; pass forward's")
        grads: Params = []
        da = np.asarray(dout, dtype=np.float64)
        for (lin_cache, act_cache), act in zip(reversed(caches), reversed(self.activations)):
            dz = layers.ACTIVATION_LAYERS[act][1](da, act_cache)
            da, dW, db = layers.linear_backward(dz, lin_cache)
            grads.append((dW, db))
        grads.reverse()
        return grads

    def loss_and_gradients(
        self, X: np.ndarray, y: np.ndarray, loss: str = "hinge", l2: float = 0.0
    ) -> tuple[float, Params, np.ndarray]:
        """Forward, loss (+ L2), backward: the work of one training step, without the update.

        The total is :math:`L = \\mathrm{loss}(\\mathrm{out}, y) + \\alpha \\sum_l (\\|W_l\\|^2 + \\|b_l\\|^2)`,
        biases included as in :func:`backprop_course.optim.train`; the L2 term adds
        :math:`2\\alpha W` to each gradient.

        Returns:
            ``(total_loss, grads, out)``; ``grads`` per layer ``(dW, db)``.
        """
        out, caches = self.forward(X)
        value, dout = loss_forward_backward(loss, out, y)
        grads = self.backward(dout, caches)
        if l2:
            value += l2 * sum(float(np.vdot(W, W) + np.vdot(b, b)) for W, b in self.params)
            for (W, b), (dW, db) in zip(self.params, grads):
                dW += 2.0 * l2 * W
                db += 2.0 * l2 * b
        return value, grads, out

    def __repr__(self) -> str:
        return (
            f"MatrixMLP({' -> '.join(map(str, self.sizes))}; hidden {self.activation}, output {self.output_activation})"
        )


def _labels_for(loss: str, y: np.ndarray) -> np.ndarray:
    """Labels as the loss wants them: 0/1 become -1/+1 for the hinge loss (as optim.train does)."""
    if loss == "hinge" and not (y < 0).any():
        return 2.0 * y - 1.0
    return y


def _check_output(loss: str, out: np.ndarray) -> None:
    k = out.shape[-1]
    if loss == "softmax" and k < 2:
        raise ValueError("the softmax loss needs one output per class (at least 2), but the model has 1 output")
    if loss != "softmax" and k != 1:
        raise ValueError(
            f"the {loss!r} loss needs one output per example, but the model has {k}; "
            "use loss='softmax' for several classes"
        )


def loss_forward_backward(loss: str, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss of the model's outputs ``out`` (shape ``(N, K)``) and its gradient w.r.t. ``out``.

    ``"hinge"``: ``K = 1``, labels 0/1 or -1/+1; ``"mse"``: ``K = 1``, real targets;
    ``"bce"``: ``K = 1``, logits and labels 0/1; ``"softmax"``: ``K`` classes, labels ``0..K-1``.
    """
    _check_loss(loss)
    _check_output(loss, out)
    y = np.asarray(y)
    if loss == "softmax":
        value, cache = layers.softmax_cross_entropy_forward(out, y)
        return value, layers.softmax_cross_entropy_backward(1.0, cache)
    forward, backward = _BINARY_LOSSES[loss]
    value, cache1 = forward(out, _labels_for(loss, y))
    return value, backward(1.0, cache1)


_BINARY_LOSSES: dict[str, tuple[Callable[..., tuple[float, Any]], Callable[..., np.ndarray]]] = {
    "hinge": (layers.hinge_forward, layers.hinge_backward),
    "mse": (layers.mse_forward, layers.mse_backward),
    "bce": (layers.binary_cross_entropy_forward, layers.binary_cross_entropy_backward),
}


def accuracy(out: np.ndarray, y: np.ndarray, loss: str) -> float:
    """Fraction of examples classified right, reading the outputs as ``loss`` does.

    Same rule as :func:`backprop_course.optim.accuracy`: hinge/bce: a positive score is
    class 1; softmax: the largest output; mse: threshold 0.5 for 0/1 targets, 0 for
    -1/+1 targets, NaN for real-valued targets.
    """
    return float(np.mean(_correct(np.asarray(out), np.asarray(y), loss)))


def _correct(out: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """``(..., N)``: 1.0 where an example is classified right, else 0.0 (NaN for real-valued
    mse targets, which have no classes). ``out`` has shape ``(..., N, K)``."""
    if loss == "mse" and not (np.isin(y, (0, 1)).all() or np.isin(y, (-1, 1)).all()):
        return np.full(out.shape[:-1], math.nan)
    if loss == "softmax":
        return np.argmax(out, axis=-1) == y
    scores = out[..., 0]
    if loss == "mse" and np.isin(y, (0, 1)).all():
        return (scores > 0.5) == (y == 1)
    return (scores > 0.0) == (y > 0)


def _sgd_update(params: Params, grads: Params, velocity: list[np.ndarray] | None, lr: float, mu: float) -> None:
    """In place: :math:`\\theta \\leftarrow \\theta - \\eta g`, or with momentum
    :math:`v \\leftarrow \\mu v - \\eta g,\\ \\theta \\leftarrow \\theta + v`, as :class:`~.optim.SGD` does."""
    flat_p = [p for pair in params for p in pair]
    flat_g = [g for pair in grads for g in pair]
    if velocity is None:
        for p, g in zip(flat_p, flat_g):
            p -= lr * g
    else:
        for p, g, v in zip(flat_p, flat_g, velocity):
            v *= mu
            v -= lr * g
            p += v


def train(
    model: MatrixMLP,
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
    callback: Callable[[int, MatrixMLP, History], object] | None = None,
) -> History:
    """Train ``model`` in place by gradient descent with explicit backprop; return the history.

    Same arguments and the same steps as :func:`backprop_course.optim.train`: with the same
    starting weights and ``seed`` both visit the same mini-batches and end with the same
    weights (up to float rounding). Each step: forward, loss (+ L2), backward, SGD update.

    Args:
        model: a :class:`MatrixMLP`.
        X: inputs, shape ``(n, nin)``.
        y: labels (see :func:`loss_forward_backward`).
        loss: one of :data:`LOSSES`.
        steps: number of updates.
        lr: learning rate, or a function of the step number.
        momentum: :math:`\\mu` in [0, 1).
        l2: weight-decay strength :math:`\\alpha` (biases included).
        batch_size: examples per step, drawn without replacement each step from ``seed``
            (``rng.choice(n, batch_size, replace=False)``); ``None`` uses all of them.
        callback: ``callback(step, model, history)`` after each update; return ``True`` to stop.

    Returns:
        A :class:`backprop_course.optim.History`: loss, accuracy (on the step's batch) and
        learning rate of every step, recorded before its update.

    Raises:
        TrainingDivergedError: when the loss becomes NaN or infinite.
    """
    _check_loss(loss)
    X, y = check_training_arguments(X, y, model.nin, steps, lr, momentum, l2, batch_size)
    _check_output(loss, np.empty((0, model.sizes[-1])))
    n = len(X)
    y = _labels_for(loss, y)
    rng = as_generator(seed)
    velocity = [np.zeros_like(p) for pair in model.params for p in pair] if momentum else None
    history = History()
    for step in range(steps):
        if batch_size is None:
            Xb, yb = X, y
        else:
            idx = rng.choice(n, size=batch_size, replace=False)
            Xb, yb = X[idx], y[idx]
        step_lr = float(lr(step)) if callable(lr) else float(lr)
        total, grads, out = model.loss_and_gradients(Xb, yb, loss, l2)
        history.loss.append(total)
        history.accuracy.append(accuracy(out, yb, loss))
        history.lr.append(step_lr)
        if not math.isfinite(total):
            raise TrainingDivergedError(
                f"training diverged at step {step}: the loss is {total!r}. "
                f"The learning rate {step_lr:g} is probably too large; try a smaller one."
            )
        _sgd_update(model.params, grads, velocity, step_lr, momentum)
        if callback is not None and callback(step, model, history) is True:
            break
    return history


# ------------------------------------------------------------ many seeds at once


@dataclass
class ManyRuns:
    """The result of :func:`train_many`: one training run per seed, run side by side.

    Attributes:
        seeds: the seed of each run.
        loss: shape ``(steps, S)``: run ``s``'s total loss at each step (before the update).
        accuracy: shape ``(steps, S)``, likewise.
        final_loss: shape ``(S,)``: the loss after the last update.
        final_accuracy: shape ``(S,)``, likewise.
        params: per layer ``(W, b)`` stacked over runs: ``W`` of shape ``(S, out, in)``.
        activation, output_activation: the networks' activations.
    """

    seeds: list[int]
    loss: np.ndarray
    accuracy: np.ndarray
    final_loss: np.ndarray
    final_accuracy: np.ndarray
    params: Params
    activation: str
    output_activation: str

    def model(self, i: int) -> MatrixMLP:
        """Run ``i``'s trained network as a :class:`MatrixMLP` (weights copied)."""
        return MatrixMLP.from_weights([(W[i], b[i]) for W, b in self.params], self.activation, self.output_activation)


def _per_example_loss(loss: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-example losses, shape ``(..., N)``, for outputs ``(..., N, K)`` (same formulas as :mod:`.layers`)."""
    if loss == "softmax":
        shifted = out - out.max(axis=-1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=-1))
        return lse - np.take_along_axis(shifted, np.broadcast_to(y, lse.shape)[..., None], axis=-1)[..., 0]
    s = out[..., 0]
    if loss == "hinge":
        return np.maximum(1.0 - y * s, 0.0)
    if loss == "mse":
        return (s - y) ** 2
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s))) - y * s


def train_many(
    seeds: Iterable[int] | int,
    X: np.ndarray,
    y: np.ndarray,
    nouts: Sequence[int],
    *,
    activation: str = "relu",
    output_activation: str = "linear",
    init: str = "uniform",
    scale: float = 1.0,
    loss: str = "hinge",
    steps: int = 100,
    lr: LearningRate = 0.1,
    momentum: float = 0.0,
    l2: float = 0.0,
) -> ManyRuns:
    """Train one network per seed, full batch, all at once; run ``s`` matches training
    ``MatrixMLP(X.shape[1], nouts, ..., seed=seeds[s])`` alone with :func:`train`.

    The S networks' weights are stacked, ``W`` of shape ``(S, out, in)``, and every layer is one
    batched matrix product (``np.matmul`` over the leading axis). The losses are summed over
    runs, :math:`\\sum_s L_s`: run ``s``'s parameters only reach :math:`L_s`, so each run gets
    exactly its own gradient. A run that diverges ends with a NaN loss (and counts as not
    solved); it does not stop the others.

    Args:
        seeds: the seeds, or a count ``S`` for seeds ``0..S-1``.
        X, y: the training set (every step uses all of it).
        nouts, activation, output_activation, init, scale: the architecture, as :class:`MatrixMLP`.
        loss, steps, lr, momentum, l2: as :func:`train`.

    Returns:
        A :class:`ManyRuns`.
    """
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seed_list:
        raise ValueError("train_many needs at least one seed")
    _check_loss(loss)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, nin), got {X.shape}")
    X, y = check_training_arguments(X, y, X.shape[1], steps, lr, momentum, l2)
    models = [MatrixMLP(X.shape[1], nouts, activation, output_activation, init, scale, seed=s) for s in seed_list]
    params: Params = [
        (np.stack([m.params[i][0] for m in models]), np.stack([m.params[i][1] for m in models]))
        for i in range(len(models[0].params))
    ]
    acts = models[0].activations
    _check_output(loss, np.empty((0, models[0].sizes[-1])))
    y = _labels_for(loss, y)
    S, n = len(seed_list), len(X)
    # Every run's labels, flattened with its outputs: (S * n,) for the public loss layers.
    y_flat = np.tile(y, S)
    velocity = [np.zeros_like(p) for pair in params for p in pair] if momentum else None
    losses = np.empty((steps, S))
    accs = np.empty((steps, S))

    def forward(params: Params) -> tuple[np.ndarray, list[tuple[np.ndarray, Any]]]:
        a: np.ndarray = X
        caches = []
        for (W, b), act in zip(params, acts):
            z = a @ np.swapaxes(W, -1, -2)  # (n, in) or (S, n, in) @ (S, in, out) -> (S, n, out)
            z += b[:, None, :]
            out, act_cache = layers.ACTIVATION_LAYERS[act][0](z)
            caches.append((a, act_cache))
            a = out
        return a, caches

    def run_losses(out: np.ndarray, params: Params) -> np.ndarray:
        per_run = _per_example_loss(loss, out, y).mean(axis=-1)
        if l2:
            per_run = per_run + l2 * sum(np.sum(W * W, axis=(1, 2)) + np.sum(b * b, axis=1) for W, b in params)
        return per_run

    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            step_lr = float(lr(step)) if callable(lr) else float(lr)
            out, caches = forward(params)
            losses[step] = run_losses(out, params)
            accs[step] = np.mean(_correct(out, y, loss), axis=-1)
            # The loss layers average over all S * n rows; dloss = S turns that mean into
            # sum_s (mean over run s's n rows), i.e. each run's own gradient.
            flat = out.reshape(S * n, -1)
            if loss == "softmax":
                _, sm_cache = layers.softmax_cross_entropy_forward(flat, y_flat)
                dflat = layers.softmax_cross_entropy_backward(float(S), sm_cache)
            else:
                fwd, bwd = _BINARY_LOSSES[loss]
                _, cache = fwd(flat, y_flat)
                dflat = bwd(float(S), cache)
            da = dflat.reshape(out.shape)
            grads: Params = []
            for (W, b), (a_prev, act_cache), act in zip(reversed(params), reversed(caches), reversed(acts)):
                dz = layers.ACTIVATION_LAYERS[act][1](da, act_cache)
                dW = np.swapaxes(dz, -1, -2) @ a_prev
                db = dz.sum(axis=-2)
                if l2:
                    dW += 2.0 * l2 * W
                    db += 2.0 * l2 * b
                grads.append((dW, db))
                da = dz @ W
            grads.reverse()
            _sgd_update(params, grads, velocity, step_lr, momentum)
        out, _ = forward(params)
        final_loss = run_losses(out, params)
        final_acc = np.mean(_correct(out, y, loss), axis=-1)
    return ManyRuns(seed_list, losses, accs, final_loss, final_acc, params, activation, output_activation)


@dataclass
class SuccessRate:
    """How many runs of an experiment succeeded; ``str()`` says it in one line."""

    rate: float
    succeeded: np.ndarray
    runs: ManyRuns

    @property
    def failed_seeds(self) -> list[int]:
        """Seeds whose run did not solve the task."""
        return [s for s, ok in zip(self.runs.seeds, self.succeeded) if not ok]

    def __str__(self) -> str:
        n = len(self.succeeded)
        return f"{int(self.succeeded.sum())} of {n} seeds solved it ({100 * self.rate:.1f}%)"


def xor_success_rate(
    seeds: Iterable[int] | int = 500,
    *,
    hidden: int = 2,
    activation: str = "tanh",
    output_activation: str = "sigmoid",
    loss: str = "mse",
    init: str = "uniform",
    scale: float = 1.0,
    steps: int = 2000,
    lr: LearningRate = 0.5,
    momentum: float = 0.0,
) -> SuccessRate:
    """Train a ``2-hidden-1`` network on XOR from each seed; how often does it solve XOR?

    A run succeeds when, after training, it classifies all four XOR points right. With 2
    hidden units, some seeds get stuck (a local minimum or a plateau): the rate is below
    100% and rises with more hidden units, momentum or more steps. All runs train at once
    (:func:`train_many`), so 500 seeds take seconds.

    Args:
        seeds: the seeds, or a count ``S`` for seeds ``0..S-1``.
        hidden: hidden units.
        activation, output_activation, loss, init, scale, steps, lr, momentum: as :func:`train_many`.

    Returns:
        A :class:`SuccessRate` (``rate``, ``succeeded`` per seed, the ``runs`` themselves).
    """
    from .data import xor

    X, y = xor()
    runs = train_many(
        seeds,
        X,
        y,
        [_check_size(hidden, "hidden"), 1],
        activation=activation,
        output_activation=output_activation,
        init=init,
        scale=scale,
        loss=loss,
        steps=steps,
        lr=lr,
        momentum=momentum,
    )
    succeeded = runs.final_accuracy == 1.0
    return SuccessRate(float(np.mean(succeeded)), succeeded, runs)
