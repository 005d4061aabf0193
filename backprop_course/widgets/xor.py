"""Notebook 05: a small MLP trained on XOR, what each hidden unit computes and how the output combines them."""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import data
from ..nn import MLP
from ..optim import History, train
from ..plots import CLASS_COLORS, plot_decision_boundary, predict_scores
from .common import _NUMPY_ACTIVATIONS, _count, figure_explorer
from .neurons import decision_line


def train_xor(
    hidden: int = 2,
    *,
    activation: str = "tanh",
    init: str = "uniform",
    scale: float = 1.0,
    seed: int = 0,
    steps: int = 300,
    lr: float = 0.5,
) -> tuple[MLP, History, np.ndarray]:
    """Train ``MLP(2, [hidden, 1])`` on the four XOR points with binary cross-entropy.

    The output is a raw score (a logit); class 1 is a positive score.

    Returns:
        ``(model, history, trajectory)``; ``trajectory[t, j]`` is hidden unit ``j``'s
        ``(w_1, w_2, b)`` after ``t`` updates (``t = 0``: the initial weights), shape
        ``(steps + 1, hidden, 3)``.
    """
    hidden = _count(hidden, "hidden", minimum=1)
    steps = _count(steps, "steps")
    X, y = data.xor()
    model = MLP(2, [hidden, 1], activation=activation, init=init, scale=scale, seed=seed)  # type: ignore[arg-type]

    def first_layer() -> np.ndarray:
        W, b = model.weights()[0]
        return np.column_stack([W, b])

    trajectory = [first_layer()]

    def record(step: int, m: MLP, h: History) -> None:
        trajectory.append(first_layer())

    history = train(model, X, y, loss="bce", steps=steps, lr=lr, callback=record)
    return model, history, np.array(trajectory).reshape(len(trajectory), hidden, 3)


def hidden_unit_outputs(model: MLP, points: np.ndarray) -> np.ndarray:
    """The first layer's outputs :math:`h_j = \\phi(\\mathbf w_j \\cdot \\mathbf x + b_j)` at each point.

    Returns an ``(M, hidden)`` array, computed with numpy from the model's current weights (no Values).
    """
    points = np.asarray(points, dtype=np.float64)
    W, b = model.weights()[0]
    return _NUMPY_ACTIVATIONS[model.layers[0].activation](points @ W.T + b)


def plot_hidden_units(model: MLP, X: np.ndarray, y: np.ndarray, title: str | None = None) -> Figure:
    """What each hidden unit of a 2-input, one-hidden-layer network computes, and how they combine.

    One panel per hidden unit: its output :math:`h_j(\\mathbf x)` over the plane and its line
    :math:`\\mathbf w_j \\cdot \\mathbf x + b_j = 0`. With exactly two hidden units, a panel
    shows the data in *hidden space* :math:`(h_1, h_2)` with the output neuron's line. The
    last panel is the whole network's decision boundary.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if len(model.layers) != 2 or model.nin != 2:
        raise ValueError(f"plot_hidden_units draws networks MLP(2, [hidden, 1]); got {model!r}")
    W, b = model.weights()[0]
    n_units = len(b)
    panels = n_units + (2 if n_units == 2 else 1)
    ncols = min(panels, 5)
    nrows = math.ceil(panels / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    flat = list(axes.ravel())
    pad = 0.5
    xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
    ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
    gx, gy = np.meshgrid(np.linspace(*xlim, 100), np.linspace(*ylim, 100))
    H = hidden_unit_outputs(model, np.column_stack([gx.ravel(), gy.ravel()]))
    activation = model.layers[0].activation
    bounds = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}

    def scatter(ax: Axes, P: np.ndarray) -> None:
        for label in np.unique(y):
            mask = y == label
            ax.scatter(
                P[mask, 0],
                P[mask, 1],
                s=45,
                color=CLASS_COLORS[int(label)],
                edgecolor="k",
                linewidth=0.6,
                label=f"class {label}",
                zorder=3,
            )

    for j in range(n_units):
        ax = flat[j]
        vmin, vmax = bounds.get(activation, (float(H[:, j].min()), float(H[:, j].max()) + 1e-9))
        ax.pcolormesh(gx, gy, H[:, j].reshape(gx.shape), cmap="coolwarm", vmin=vmin, vmax=vmax, shading="auto")
        line = decision_line(W[j, 0], W[j, 1], b[j], xlim, ylim)
        if line is not None:
            ax.plot(line[:, 0], line[:, 1], color="k", lw=2)
        scatter(ax, X)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        formula = f"{W[j, 0]:.2f}x₁ {_signed(W[j, 1])}x₂ {_signed(b[j])}"
        ax.set_title(f"hidden unit {j + 1}: {activation}({formula})", fontsize=8)
    k = n_units
    if n_units == 2:
        ax = flat[k]
        Hx = hidden_unit_outputs(model, X)
        scatter(ax, Hx)
        (V, c) = model.weights()[1]
        lo_h, hi_h = bounds.get(activation, (float(Hx.min()) - 0.5, float(Hx.max()) + 0.5))
        lim = (lo_h - 0.15, hi_h + 0.15)
        line = decision_line(V[0, 0], V[0, 1], c[0], lim, lim)
        if line is not None:
            ax.plot(line[:, 0], line[:, 1], color="k", lw=2, label="output neuron's line")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_xlabel("$h_1$")
        ax.set_ylabel("$h_2$")
        ax.set_title("the data in hidden space $(h_1, h_2)$", fontsize=9)
        ax.legend(fontsize=7, loc="best")
        k += 1
    plot_decision_boundary(model, X, y, ax=flat[k], resolution=100, title="the network: output > 0")
    for ax in flat[k + 1 :]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _signed(x: float) -> str:
    """``x`` as ``+ 1.23`` or ``- 1.23``, for writing a formula."""
    return f"{'-' if x < 0 else '+'} {abs(x):.2f}"


def xor_hidden_units_figure(hidden: int = 2, seed: int = 1, steps: int = 300, lr: float = 0.5) -> Figure:
    """Train :func:`train_xor` and draw :func:`plot_hidden_units`, the final loss and accuracy in the title."""
    model, _, _ = train_xor(hidden, seed=seed, steps=steps, lr=lr)
    X, y = data.xor()
    loss, acc = bce_and_accuracy(model, X, y)
    title = f"MLP(2, [{hidden}, 1]), seed {seed}, {steps} steps: loss {loss:.4f}, accuracy {acc:.2f}"
    return plot_hidden_units(model, X, y, title=title)


def bce_and_accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Binary cross-entropy (from the model's output logits) and accuracy (class 1 = positive score), with numpy.

    :math:`\\ell = \\frac1n \\sum_i \\log(1 + e^{z_i}) - y_i z_i`, the same loss as
    :func:`backprop_course.losses.binary_cross_entropy`.
    """
    z = np.asarray(predict_scores(model, X), dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64)
    if z.shape != y.shape:
        raise ValueError(f"the model gives {z.size} scores for {y.size} labels; X and y must have the same rows")
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return loss, float(np.mean((z > 0) == (y == 1)))


def xor_explorer() -> object:
    """Sliders for hidden width, seed, steps and learning rate: retrains and draws :func:`xor_hidden_units_figure`."""
    import ipywidgets as widgets

    def slider(cls: Callable[..., object], **kw: object) -> object:
        return cls(continuous_update=False, **kw)

    return figure_explorer(
        xor_hidden_units_figure,
        hidden=slider(widgets.IntSlider, value=2, min=1, max=6, description="hidden units"),
        seed=slider(widgets.IntSlider, value=1, min=0, max=20, description="seed"),
        steps=slider(widgets.IntSlider, value=300, min=0, max=1000, step=50, description="steps"),
        lr=slider(widgets.FloatSlider, value=0.5, min=0.05, max=2.0, step=0.05, description="lr"),
    )
