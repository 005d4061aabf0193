"""Notebook 03: one 2-input neuron, its output over the plane, its decision line and weight vector."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .. import data
from ..plots import CLASS_COLORS
from .common import _NUMPY_ACTIVATIONS, figure_explorer

#: data sets for the neuron explorer of notebook 03: name -> function returning (X, y)
NEURON_DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "AND": data.and_gate,
    "OR": data.or_gate,
    "XOR": data.xor,
    "blobs": lambda: data.blobs(n=40, centers=np.array([[-1.0, -1.0], [1.0, 1.0]]), std=0.6, seed=0),
}


def decision_line(
    w1: float, w2: float, b: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> np.ndarray | None:
    """Two points of the line :math:`w_1 x_1 + w_2 x_2 + b = 0` spanning the box ``xlim`` x ``ylim``.

    The line is where the neuron's pre-activation :math:`z = \\mathbf w \\cdot \\mathbf x + b`
    is 0: its decision boundary. The weight vector :math:`\\mathbf w` is normal to it.

    Returns:
        A ``(2, 2)`` array ``[[x1, x2], [x1', x2']]``, or ``None`` when ``w = 0`` (then z
        is the constant ``b`` and there is no line). The points may lie outside the box
        along the line's other coordinate; plotting clips them.
    """
    w1, w2, b = float(w1), float(w2), float(b)
    if w1 == 0.0 and w2 == 0.0:
        return None
    if abs(w2) >= abs(w1):  # solve for x2: never divides by a tiny number
        x1 = np.array(xlim, dtype=np.float64)
        return np.column_stack([x1, -(w1 * x1 + b) / w2])
    x2 = np.array(ylim, dtype=np.float64)
    return np.column_stack([-(w2 * x2 + b) / w1, x2])


def neuron_output(
    X: np.ndarray, w1: float, w2: float, b: float, activation: str = "sigmoid"
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-input neuron on each row of ``X``: ``(z, a)``, :math:`z = w_1 x_1 + w_2 x_2 + b`, :math:`a = \\phi(z)`."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) for a 2-input neuron, got {X.shape}")
    if activation not in _NUMPY_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(_NUMPY_ACTIVATIONS)}")
    z = X @ np.array([w1, w2], dtype=np.float64) + float(b)
    return z, _NUMPY_ACTIVATIONS[activation](z)


def plot_neuron(
    w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "sigmoid", dataset: str = "AND"
) -> Figure:
    """One neuron's output over the plane, its decision line z = 0 and its weight vector, on a data set.

    The background is the activation :math:`\\phi(\\mathbf w \\cdot \\mathbf x + b)`; the
    solid line is :math:`z = 0`, the arrow is :math:`\\mathbf w` (pointing to where z grows).
    The title counts the points on the right side (class 1 where z > 0).
    """
    if dataset not in NEURON_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(NEURON_DATASETS)}")
    X, y = NEURON_DATASETS[dataset]()
    pad = 0.6
    xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
    ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
    gx, gy = np.meshgrid(np.linspace(*xlim, 120), np.linspace(*ylim, 120))
    _, a = neuron_output(np.column_stack([gx.ravel(), gy.ravel()]), w1, w2, b, activation)
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    bounds = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
    vmin, vmax = bounds.get(activation, (float(a.min()), float(a.max()) + 1e-9))
    mesh = ax.pcolormesh(gx, gy, a.reshape(gx.shape), cmap="coolwarm", vmin=vmin, vmax=vmax, shading="auto", alpha=0.6)
    fig.colorbar(mesh, ax=ax, label=f"neuron output {activation}(z)")
    for label in (0, 1):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=40,
            color=CLASS_COLORS[label],
            edgecolor="k",
            linewidth=0.6,
            label=f"class {label}",
        )
    line = decision_line(w1, w2, b, xlim, ylim)
    if line is None:
        ax.text(0.5, 0.95, "w = 0: no line, z = b everywhere", transform=ax.transAxes, ha="center", va="top")
    else:
        ax.plot(line[:, 0], line[:, 1], color="k", lw=2, label="decision line z = 0")
        # the arrow w starts at the point of the line nearest the box centre
        centre = np.array([sum(xlim) / 2, sum(ylim) / 2])
        w = np.array([w1, w2], dtype=np.float64)
        foot = centre - (w @ centre + b) / (w @ w) * w
        length = 0.25 * min(xlim[1] - xlim[0], ylim[1] - ylim[0])
        tip = foot + length * w / np.linalg.norm(w)
        ax.annotate("", xy=tuple(tip), xytext=tuple(foot), arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"})
        ax.text(tip[0], tip[1], " w", fontsize=11, va="center")
    z, _ = neuron_output(X, w1, w2, b, activation)
    right = int(np.sum((z > 0) == (y == 1)))
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"{dataset}: w = ({w1:.2g}, {w2:.2g}), b = {b:.2g}; {right} of {len(y)} points right")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def neuron_explorer() -> object:
    """Sliders for a 2-input neuron's weights and bias, drawing :func:`plot_neuron`."""
    import ipywidgets as widgets

    def slider(value: float, name: str) -> object:
        return widgets.FloatSlider(value=value, min=-3.0, max=3.0, step=0.1, continuous_update=False, description=name)

    return figure_explorer(
        plot_neuron,
        w1=slider(1.0, "w1"),
        w2=slider(1.0, "w2"),
        b=slider(-1.5, "b"),
        activation=widgets.Dropdown(options=list(_NUMPY_ACTIVATIONS), value="sigmoid", description="activation"),
        dataset=widgets.Dropdown(options=list(NEURON_DATASETS), value="AND", description="data"),
    )
