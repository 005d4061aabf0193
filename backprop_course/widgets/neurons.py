"""Notebook 03: one 2-input neuron, its output over the plane, its decision line and weight vector."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from .. import data
from ..plots import CLASS_COLORS
from .common import _NUMPY_ACTIVATIONS
from .live import FigureView, view_explorer

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


class NeuronView(FigureView):
    """The picture of :func:`plot_neuron`, redrawn in place for each weight, activation and data set."""

    figsize = (5.6, 4.6)
    resolution = 120

    def build(self) -> None:
        self.ax = ax = self.figure.subplots()
        self.mesh = ax.imshow(
            np.zeros((2, 2)), origin="lower", cmap="coolwarm", alpha=0.6, aspect="auto", interpolation="nearest"
        )
        self.colorbar = self.figure.colorbar(self.mesh, ax=ax, label="neuron output")
        (self.line,) = ax.plot([], [], color="k", lw=2, label="decision line z = 0")
        self.no_line = ax.text(
            0.5, 0.95, "w = 0: no line, z = b everywhere", transform=ax.transAxes, ha="center", va="top"
        )
        self.arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0), arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"})
        self.arrow_label = ax.text(0, 0, " w", fontsize=11, va="center")
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        self.points: list[object] = []
        self.dataset: str | None = None
        self.activation: str | None = None

    def moving_artists(self) -> list[object]:
        # the axes keep their limits for a data set; the colour bar follows the activation's range
        ax = self.ax
        return [
            self.mesh,
            *self.points,
            self.line,
            self.no_line,
            self.arrow,
            self.arrow_label,
            ax.get_legend(),
            ax.title,
            self.colorbar.ax,
        ]

    def _show_dataset(self, dataset: str) -> None:
        X, y = NEURON_DATASETS[dataset]()
        for points in self.points:
            points.remove()  # type: ignore[attr-defined]
        self.points = [
            self.ax.scatter(
                X[y == label, 0],
                X[y == label, 1],
                s=40,
                color=CLASS_COLORS[label],
                edgecolor="k",
                linewidth=0.6,
                label=f"class {label}",
                zorder=3,
            )
            for label in (0, 1)
        ]
        pad = 0.6
        self.xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
        self.ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
        gx, gy = np.meshgrid(np.linspace(*self.xlim, self.resolution), np.linspace(*self.ylim, self.resolution))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.mesh.set_extent((*self.xlim, *self.ylim))
        self.ax.set_xlim(self.xlim)
        self.ax.set_ylim(self.ylim)
        self.ax.legend(fontsize=8, loc="lower left")
        self.X, self.y = X, y
        self.dataset = dataset
        self.rebuilt()  # new points and limits

    def draw(
        self, w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "sigmoid", dataset: str = "AND"
    ) -> None:
        if dataset not in NEURON_DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(NEURON_DATASETS)}")
        if dataset != self.dataset:
            self._show_dataset(dataset)
        X, y, xlim, ylim = self.X, self.y, self.xlim, self.ylim
        _, a = neuron_output(self.grid, w1, w2, b, activation)
        self.mesh.set_data(a.reshape(self.resolution, self.resolution))
        bounds = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
        self.mesh.set_clim(*bounds.get(activation, (float(a.min()), float(a.max()) + 1e-9)))
        if activation != self.activation:
            self.colorbar.set_label(f"neuron output {activation}(z)")
            self.activation = activation
        line = decision_line(w1, w2, b, xlim, ylim)
        self.no_line.set_visible(line is None)
        for artist in (self.line, self.arrow, self.arrow_label):
            artist.set_visible(line is not None)
        if line is not None:
            self.line.set_data(line[:, 0], line[:, 1])
            # the arrow w starts at the point of the line nearest the box centre
            centre = np.array([sum(xlim) / 2, sum(ylim) / 2])
            w = np.array([w1, w2], dtype=np.float64)
            foot = centre - (w @ centre + b) / (w @ w) * w
            length = 0.25 * min(xlim[1] - xlim[0], ylim[1] - ylim[0])
            tip = foot + length * w / np.linalg.norm(w)
            self.arrow.xy = tuple(tip)
            self.arrow.set_position(tuple(foot))
            self.arrow_label.set_position(tuple(tip))
        z, _ = neuron_output(X, w1, w2, b, activation)
        right = int(np.sum((z > 0) == (y == 1)))
        self.ax.set_title(f"{dataset}: w = ({w1:.2g}, {w2:.2g}), b = {b:.2g}; {right} of {len(y)} points right")


def plot_neuron(
    w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "sigmoid", dataset: str = "AND"
) -> Figure:
    """One neuron's output over the plane, its decision line z = 0 and its weight vector, on a data set.

    The background is the activation :math:`\\phi(\\mathbf w \\cdot \\mathbf x + b)`; the
    solid line is :math:`z = 0`, the arrow is :math:`\\mathbf w` (pointing to where z grows).
    The title counts the points on the right side (class 1 where z > 0).
    """
    return NeuronView(pyplot=True).update(w1=w1, w2=w2, b=b, activation=activation, dataset=dataset)


def neuron_explorer() -> object:
    """Sliders for a 2-input neuron's weights and bias, drawing :func:`plot_neuron` (live while dragging)."""
    import ipywidgets as widgets

    def slider(value: float, name: str) -> object:
        return widgets.FloatSlider(value=value, min=-3.0, max=3.0, step=0.1, description=name)

    return view_explorer(
        NeuronView(),
        {
            "w1": slider(1.0, "w1"),
            "w2": slider(1.0, "w2"),
            "b": slider(-1.5, "b"),
            "activation": widgets.Dropdown(options=list(_NUMPY_ACTIVATIONS), value="sigmoid", description="activation"),
            "dataset": widgets.Dropdown(options=list(NEURON_DATASETS), value="AND", description="data"),
        },
    )
