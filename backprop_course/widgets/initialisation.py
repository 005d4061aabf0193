"""Notebook 06: initialisation: symmetric weights never break apart, and the init scale sets activation spread.

Symmetry breaking: :func:`symmetry_figure` trains the XOR network of :mod:`.xor` from a
constant or a random start and follows each hidden unit's weights. Scale:
:func:`activation_statistics` measures the activations and gradients of a deep network at
initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .. import data
from ..nn import INITS, init_weights
from ..plots import CLASS_COLORS, scatter_classes
from .common import _NUMPY_ACTIVATIONS, _count, _positive
from .live import FigureView, view_explorer
from .precompute import XorGridTrainer
from .xor import train_xor


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


class SymmetryView(FigureView):
    """The picture of :func:`symmetry_figure` from a run's hidden-weight trajectory and final weights."""

    figsize = (16.0, 3.6)
    resolution = 100

    def build(self) -> None:
        self.axes = axes = self.figure.subplots(1, 4)
        X, y = data.xor()
        pad = 0.5
        lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], self.resolution), np.linspace(lo[1], hi[1], self.resolution))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        for ax, name in zip(axes[:3], ("$w_1$ (from $x_1$)", "$w_2$ (from $x_2$)", "$b$ (bias)")):
            ax.set_title(name)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
        self.lines: list[list[Any]] = [[], [], []]
        self.regions = axes[3].imshow(
            np.zeros((2, 2)),
            origin="lower",
            extent=(lo[0], hi[0], lo[1], hi[1]),
            cmap=ListedColormap(CLASS_COLORS[:2]),
            vmin=0,
            vmax=1,
            alpha=0.25,
            aspect="auto",
            interpolation="nearest",
        )
        scatter_classes(axes[3], X, y)
        axes[3].set_xlabel("$x_1$")
        axes[3].set_ylabel("$x_2$")
        axes[3].legend(loc="best", fontsize=8)
        self.suptitle = self.figure.suptitle("")
        self.X, self.y = X, y

    def moving_artists(self) -> list[Any]:
        if not self.lines[0]:
            return []
        scatter = self.axes[3]
        titles = [scatter.title, self.suptitle]
        legends = [ax.get_legend() for ax in (self.axes[0], scatter) if ax.get_legend() is not None]
        lines = [line for per_panel in self.lines for line in per_panel]
        return [*lines, self.regions, *scatter.collections, *legends, *titles]

    def _units(self, n_units: int) -> None:
        """Show ``n_units`` lines per panel: lines are made once and hidden when not needed."""
        for k, ax in enumerate(self.axes[:3]):
            while len(self.lines[k]) < n_units:
                j = len(self.lines[k])
                color = CLASS_COLORS[j % len(CLASS_COLORS)]
                self.lines[k].append(ax.plot([], [], color=color, label=f"unit {j + 1}")[0])
            for j, line in enumerate(self.lines[k]):
                line.set_visible(j < n_units)
                line.set_linewidth(1.2 + 2.5 * (n_units - 1 - j) / max(n_units - 1, 1))
        self.axes[0].legend(handles=self.lines[0][:n_units], fontsize=7)
        self.n_units = n_units
        self.rebuilt()

    def draw(
        self,
        trajectory: np.ndarray,
        weights: list[tuple[np.ndarray, np.ndarray]],
        title: str,
        xlim: tuple[float, float] | None = None,
        ylims: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        """``trajectory``: ``(steps + 1, hidden, 3)``; ``weights``: the final ``[(W, b), (V, c)]``.

        ``xlim`` and ``ylims`` (one per weight panel) fix the panels' limits (an explorer: fixed
        while the seed and steps sliders move, so those frames are blitted); by default they fit the data.
        """
        T = np.asarray(trajectory)
        if getattr(self, "n_units", None) != T.shape[1]:
            self._units(T.shape[1])
        steps = np.arange(T.shape[0])
        for k, ax in enumerate(self.axes[:3]):
            for j, line in enumerate(self.lines[k][: T.shape[1]]):
                line.set_data(steps, T[:, j, k])
            if ylims is None:
                lo, hi = float(T[:, :, k].min()), float(T[:, :, k].max())
                margin = 0.05 * (hi - lo) + 1e-3
                ylim = (lo - margin, hi + margin)
            else:
                ylim = ylims[k]
            right = max(T.shape[0] - 1, 1)
            limits = (xlim if xlim is not None else (-0.05 * right, 1.05 * right), ylim)
            if (ax.get_xlim(), ax.get_ylim()) != limits:
                ax.set_xlim(limits[0])
                ax.set_ylim(limits[1])
                self.invalidate()
        (W, b), (V, c) = weights
        scores = np.tanh(self.grid @ W.T + b) @ V[0] + c[0]
        self.regions.set_data((scores > 0).reshape(self.resolution, self.resolution).astype(float))
        z = np.tanh(self.X @ W.T + b) @ V[0] + c[0]
        loss = float(np.mean(np.logaddexp(0.0, z) - self.y * z))
        acc = float(np.mean((z > 0) == (self.y == 1)))
        self.axes[3].set_title(f"loss {loss:.3f}, accuracy {acc:.2f}")
        self.suptitle.set_text(title)


def _symmetry_title(init: str, scale: float, hidden: int, distinct: int, steps: int) -> str:
    return f"init={init!r}, scale={scale:g}, {hidden} hidden units: {distinct} distinct after {steps} steps"


def symmetry_figure(
    init: str = "constant", scale: float = 0.5, hidden: int = 4, seed: int = 0, steps: int = 300, lr: float = 0.5
) -> Figure:
    """Train :func:`train_xor` with the given initialisation; draw the hidden units' weights and the result."""
    model, _, trajectory = train_xor(hidden, init=init, scale=scale, seed=seed, steps=steps, lr=lr)
    title = _symmetry_title(init, scale, hidden, count_distinct_units(trajectory[-1]), steps)
    return SymmetryView(pyplot=True).update(trajectory=trajectory, weights=model.weights(), title=title)


def init_explorer() -> object:
    """Pick the initialisation (constant or random), its scale and the seed; draws :func:`symmetry_figure`.

    Each (init, scale, width) trains its 21 seeds at once (about as quick as one), as far as the
    steps slider has gone, every step kept (:class:`~backprop_course.widgets.precompute.XorGridTrainer`),
    so the seed slider only looks the run up.
    """
    import ipywidgets as widgets

    view = SymmetryView()
    seeds, widths, max_steps, lr = 21, 6, 1000, 0.5
    trainers: dict[tuple[str, float, int], XorGridTrainer] = {}

    def update(init: str, scale: float, hidden: int, seed: int, steps: int) -> None:
        key = (init, round(float(scale), 10), int(hidden))
        if key not in trainers:  # every seed of this width at once
            trainers[key] = XorGridTrainer.of_seeds(
                hidden, range(seeds), lr, loss="bce", every=1, init=init, record_loss=False, scale=scale
            )
        trainer = trainers[key]
        T = trainer.trajectory(seed, steps)  # trained only as far as the steps slider has gone
        title = _symmetry_title(init, scale, hidden, count_distinct_units(T[-1]), steps)
        view.update(
            trajectory=T,
            weights=trainer.weights(seed, steps),
            title=title,
            xlim=(-0.05 * max_steps, 1.05 * max_steps),
            ylims=weight_ranges(key),
        )

    ranges: dict[tuple[str, float, int], list[tuple[float, float]]] = {}
    ranged_to: dict[tuple[str, float, int], int] = {}

    def weight_ranges(key: tuple[str, float, int]) -> list[tuple[float, float]]:
        """Each weight panel's range over every seed and trained step of this width, with room to
        spare: it stays put while the seed slider moves, and grows only when training leaves it."""
        trainer = trainers[key]
        if ranged_to.get(key) != trainer.step:
            first = ranged_to.get(key, -1) + 1  # the steps not looked at yet
            units = trainer.units(slice(None), key[2], trainer.step)[first:]  # (steps, seeds, hidden, 3)
            found = list(ranges.get(key, []))
            with np.errstate(invalid="ignore"):
                for panel in range(3):
                    values = units[..., panel]
                    finite = values[np.isfinite(values)]
                    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
                    if panel < len(found):
                        old_lo, old_hi = found[panel]
                        if old_lo <= lo and hi <= old_hi:
                            continue
                        lo, hi = min(lo, old_lo), max(hi, old_hi)
                    margin = 0.15 * (hi - lo) + 1e-3  # room to grow into before the limits must move
                    limits = (lo - margin, hi + margin)
                    if panel < len(found):
                        found[panel] = limits
                    else:
                        found.append(limits)
            ranges[key], ranged_to[key] = found, trainer.step
        return ranges[key]

    return view_explorer(
        view,
        {
            "init": widgets.Dropdown(
                options=["constant", "uniform", "xavier", "normal"], value="constant", description="init"
            ),
            "scale": widgets.FloatLogSlider(
                value=0.5, base=10, min=-2, max=1, step=0.1, description="scale", continuous_update=False
            ),
            "hidden": widgets.IntSlider(value=4, min=1, max=widths, description="hidden units"),
            "seed": widgets.IntSlider(value=0, min=0, max=seeds - 1, description="seed"),
            "steps": widgets.IntSlider(value=300, min=0, max=max_steps, step=50, description="steps"),
        },
        update,
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


class ActivationStatisticsView(FigureView):
    """The picture of :func:`plot_activation_statistics`, redrawn in place (a fixed depth)."""

    figsize = (12.0, 3.8)

    def __init__(self, depth: int = 6, *, pyplot: bool = False) -> None:
        self.depth = _count(depth, "depth", minimum=1)
        super().__init__(pyplot=pyplot)

    def build(self) -> None:
        self.ax_h, self.ax_g = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        cmap = plt.get_cmap("viridis")
        self.hists = [
            self.ax_h.plot([], [], lw=1.5, color=cmap(l / max(self.depth - 1, 1)), label=f"layer {l + 1}")[0]
            for l in range(self.depth)
        ]
        self.ax_h.set_ylabel("density")
        self.legend = self.ax_h.legend(fontsize=7)
        layers = np.arange(1, self.depth + 1)
        (self.grads,) = self.ax_g.semilogy(layers, np.ones(self.depth), "o-", color=CLASS_COLORS[0])
        self.ax_g.set_xticks(layers)
        self.ax_g.set_xlabel("hidden layer (the backward pass goes right to left)")
        self.ax_g.set_ylabel("RMS of dL/dh")
        self.ax_g.set_title("gradient reaching each layer")
        self.ax_g.grid(alpha=0.3, which="both")

    def draw(
        self, init: str = "xavier", scale: float = 1.0, activation: str = "tanh", depth: int = 6, width: int = 64
    ) -> None:
        if depth != self.depth:
            raise ValueError(f"this view draws {self.depth} layers, got depth={depth}")
        stats = activation_statistics(init, scale, activation, depth, width)
        acts = stats.activations
        bounds = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
        lo, hi = bounds.get(activation, (0.0, max(float(max(h.max() for h in acts)), 1e-6)))
        bins = np.linspace(lo, hi, 61)
        sat_name = "dead" if activation == "relu" else "saturated"
        top = 0.0
        for l, (h, line, text) in enumerate(zip(acts, self.hists, self.legend.get_texts())):
            density, _ = np.histogram(h.ravel(), bins=bins, density=True)
            line.set_data(np.repeat(bins, 2)[1:-1], np.repeat(density, 2))  # a step outline, as hist(histtype="step")
            top = max(top, float(density.max()))
            text.set_text(f"layer {l + 1}: std {stats.std[l]:.1e}, {sat_name} {stats.saturated[l]:.0%}")
        self.ax_h.set_xlim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
        self.ax_h.set_ylim(0.0, 1.05 * top)
        self.ax_h.set_xlabel(f"{activation} output")
        self.ax_h.set_title(f"hidden-layer outputs at init ({init}, scale {scale:g})")
        g = np.maximum(stats.grad_activations, 1e-300)
        self.grads.set_ydata(g)
        self.ax_g.set_ylim(*gradient_axis_limits(g))


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
    view = ActivationStatisticsView(depth, pyplot=True)
    return view.update(init=init, scale=scale, activation=activation, depth=depth, width=width)


def init_scale_explorer() -> object:
    """Initialisation, scale and activation controls drawing :func:`plot_activation_statistics`, live while dragging."""
    import ipywidgets as widgets

    return view_explorer(
        ActivationStatisticsView(),
        {
            "init": widgets.Dropdown(options=["xavier", "he", "uniform", "normal"], value="xavier", description="init"),
            "scale": widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1, step=0.1, description="scale"),
            "activation": widgets.Dropdown(options=["tanh", "relu", "sigmoid"], value="tanh", description="activation"),
        },
    )
