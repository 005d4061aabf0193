"""Notebook 07: local minima: descent on a bumpy 1-D loss, and XOR runs that solve it or get stuck by seed."""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from .. import data, matrix_mlp
from ..optim import History
from ..plots import CLASS_COLORS, scatter_classes
from .common import _count, _positive
from .live import FigureView, view_explorer
from .precompute import XorGridTrainer


def bumpy_loss(w: float | np.ndarray) -> float | np.ndarray:
    """A 1-D non-convex loss with two minima: :math:`f(w) = (w^2 - 1)^2 + 0.3\\,w`.

    The tilt :math:`0.3\\,w` makes the left minimum (near :math:`w = -1.04`) the global one and
    the right minimum (near :math:`w = 0.96`) only local; a hump (a local maximum, near
    :math:`w = 0.075`) separates their basins.
    """
    w = np.asarray(w, dtype=np.float64)
    return (w * w - 1.0) ** 2 + 0.3 * w


def bumpy_loss_grad(w: float | np.ndarray) -> float | np.ndarray:
    """:math:`f'(w) = 4w(w^2 - 1) + 0.3`, the derivative of :func:`bumpy_loss`."""
    w = np.asarray(w, dtype=np.float64)
    return 4.0 * w * (w * w - 1.0) + 0.3


def bumpy_descent(w0: float, lr: float = 0.02, steps: int = 100, momentum: float = 0.0) -> np.ndarray:
    """Gradient descent (with optional momentum) on :func:`bumpy_loss` from ``w0``.

    Each step, as :class:`backprop_course.optim.SGD` does it:
    :math:`v \\leftarrow \\mu v - \\eta f'(w)`, :math:`w \\leftarrow w + v` (plain descent when
    :math:`\\mu = 0`). Plain descent with a small step ends in the minimum of the basin it
    starts in; momentum can carry it over the hump into the other basin.

    Returns:
        ``steps + 1`` iterates :math:`w_0, \\dots, w_{\\text{steps}}` (``inf``/``nan`` once a
        too-large learning rate has made them leave the float64 range).
    """
    lr = _positive(lr, "lr")
    steps = _count(steps, "steps")
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    path = np.empty(steps + 1)
    w, v = float(w0), 0.0
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            v = momentum * v - lr * float(bumpy_loss_grad(w))
            w = w + v
            path[t] = w
    return path


class BumpyDescentView(FigureView):
    """The picture of :func:`plot_bumpy_descent`, redrawn in place."""

    figsize = (6.0, 3.5)

    def build(self) -> None:
        self.ax = ax = self.figure.subplots()
        ws = np.linspace(-2.2, 2.2, 400)
        ax.plot(ws, bumpy_loss(ws), color="0.2", label="loss")
        (self.path,) = ax.plot([], [], "o-", color=CLASS_COLORS[1], ms=4, lw=1, label="descent path")
        (self.last,) = ax.plot([], [], "*", color=CLASS_COLORS[3], ms=12, label="last step")
        ax.set_xlim(-2.2 - 0.22, 2.2 + 0.22)
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)

    def draw(self, w0: float = 1.8, lr: float = 0.02, momentum: float = 0.0, steps: int = 100) -> None:
        path = bumpy_descent(w0, lr, steps, momentum)
        finite = path[np.isfinite(path) & (np.abs(path) < 3.0)]
        self.path.set_data(finite, bumpy_loss(finite))
        self.last.set_data(finite[-1:], bumpy_loss(finite[-1:]))
        self.ax.set_ylim(-0.6, min(12.0, max(4.0, 1.1 * float(bumpy_loss(w0)))))
        end = path[-1]
        if not np.isfinite(end) or abs(end) > 3.0:
            verdict = "diverged: the steps overshoot further and further"
        elif end < 0.0754:  # the hump between the basins
            verdict = f"ended at w = {end:.3f}, the global minimum"
        else:
            verdict = f"ended at w = {end:.3f}, the local (not global) minimum"
        self.ax.set_title(f"start w0 = {w0:g}, lr = {lr:g}, momentum = {momentum:g}: {verdict}", fontsize=9)


def plot_bumpy_descent(w0: float = 1.8, lr: float = 0.02, momentum: float = 0.0, steps: int = 100) -> Figure:
    """:func:`bumpy_loss` with the descent path of :func:`bumpy_descent`; the title names where it ended."""
    return BumpyDescentView(pyplot=True).update(w0=w0, lr=lr, momentum=momentum, steps=steps)


def bumpy_descent_explorer() -> object:
    """Sliders for the start, learning rate and momentum, drawing :func:`plot_bumpy_descent`."""
    import ipywidgets as widgets

    return view_explorer(
        BumpyDescentView(),
        {
            "w0": widgets.FloatSlider(value=1.8, min=-2.0, max=2.0, step=0.05, description="start w0"),
            "lr": widgets.FloatLogSlider(value=0.02, base=10, min=-3, max=-0.5, step=0.1, description="lr"),
            "momentum": widgets.FloatSlider(value=0.0, min=0.0, max=0.95, step=0.05, description="momentum"),
        },
    )


def xor_run(
    seed: int, hidden: int = 2, momentum: float = 0.0, steps: int = 2000, lr: float = 0.5
) -> tuple[matrix_mlp.MatrixMLP, History]:
    """Train ``MatrixMLP(2, [hidden, 1])`` on XOR from ``seed``: the set-up of notebook 07.

    Tanh hidden units, a sigmoid output, mean squared error on 0/1 targets, full-batch
    gradient descent: the defaults of :func:`backprop_course.matrix_mlp.xor_success_rate`.

    The same run, step for step, as the scalar ``MLP`` of the same seed trained with
    :func:`backprop_course.optim.train`, and as run ``seed`` of
    :func:`backprop_course.matrix_mlp.xor_success_rate` (vectorised here so a slider is quick).

    Returns:
        ``(model, history)``: the trained :class:`~backprop_course.matrix_mlp.MatrixMLP` and
        the loss and accuracy of every step.
    """
    hidden = _count(hidden, "hidden", minimum=1)
    X, y = data.xor()
    model = matrix_mlp.MatrixMLP(
        2, [hidden, 1], activation="tanh", output_activation="sigmoid", seed=_count(seed, "seed")
    )
    history = matrix_mlp.train(model, X, y, loss="mse", steps=_count(steps, "steps"), lr=lr, momentum=momentum)
    return model, history


class XorRunView(FigureView):
    """The picture of :func:`plot_xor_run`: decision regions (left), loss curve (right), redrawn in place."""

    figsize = (10.0, 4.0)
    resolution = 120

    def build(self) -> None:
        self.ax_b, self.ax_l = ax_b, ax_l = self.figure.subplots(1, 2)
        X, y = data.xor()
        pad = 0.5
        lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], self.resolution), np.linspace(lo[1], hi[1], self.resolution))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.regions = ax_b.imshow(
            np.zeros((self.resolution, self.resolution)),
            origin="lower",
            extent=(lo[0], hi[0], lo[1], hi[1]),
            # the output probability itself, class 0's colour through white (0.5) to class 1's, as
            # plots.plot_decision_boundary(probability=True): an undecided network shows pale
            cmap=LinearSegmentedColormap.from_list("two_classes", [CLASS_COLORS[0], "white", CLASS_COLORS[1]]),
            vmin=0,
            vmax=1,
            alpha=0.6,
            aspect="auto",
            interpolation="bilinear",
        )
        self.figure.colorbar(self.regions, ax=ax_b, label="output", ticks=[0.0, 0.25, 0.5, 0.75, 1.0])
        scatter_classes(ax_b, X, y)
        ax_b.set_xlabel("$x_1$")
        ax_b.set_ylabel("$x_2$")
        ax_b.legend(loc="best", fontsize=8)
        (self.curve,) = ax_l.loglog([1, 2], [1, 1], color=CLASS_COLORS[0])
        ax_l.set_xlabel("step")
        ax_l.set_ylabel("loss (MSE)")
        ax_l.set_ylim(1e-5, 1.0)  # an MSE of outputs in (0, 1): at most 1; a solved run ends near 1e-3
        ax_l.yaxis.set_minor_formatter(NullFormatter())
        ax_l.grid(alpha=0.3, which="both")
        self.suptitle = self.figure.suptitle("", fontsize=10)
        self.X, self.y = X, y
        self.points = ax_b.collections[:]

    def moving_artists(self) -> list[object]:
        titles = [self.ax_b.title, self.ax_l.title, self.suptitle]
        return [self.regions, *self.points, self.ax_b.get_legend(), self.curve, *titles]

    def draw_run(self, seed: int, hidden: int, momentum: float, model: matrix_mlp.MatrixMLP, loss: np.ndarray) -> None:
        """Show a trained run: its model and the loss of every step."""
        out = model(self.X)[:, 0]
        solved = bool(np.all((out > 0.5) == (self.y == 1)))
        self.regions.set_data(model(self.grid)[:, 0].reshape(self.resolution, self.resolution))
        self.ax_b.set_title(f"seed {seed}: outputs " + ", ".join(f"{o:.2f}" for o in out), fontsize=9)
        steps = np.arange(1, len(loss) + 1)
        self.curve.set_data(steps, loss)
        if self.ax_l.get_xlim()[1] != len(loss) * 1.25:  # fixed limits: the log ticks are laid out once
            self.ax_l.set_xlim(0.8, len(loss) * 1.25)
            self.invalidate()
        verdict = "solved" if solved else "stuck"
        self.ax_l.set_title(f"{verdict}: final loss {loss[-1]:.4f}", fontsize=10)
        self.suptitle.set_text(
            f"MLP 2-{hidden}-1 (tanh, sigmoid output, MSE), momentum {momentum:g}, {len(loss)} steps"
        )

    def draw(self, seed: int = 0, hidden: int = 2, momentum: float = 0.0, steps: int = 2000, lr: float = 0.5) -> None:
        model, history = xor_run(seed, hidden, momentum, _count(steps, "steps", minimum=1), lr)
        self.draw_run(seed, hidden, momentum, model, np.asarray(history.loss))


def plot_xor_run(seed: int = 0, hidden: int = 2, momentum: float = 0.0, steps: int = 2000, lr: float = 0.5) -> Figure:
    """One XOR run of :func:`xor_run`: its decision boundary (left) and loss curve (right).

    The title says whether the run solved XOR (all four points on the right side of
    the output 0.5) or got stuck, with the final loss.
    """
    return XorRunView(pyplot=True).update(seed=seed, hidden=hidden, momentum=momentum, steps=steps, lr=lr)


class _XorSeedRuns:
    """The XOR explorer's runs, trained on demand in chunks of seeds per (hidden, momentum).

    A chunk of ``chunk`` consecutive seeds trains together the first time one of them is shown
    (:class:`~backprop_course.widgets.precompute.XorGridTrainer`: ten runs cost about as much
    as one), so a new width or momentum trains only the chunk of the seed shown, and the seed
    slider looks runs up, training the next chunk when it first reaches it.
    """

    def __init__(self, seeds: int, steps: int = 2000, lr: float = 0.5, chunk: int = 10) -> None:
        self.seeds, self.steps, self.lr, self.chunk = seeds, steps, lr, chunk
        self.cache: dict[tuple[int, float, int], tuple[list[matrix_mlp.MatrixMLP], np.ndarray]] = {}

    def run(self, seed: int, hidden: int, momentum: float) -> tuple[matrix_mlp.MatrixMLP, np.ndarray]:
        first = seed - seed % self.chunk
        key = (int(hidden), float(momentum), first)
        if key not in self.cache:
            chunk = list(range(first, min(first + self.chunk, self.seeds)))
            S = len(chunk)
            trainer = XorGridTrainer.of_seeds(hidden, chunk, self.lr, momentum, loss="mse")
            trainer.advance(self.steps)
            models = [
                matrix_mlp.MatrixMLP.from_weights(trainer.weights(r, self.steps), "tanh", "sigmoid") for r in range(S)
            ]
            self.cache[key] = (models, trainer.loss())
        models, loss = self.cache[key]
        return models[seed - first], loss[:, seed - first]


def xor_seed_explorer(seed: int = 0, hidden: int = 2, momentum: float = 0.0) -> object:
    """A seed picker (with hidden width and momentum) drawing :func:`plot_xor_run`.

    Seeds train in chunks of ten per (hidden, momentum), the first time one of the chunk is
    shown (:class:`_XorSeedRuns`), so a new width or momentum trains ten runs, not 100, and the
    seed slider mostly looks runs up. The arguments are the controls' starting values (a notebook shows
    ``plot_xor_run`` with the same ones as the explorer's static picture).
    """
    import ipywidgets as widgets

    momenta = [0.0, 0.5, 0.9]
    if not (isinstance(seed, int) and 0 <= seed <= 99):
        raise ValueError(f"seed must be an int from 0 to 99 (the slider's range), got {seed!r}")
    if not (isinstance(hidden, int) and 1 <= hidden <= 8):
        raise ValueError(f"hidden must be an int from 1 to 8 (the slider's range), got {hidden!r}")
    if momentum not in momenta:
        raise ValueError(f"momentum must be one of {momenta} (the menu's options), got {momentum!r}")

    view = XorRunView()
    runs = _XorSeedRuns(100)

    def update(seed: int, hidden: int, momentum: float) -> None:
        model, loss = runs.run(seed, hidden, momentum)
        view.draw_run(seed, hidden, momentum, model, loss)
        view.lay_out()

    return view_explorer(
        view,
        {
            "seed": widgets.IntSlider(value=seed, min=0, max=99, description="seed"),
            "hidden": widgets.IntSlider(
                value=hidden, min=1, max=8, continuous_update=False, description="hidden units"
            ),
            "momentum": widgets.Dropdown(options=momenta, value=float(momentum), description="momentum"),
        },
        update,
    )
