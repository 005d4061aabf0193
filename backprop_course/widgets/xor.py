"""Notebook 05: a small MLP trained on XOR, what each hidden unit computes and how the output combines them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .. import data
from ..nn import MLP
from ..optim import History, train
from ..plots import CLASS_COLORS, predict_scores, scatter_classes
from .common import _NUMPY_ACTIVATIONS, _count
from .live import FigureView, image_explorer
from .neurons import decision_line
from .precompute import XorGridTrainer


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


_BOUNDS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


class HiddenUnitsView(FigureView):
    """The picture of :func:`plot_hidden_units` for a ``2-hidden-1`` network given by its weights.

    Rebuilt when the number of hidden units changes (the panels change), updated in place otherwise.
    """

    figsize = (3.6, 3.4)
    resolution = 100

    def __init__(self, X: np.ndarray, y: np.ndarray, *, pyplot: bool = False) -> None:
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y)
        super().__init__(pyplot=pyplot)

    def build(self) -> None:
        self.units = 0
        pad = 0.5
        X = self.X
        self.xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
        self.ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
        gx, gy = np.meshgrid(np.linspace(*self.xlim, self.resolution), np.linspace(*self.ylim, self.resolution))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])

    def moving_artists(self) -> list[object]:
        if not self.units:
            return []
        moving: list[object] = []
        for image, line in zip(self.maps, self.lines):
            ax = line.axes
            moving += [image, *ax.collections, line, ax.title]
        if self.hidden_ax is not None:
            moving += [*self.hidden_points, self.hidden_line]
        return [*moving, self.regions, *self.net_ax.collections, self.net_ax.get_legend(), self.suptitle]

    def _scatter(self, ax: Axes, P: np.ndarray) -> list[Any]:
        return [
            ax.scatter(
                P[self.y == label, 0],
                P[self.y == label, 1],
                s=45,
                color=CLASS_COLORS[int(label)],
                edgecolor="k",
                linewidth=0.6,
                label=f"class {label}",
                zorder=3,
            )
            for label in np.unique(self.y)
        ]

    def _panels(self, units: int, activation: str) -> None:
        """Make one panel per hidden unit, the hidden-space panel (two units), the network's panel."""
        fig = self.figure
        fig.clear()
        panels = units + (2 if units == 2 else 1)
        ncols = min(panels, 5)
        nrows = math.ceil(panels / ncols)
        width, height = 3.6 * ncols, 3.4 * nrows
        fig.set_size_inches(width, height)
        # margins fixed in inches (room for tick labels, titles and the suptitle): no tight_layout
        # pass when the number of panels changes, which would cost two extra draws
        margins = {"left": 0.55 / width, "right": 1 - 0.15 / width, "bottom": 0.5 / height, "top": 1 - 0.75 / height}
        flat = list(
            fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={**margins, "wspace": 0.3, "hspace": 0.45}).ravel()
        )
        extent = (*self.xlim, *self.ylim)
        self.maps, self.lines = [], []
        for j in range(units):
            ax = flat[j]
            vmin, vmax = _BOUNDS.get(activation, (0.0, 1.0))
            self.maps.append(
                ax.imshow(
                    np.zeros((2, 2)),
                    origin="lower",
                    extent=extent,
                    cmap="coolwarm",
                    vmin=vmin,
                    vmax=vmax,
                    aspect="auto",
                    interpolation="nearest",
                )
            )
            self.lines.append(ax.plot([], [], color="k", lw=2)[0])
            self._scatter(ax, self.X)
            ax.set_xlim(self.xlim)
            ax.set_ylim(self.ylim)
        k = units
        self.hidden_ax = None
        if units == 2:
            ax = self.hidden_ax = flat[k]
            self.hidden_points = self._scatter(ax, np.zeros((len(self.X), 2)))
            (self.hidden_line,) = ax.plot([], [], color="k", lw=2, label="output neuron's line")
            ax.set_xlabel("$h_1$")
            ax.set_ylabel("$h_2$")
            ax.set_title("the data in hidden space $(h_1, h_2)$", fontsize=9)
            ax.legend(fontsize=7, loc="best")
            k += 1
        ax = self.net_ax = flat[k]
        self.regions = ax.imshow(
            np.zeros((2, 2)),
            origin="lower",
            extent=extent,
            cmap=ListedColormap(CLASS_COLORS[:2]),
            vmin=0,
            vmax=1,
            alpha=0.25,
            aspect="auto",
            interpolation="nearest",
        )
        scatter_classes(ax, self.X, self.y)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="best", fontsize=8)
        ax.set_title("the network: output > 0")
        ax.set_xlim(self.xlim)
        ax.set_ylim(self.ylim)
        for ax in flat[k + 1 :]:
            ax.set_axis_off()
        self.suptitle = fig.suptitle("")
        self.units, self.activation = units, activation
        self._laid_out = True  # laid out by the margins above
        self.rebuilt()

    def draw(self, weights: list[tuple[np.ndarray, np.ndarray]], activation: str = "tanh", title: str = "") -> None:
        (W, b), (V, c) = weights
        units = len(b)
        if (units, activation) != (self.units, getattr(self, "activation", None)):
            self._panels(units, activation)
        act = _NUMPY_ACTIVATIONS[activation]
        H = act(self.grid @ W.T + b)
        for j in range(units):
            self.maps[j].set_data(H[:, j].reshape(self.resolution, self.resolution))
            if activation not in _BOUNDS:
                self.maps[j].set_clim(float(H[:, j].min()), float(H[:, j].max()) + 1e-9)
            line = decision_line(W[j, 0], W[j, 1], b[j], self.xlim, self.ylim)
            self.lines[j].set_visible(line is not None)
            if line is not None:
                self.lines[j].set_data(line[:, 0], line[:, 1])
            formula = f"{W[j, 0]:.2f}x₁ {_signed(W[j, 1])}x₂ {_signed(b[j])}"
            self.lines[j].axes.set_title(f"hidden unit {j + 1}: {activation}({formula})", fontsize=8)
        if self.hidden_ax is not None:
            Hx = act(self.X @ W.T + b)
            for label, points in zip(np.unique(self.y), self.hidden_points):
                points.set_offsets(Hx[self.y == label])
            lo_h, hi_h = _BOUNDS.get(activation, (float(Hx.min()) - 0.5, float(Hx.max()) + 0.5))
            lim = (lo_h - 0.15, hi_h + 0.15)
            line = decision_line(V[0, 0], V[0, 1], c[0], lim, lim)
            self.hidden_line.set_visible(line is not None)
            if line is not None:
                self.hidden_line.set_data(line[:, 0], line[:, 1])
            if self.hidden_ax.get_xlim() != lim:
                self.hidden_ax.set_xlim(lim)
                self.hidden_ax.set_ylim(lim)
                self.invalidate()
        scores = act(self.grid @ W.T + b) @ V[0] + c[0]
        self.regions.set_data((scores > 0).reshape(self.resolution, self.resolution).astype(float))
        self.suptitle.set_text(title)
        self.suptitle.set_visible(bool(title))


def plot_hidden_units(model: MLP, X: np.ndarray, y: np.ndarray, title: str | None = None) -> Figure:
    """What each hidden unit of a 2-input, one-hidden-layer network computes, and how they combine.

    One panel per hidden unit: its output :math:`h_j(\\mathbf x)` over the plane and its line
    :math:`\\mathbf w_j \\cdot \\mathbf x + b_j = 0`. With exactly two hidden units, a panel
    shows the data in *hidden space* :math:`(h_1, h_2)` with the output neuron's line. The
    last panel is the whole network's decision boundary.
    """
    if len(model.layers) != 2 or model.nin != 2:
        raise ValueError(f"plot_hidden_units draws networks MLP(2, [hidden, 1]); got {model!r}")
    view = HiddenUnitsView(X, y, pyplot=True)
    return view.update(weights=model.weights(), activation=model.layers[0].activation, title=title or "")


def _signed(x: float) -> str:
    """``x`` as ``+ 1.23`` or ``- 1.23``, for writing a formula."""
    return f"{'-' if x < 0 else '+'} {abs(x):.2f}"


def xor_hidden_units_figure(hidden: int = 2, seed: int = 1, steps: int = 300, lr: float = 0.5) -> Figure:
    """Train :func:`train_xor` and draw :func:`plot_hidden_units`, the final loss and accuracy in the title."""
    model, _, _ = train_xor(hidden, seed=seed, steps=steps, lr=lr)
    X, y = data.xor()
    loss, acc = bce_and_accuracy(model, X, y)
    return plot_hidden_units(model, X, y, title=_xor_title(hidden, seed, steps, loss, acc))


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


def _xor_title(hidden: int, seed: int, steps: int, loss: float, acc: float) -> str:
    return f"MLP(2, [{hidden}, 1]), seed {seed}, {steps} steps: loss {loss:.4f}, accuracy {acc:.2f}"


def xor_explorer() -> object:
    """Sliders for hidden width, seed, steps and learning rate, drawing :func:`xor_hidden_units_figure`.

    For each learning rate and width, all 21 seeds train at once (about as quick as one), as far
    as the steps slider has gone, with weights kept every 50 steps
    (:class:`~backprop_course.widgets.precompute.XorGridTrainer`, the same steps as
    :func:`train_xor`): a new learning rate trains only the width shown, and the seed slider only
    looks results up.
    """
    import ipywidgets as widgets

    X, y = data.xor()
    seeds, widths, max_steps = 21, 6, 1000
    # one view (one figure) per width, made now: moving the width slider switches figures
    views = {h: HiddenUnitsView(X, y) for h in range(1, widths + 1)}
    shown: list[HiddenUnitsView] = [views[2]]
    trainers: dict[tuple[float, int], XorGridTrainer] = {}
    box: list[Any] = []  # the explorer, once made

    def update(hidden: int, seed: int, steps: int, lr: float) -> None:
        key = (round(float(lr), 10), int(hidden))
        if key not in trainers:  # every seed of this width and learning rate at once
            trainers[key] = XorGridTrainer.of_seeds(hidden, range(seeds), lr, loss="bce", every=50, record_loss=False)
        # trained only as far as the steps slider has gone
        weights = trainers[key].weights(seed, steps)
        (W, b), (V, c) = weights
        z = np.tanh(X @ W.T + b) @ V[0] + c[0]
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
        acc = float(np.mean((z > 0) == (y == 1)))
        view = shown[0] = views[hidden]
        view.update(weights=weights, activation="tanh", title=_xor_title(hidden, seed, steps, loss, acc))
        if box:
            box[0].view = view

    for h, view in views.items():  # each figure laid out and drawn once, so that its first frame is quick
        view.blit()
        update(h, 1, 300, 0.5)
        view.render()
    box.append(
        image_explorer(
            views[2].figure,
            update,
            {
                "hidden": widgets.IntSlider(value=2, min=1, max=widths, description="hidden units"),
                "seed": widgets.IntSlider(value=1, min=0, max=seeds - 1, description="seed"),
                "steps": widgets.IntSlider(value=300, min=0, max=max_steps, step=50, description="steps"),
                "lr": widgets.FloatSlider(value=0.5, min=0.05, max=2.0, step=0.05, description="lr"),
            },
            render=lambda: shown[0].render(),
        )
    )
    box[0].view = shown[0]
    return box[0]
