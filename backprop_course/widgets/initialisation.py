"""Notebook 06: initialisation: symmetric weights never break apart, and the init scale sets activation spread.

Symmetry breaking: :func:`symmetry_figure` trains the XOR network of :mod:`.xor` from a
constant or a random start and follows each hidden unit's weights. Scale:
:func:`activation_statistics` measures the activations and gradients of a deep network at
initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import data
from ..nn import INITS, init_weights
from ..plots import CLASS_COLORS, plot_decision_boundary
from .common import _NUMPY_ACTIVATIONS, _count, _positive, figure_explorer
from .xor import bce_and_accuracy, train_xor


def count_distinct_units(weights: np.ndarray, tol: float = 1e-12) -> int:
    """How many different rows ``weights`` (one row per hidden unit) has, up to ``tol`` (max abs difference)."""
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2 or len(W) == 0:
        raise ValueError(f"weights must be a non-empty (units, k) array, got shape {W.shape}")
    distinct: list[np.ndarray] = []
    for row in W:
        if not any(np.max(np.abs(row - d)) <= tol for d in distinct):
            distinct.append(row)
    return len(distinct)


def plot_hidden_weights(trajectory: np.ndarray, axes: Sequence[Axes] | None = None) -> Figure:
    """Each hidden unit's :math:`w_1`, :math:`w_2` and :math:`b` against the training step (one panel each).

    ``trajectory`` is the ``(steps + 1, hidden, 3)`` array of :func:`train_xor`. Units are
    drawn in turn with thinner lines, so units with the same weights show as one line
    with a thick outline.
    """
    T = np.asarray(trajectory, dtype=np.float64)
    if T.ndim != 3 or T.shape[2] != 3:
        raise ValueError(f"trajectory must have shape (steps + 1, hidden, 3), got {T.shape}")
    if axes is None:
        _, axs = plt.subplots(1, 3, figsize=(12.0, 3.3))
        axes = list(axs)
    fig = axes[0].get_figure()
    assert isinstance(fig, Figure)
    n_units = T.shape[1]
    steps = np.arange(T.shape[0])
    for k, (ax, name) in enumerate(zip(axes, ("$w_1$ (from $x_1$)", "$w_2$ (from $x_2$)", "$b$ (bias)"))):
        for j in range(n_units):
            ax.plot(
                steps,
                T[:, j, k],
                color=CLASS_COLORS[j % len(CLASS_COLORS)],
                lw=1.2 + 2.5 * (n_units - 1 - j) / max(n_units - 1, 1),
                label=f"unit {j + 1}",
            )
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    distinct = count_distinct_units(T[-1])
    fig.suptitle(f"hidden-unit weights during training: {distinct} distinct unit(s) out of {n_units} at the end")
    return fig


def symmetry_figure(
    init: str = "constant", scale: float = 0.5, hidden: int = 4, seed: int = 0, steps: int = 300, lr: float = 0.5
) -> Figure:
    """Train :func:`train_xor` with the given initialisation; draw the hidden units' weights and the result."""
    model, _, trajectory = train_xor(hidden, init=init, scale=scale, seed=seed, steps=steps, lr=lr)
    fig, axes = plt.subplots(1, 4, figsize=(16.0, 3.6))
    plot_hidden_weights(trajectory, axes=axes[:3])
    X, y = data.xor()
    loss, acc = bce_and_accuracy(model, X, y)
    plot_decision_boundary(model, X, y, ax=axes[3], resolution=100, title=f"loss {loss:.3f}, accuracy {acc:.2f}")
    fig.suptitle(
        f"init={init!r}, scale={scale:g}, {hidden} hidden units: "
        f"{count_distinct_units(trajectory[-1])} distinct after {steps} steps"
    )
    fig.tight_layout()
    return fig


def init_explorer() -> object:
    """Pick the initialisation (constant or random), its scale and the seed; draws :func:`symmetry_figure`."""
    import ipywidgets as widgets

    return figure_explorer(
        symmetry_figure,
        init=widgets.Dropdown(
            options=["constant", "uniform", "xavier", "normal"], value="constant", description="init"
        ),
        scale=widgets.FloatLogSlider(
            value=0.5, base=10, min=-2, max=1, step=0.1, description="scale", continuous_update=False
        ),
        hidden=widgets.IntSlider(value=4, min=1, max=6, description="hidden units", continuous_update=False),
        seed=widgets.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False),
        steps=widgets.IntSlider(value=300, min=0, max=1000, step=50, description="steps", continuous_update=False),
    )


@dataclass
class ActivationStats:
    """What :func:`activation_statistics` measured, one entry per hidden layer (``grad_weights``: per layer)."""

    activations: list[np.ndarray]  #: each hidden layer's outputs, ``(n, width)``
    std: np.ndarray  #: their standard deviation
    saturated: np.ndarray  #: fraction of tanh/sigmoid outputs within 0.01 of a bound, or of ReLU outputs at 0
    grad_activations: np.ndarray  #: RMS of :math:`\\partial L/\\partial h_l`, the gradient reaching each hidden layer
    grad_weights: np.ndarray  #: RMS of :math:`\\partial L/\\partial W_l` for every layer, the output layer last


def activation_statistics(
    init: str = "xavier",
    scale: float = 1.0,
    activation: str = "tanh",
    depth: int = 6,
    width: int = 64,
    n: int = 500,
    seed: int = 0,
) -> ActivationStats:
    """Push ``n`` standard-normal 2-D inputs through a fresh ``MLP(2, [width] * depth + [1])`` and back.

    The forward pass (numpy, weights from :func:`backprop_course.nn.init_weights`, so the
    same as the scalar MLP's) records each hidden layer's outputs :math:`h_l`; the backward
    pass starts from a random upstream gradient at the output and records the gradient
    reaching each hidden layer, :math:`\\partial L/\\partial h_l`, and each weight gradient
    :math:`\\partial L/\\partial W_l = \\delta_l^T h_{l-1}`.

    While tanh is in its linear range, each layer multiplies the spread of its input by
    about :math:`\\sigma_w\\sqrt{\\text{fan\\_in}}`, and the backward pass multiplies the
    gradient by about the same factor. Below 1 both shrink layer after layer (vanishing);
    above 1 the activations grow until tanh saturates at :math:`\\pm 1`, where its derivative
    :math:`1 - h^2` is near 0. Xavier (:math:`\\mathrm{Var}\\,w = 2/(\\text{fan\\_in}+\\text{fan\\_out})`)
    and He (:math:`\\mathrm{Var}\\,w = 2/\\text{fan\\_in}`, for ReLU) choose the spread that keeps
    the factor near 1.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {sorted(INITS)}")
    if activation not in ("tanh", "relu", "sigmoid"):
        raise ValueError(f"activation must be 'tanh', 'relu' or 'sigmoid', got {activation!r}")
    scale = _positive(scale, "scale")
    depth = _count(depth, "depth", minimum=1)
    width = _count(width, "width", minimum=1)
    n = _count(n, "n", minimum=1)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    sizes = [2, *([width] * depth), 1]
    act = _NUMPY_ACTIVATIONS[activation]
    weights = [init_weights(init, sizes[i], sizes[i + 1], rng, scale) for i in range(len(sizes) - 1)]
    inputs = [X]  # inputs[l] is what layer l reads: X, then each hidden layer's output
    for W, b in weights[:-1]:
        inputs.append(act(inputs[-1] @ W.T + b))
    hidden = inputs[1:]
    delta = rng.normal(size=(n, 1)) / n  # dL/dz at the output (a linear layer: z is the output)
    grad_weights = np.empty(len(weights))
    grad_activations = np.empty(depth)
    for l in range(len(weights) - 1, -1, -1):
        W, _ = weights[l]
        grad_weights[l] = float(np.sqrt(np.mean((delta.T @ inputs[l]) ** 2)))
        if l > 0:
            dh = delta @ W  # dL/dh for the hidden layer feeding layer l
            grad_activations[l - 1] = float(np.sqrt(np.mean(dh**2)))
            h = inputs[l]
            if activation == "tanh":
                local = 1.0 - h * h
            elif activation == "sigmoid":
                local = h * (1.0 - h)
            else:
                local = (h > 0).astype(np.float64)
            delta = dh * local
    if activation == "relu":
        saturated = [float(np.mean(h == 0.0)) for h in hidden]
    else:
        lo, hi = (-1.0, 1.0) if activation == "tanh" else (0.0, 1.0)
        saturated = [float(np.mean((h < lo + 0.01) | (h > hi - 0.01))) for h in hidden]
    return ActivationStats(
        activations=hidden,
        std=np.array([float(h.std()) for h in hidden]),
        saturated=np.array(saturated),
        grad_activations=grad_activations,
        grad_weights=grad_weights,
    )


def gradient_axis_limits(values: np.ndarray, min_decades: int = 4) -> tuple[float, float]:
    """Log-axis limits on whole powers of ten spanning ``values`` and at least ``min_decades`` decades.

    Autoscaling a nearly flat profile (3.2e-4 to 3.5e-4) stretches it over the whole
    panel and makes it look jagged; a fixed span of decades shows it flat, and a factor of
    10 per layer as the straight line it is.
    """
    logs = np.log10(np.asarray(values, dtype=np.float64))
    lo, hi = float(np.floor(logs.min())), float(np.ceil(logs.max()))
    missing = max(0.0, min_decades - (hi - lo))
    lo -= np.ceil(missing / 2)
    hi += np.floor(missing / 2)
    return float(10.0**lo), float(10.0**hi)


def plot_activation_statistics(
    init: str = "xavier", scale: float = 1.0, activation: str = "tanh", depth: int = 6, width: int = 64
) -> Figure:
    """At initialisation: histograms of each hidden layer's outputs, and the gradient reaching each layer."""
    stats = activation_statistics(init, scale, activation, depth, width)
    acts = stats.activations
    fig, (ax_h, ax_g) = plt.subplots(1, 2, figsize=(12.0, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    cmap = plt.get_cmap("viridis")
    bounds = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
    lo, hi = bounds.get(activation, (0.0, max(float(max(h.max() for h in acts)), 1e-6)))
    bins = np.linspace(lo, hi, 61)
    sat_name = "dead" if activation == "relu" else "saturated"
    for l, h in enumerate(acts):
        ax_h.hist(
            h.ravel(),
            bins=bins,
            histtype="step",
            density=True,
            lw=1.5,
            color=cmap(l / max(len(acts) - 1, 1)),
            label=f"layer {l + 1}: std {stats.std[l]:.1e}, {sat_name} {stats.saturated[l]:.0%}",
        )
    ax_h.set_xlabel(f"{activation} output")
    ax_h.set_ylabel("density")
    ax_h.set_title(f"hidden-layer outputs at init ({init}, scale {scale:g})")
    ax_h.legend(fontsize=7)
    layers = np.arange(1, depth + 1)
    grads = np.maximum(stats.grad_activations, 1e-300)
    ax_g.semilogy(layers, grads, "o-", color=CLASS_COLORS[0])
    ax_g.set_ylim(*gradient_axis_limits(grads))
    ax_g.set_xticks(layers)
    ax_g.set_xlabel("hidden layer (the backward pass goes right to left)")
    ax_g.set_ylabel("RMS of dL/dh")
    ax_g.set_title("gradient reaching each layer")
    ax_g.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def init_scale_explorer() -> object:
    """Initialisation, scale and activation controls drawing :func:`plot_activation_statistics`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_activation_statistics,
        init=widgets.Dropdown(options=["xavier", "he", "uniform", "normal"], value="xavier", description="init"),
        scale=widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1, step=0.1, description="scale"),
        activation=widgets.Dropdown(options=["tanh", "relu", "sigmoid"], value="tanh", description="activation"),
    )
