"""Neurons, layers and multi-layer perceptrons built from :class:`~backprop_course.engine.Value`.

A neuron computes :math:`a = \\phi(\\mathbf w \\cdot \\mathbf x + b)`; a layer is
several neurons reading the same input; an MLP feeds each layer's outputs to the
next. ``parameters()`` lists, per neuron, its weights then its bias, in layer
order, exactly as micrograd does, so weights can be copied between the two.

Every model takes a ``seed`` (or a numpy ``Generator``) so two runs with the same
seed start from the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from .engine import Value
from .random_state import SeedLike, as_generator

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "init_weights",
]

Activation = Literal["relu", "tanh", "sigmoid", "linear"]

#: activation name -> function applied to a neuron's pre-activation.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda z: z,
}

#: initialisation scheme -> one line on what it draws.
INITS: dict[str, str] = {
    "uniform": "w ~ U(-1, 1), b = 0 (micrograd)",
    "xavier": "w ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)), b = 0 (Glorot & Bengio 2010; for tanh/sigmoid)",
    "he": "w ~ N(0, 2 / fan_in), b = 0 (He et al. 2015; for ReLU)",
    "normal": "w ~ N(0, scale^2), b = 0",
    "constant": "w = b = scale for every weight: the symmetry demo, never for real training",
}


def init_weights(
    init: str, fan_in: int, fan_out: int, rng: np.random.Generator, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a ``(fan_out, fan_in)`` weight matrix and a ``(fan_out,)`` bias for one layer.

    Args:
        init: one of :data:`INITS`.
        fan_in: inputs per neuron.
        fan_out: neurons in the layer.
        rng: the generator every draw comes from.
        scale: multiplies the drawn weights (``"normal"``: the standard deviation;
            ``"constant"``: the value of every weight and bias).

    Returns:
        ``(W, b)``, float64 arrays. Shared by the scalar and vectorised MLPs so the
        same seed gives both the same weights.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {sorted(INITS)}")
    shape = (fan_out, fan_in)
    b = np.zeros(fan_out)
    if init == "uniform":
        W = rng.uniform(-1.0, 1.0, shape) * scale
    elif init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-a, a, shape) * scale
    elif init == "he":
        W = rng.normal(0.0, math.sqrt(2.0 / fan_in), shape) * scale
    elif init == "normal":
        W = rng.normal(0.0, scale, shape)
    else:  # constant
        W = np.full(shape, float(scale))
        b = np.full(fan_out, float(scale))
    return W, b


class Module:
    """Anything with parameters: gives ``parameters()`` and ``zero_grad()``."""

    def parameters(self) -> list[Value]:
        """All trainable Values, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0. Call before each ``backward()``:
        leaf gradients accumulate across backward passes."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: ``activation(w . x + b)``.

    Args:
        nin: number of inputs.
        activation: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
        init, scale, seed: see :func:`init_weights`. A Neuron built alone draws
            from its own seed; inside a Layer the layer draws for it.
        weights, bias: set the parameters directly instead of drawing them.
    """

    def __init__(
        self,
        nin: int,
        activation: Activation = "relu",
        init: str = "uniform",
        scale: float = 1.0,
        seed: SeedLike = 0,
        *,
        weights: Sequence[float] | None = None,
        bias: float | None = None,
    ) -> None:
        _check_size(nin, "nin")
        _check_activation(activation)
        if weights is None:
            W, b = init_weights(init, nin, 1, as_generator(seed), scale)
            weights, bias = W[0].tolist(), float(b[0]) if bias is None else bias
        if len(weights) != nin:
            raise ValueError(f"Neuron has nin={nin} inputs but got {len(weights)} weights")
        self.w = [Value(w) for w in weights]
        self.b = Value(0.0 if bias is None else bias)
        self.activation = activation
        self._act = ACTIVATIONS[activation]

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(
                f"this Neuron takes {len(self.w)} inputs but was given {len(x)}; "
                "check the input's length against the model's nin"
            )
        return self._act(Value.dot(self.w, x, self.b))

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Calling it returns a list of ``nout`` Values (a single Value when ``nout == 1``,
    as in micrograd).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation = "relu",
        init: str = "uniform",
        scale: float = 1.0,
        seed: SeedLike = 0,
    ) -> None:
        _check_size(nin, "nin")
        _check_size(nout, "nout")
        _check_activation(activation)
        W, b = init_weights(init, nin, nout, as_generator(seed), scale)
        self.neurons = [Neuron(nin, activation, weights=W[i].tolist(), bias=float(b[i])) for i in range(nout)]
        self.nin = nin
        self.activation = activation

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        if len(x) != self.nin:
            raise ValueError(
                f"this Layer takes {self.nin} inputs but was given {len(x)}; "
                "check the input's length against the model's nin"
            )
        # Wrap plain numbers once here, not once per neuron.
        xs = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        out = [n(xs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {len(self.neurons)}, {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [h1, h2, ..., nout])``.

    Args:
        nin: number of inputs.
        nouts: size of each layer, the last being the output layer.
        activation: hidden layers' activation (micrograd: ``"relu"``).
        output_activation: the last layer's (micrograd: ``"linear"``, a raw score).
        init: weight initialisation, one of :data:`INITS`.
        scale: see :func:`init_weights`.
        seed: an int or a numpy Generator; the same seed gives the same weights.

    Example:
        >>> model = MLP(2, [16, 16, 1], seed=0)
        >>> score = model([0.5, -1.0])          # a Value
        >>> len(model.parameters())             # (2+1)*16 + (16+1)*16 + (16+1)*1
        337
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = "linear",
        init: str = "uniform",
        scale: float = 1.0,
        seed: SeedLike = 0,
    ) -> None:
        _check_size(nin, "nin")
        if isinstance(nouts, int) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, e.g. [16, 16, 1]; got {nouts!r}")
        _check_activation(activation)
        _check_activation(output_activation)
        rng = as_generator(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else output_activation,
                init,
                scale,
                rng,
            )
            for i in range(len(nouts))
        ]
        self.nin = nin
        self.sizes = sizes

    def __call__(self, x: Sequence[Value | float] | np.ndarray) -> Value | list[Value]:
        if isinstance(x, np.ndarray):
            x = x.tolist()
        if len(x) != self.nin:
            raise ValueError(
                f"this MLP takes {self.nin} inputs but was given {len(x)}; pass one example (a row of X) at a time"
            )
        out: Value | list[Value] = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        for layer in self.layers:
            out = layer(out if isinstance(out, list) else [out])
        return out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer ``(W, b)`` as float64 arrays, ``W`` of shape ``(nout, nin)``."""
        return [
            (
                np.array([[w.data for w in n.w] for n in layer.neurons]),
                np.array([n.b.data for n in layer.neurons]),
            )
            for layer in self.layers
        ]

    def __repr__(self) -> str:
        return f"MLP({' -> '.join(map(str, self.sizes))}; {', '.join(repr(layer) for layer in self.layers)})"


def _check_size(n: object, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")


def _check_activation(name: object) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
