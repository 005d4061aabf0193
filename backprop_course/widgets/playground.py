"""Notebooks 05 and 09: a live training playground in the spirit of TensorFlow Playground.

A :class:`Playground` holds a 2-D data set and a :class:`~backprop_course.matrix_mlp.MatrixMLP`
and trains it a few steps at a time with :func:`backprop_course.matrix_mlp.train` (softmax
cross-entropy, mini-batch SGD, optional L2). :class:`PlaygroundView` draws its state into one
figure that is updated in place, fast enough for 15+ frames per second: the decision surface
(each pixel coloured by the predicted class probabilities, the points on top), one small map
per hidden unit (its activation over the plane) and the loss curve.

- :func:`playground_figure`: train a given number of steps and draw the result (the static
  picture a notebook stores; no kernel needed to see it);
- :func:`playground`: the widget: data set, noise, hidden layers and units, activation,
  learning rate, batch size, L2, seed; Play/Pause (a loop on the kernel's asyncio event loop,
  no background thread), Step, Reset.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from .. import data, matrix_mlp
from ..engine import TrainingDivergedError
from ..plots import CLASS_COLORS
from ..random_state import as_generator
from .common import _NUMPY_ACTIVATIONS, _count, _positive
from .live import Frames, new_figure, picture_widget, render_png

__all__ = [
    "PLAYGROUND_DATASETS",
    "Playground",
    "PlaygroundView",
    "playground",
    "playground_data",
    "playground_figure",
]


def _xor_data(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Four clusters at the corners (±1, ±1); class 1 where x₁·x₂ < 0 (exactly one coordinate positive)."""
    corners = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    X, k = data.blobs(n, centers=corners, std=max(noise, 1e-3) + 0.25, seed=seed)
    return X, (k >= 2).astype(np.int64)


#: name -> (n, noise, seed) -> (X, y), from :mod:`backprop_course.data`
PLAYGROUND_DATASETS: dict[str, Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]] = {
    "xor": _xor_data,
    "moons": lambda n, noise, seed: data.moons(n, noise=noise, seed=seed),
    "circles": lambda n, noise, seed: data.circles(n, noise=noise, seed=seed),
    "spirals": lambda n, noise, seed: data.spirals(n, classes=3, noise=noise, seed=seed),
}


def playground_data(
    dataset: str = "moons", noise: float = 0.15, n: int = 200, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The playground's data set ``dataset`` (one of :data:`PLAYGROUND_DATASETS`) with ``noise``."""
    if dataset not in PLAYGROUND_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(PLAYGROUND_DATASETS)}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0.0 <= noise <= 2.0:
        raise ValueError(f"noise must be a number in [0, 2], got {noise!r}")
    return PLAYGROUND_DATASETS[dataset](_count(n, "n", minimum=4), float(noise), _count(seed, "seed"))


class Playground:
    """A network being trained, a few steps at a time, on a 2-D data set.

    Args:
        dataset, noise, n: the data (:func:`playground_data`).
        layers, units: ``layers`` hidden layers of ``units`` units each.
        activation: of the hidden layers (``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"linear"``).
        lr: learning rate of plain SGD.
        batch_size: examples per step (drawn without replacement each step); ``None`` or
            ``>= n``: the whole data set.
        l2: weight-decay strength :math:`\\alpha` (the loss gains :math:`\\alpha \\sum w^2`).
        seed: seeds the data's noise, the initial weights and the batches.

    The output layer has one unit per class and the loss is softmax cross-entropy; weights
    start Xavier-uniform (He for ReLU). :attr:`loss_history` holds the loss on the whole
    data set after every :meth:`train` call (one point per frame), starting before training.
    """

    def __init__(
        self,
        dataset: str = "moons",
        layers: int = 1,
        units: int = 4,
        activation: str = "tanh",
        lr: float = 0.1,
        batch_size: int | None = 10,
        l2: float = 0.0,
        noise: float = 0.15,
        seed: int = 0,
        n: int = 200,
    ) -> None:
        if activation not in _NUMPY_ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(_NUMPY_ACTIVATIONS)}")
        self.dataset, self.noise, self.n, self.seed = dataset, noise, n, _count(seed, "seed")
        self.layers = _count(layers, "layers", minimum=1)
        self.units = _count(units, "units", minimum=1)
        self.activation = activation
        self.lr = _positive(lr, "lr")
        self.batch_size = batch_size
        self.l2 = l2
        self.reset()

    def reset(self) -> None:
        """New data (from ``dataset``, ``noise``, ``seed``), fresh weights, step 0."""
        self.X, self.y = playground_data(self.dataset, self.noise, self.n, self.seed)
        self.classes = int(self.y.max()) + 1
        init = "he" if self.activation == "relu" else "xavier"
        sizes = [self.units] * self.layers + [self.classes]
        self.model = matrix_mlp.MatrixMLP(2, sizes, activation=self.activation, init=init, seed=self.seed)
        self.rng = as_generator(self.seed + 1)  # the batches: a stream apart from the weights'
        self.step = 0
        self.diverged = ""
        loss, acc = self.evaluate()
        self.loss_history: list[float] = [loss]
        self.step_history: list[int] = [0]
        self.accuracy = acc

    def evaluate(self) -> tuple[float, float]:
        """Loss (softmax cross-entropy + L2, as training minimises it) and accuracy on the whole data set."""
        out = self.model(self.X)
        loss, _ = matrix_mlp.loss_forward_backward("softmax", out, self.y)
        if self.l2:
            loss += self.l2 * sum(float(np.vdot(W, W) + np.vdot(b, b)) for W, b in self.model.params)
        return float(loss), matrix_mlp.accuracy(out, self.y, "softmax")

    def train(self, steps: int) -> float:
        """Run ``steps`` SGD steps (:func:`backprop_course.matrix_mlp.train`); return the loss on all the data.

        After a divergence (NaN or infinite loss) :attr:`diverged` says so and training stops
        until :meth:`reset`.
        """
        steps = _count(steps, "steps")
        if self.diverged or steps == 0:
            return self.loss_history[-1]
        batch = None if self.batch_size is None or self.batch_size >= len(self.X) else int(self.batch_size)
        try:
            matrix_mlp.train(
                self.model,
                self.X,
                self.y,
                loss="softmax",
                steps=steps,
                lr=self.lr,
                l2=self.l2,
                batch_size=batch,
                seed=self.rng,
            )
        except TrainingDivergedError:
            self.diverged = f"diverged near step {self.step + steps}: lower the learning rate and press Reset"
        self.step += steps
        with np.errstate(all="ignore"):
            loss, self.accuracy = self.evaluate()
        if not math.isfinite(loss) and not self.diverged:
            self.diverged = f"diverged near step {self.step}: lower the learning rate and press Reset"
        self.loss_history.append(loss)
        self.step_history.append(self.step)
        return loss

    def grid_outputs(
        self, xlim: tuple[float, float], ylim: tuple[float, float], resolution: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The class probabilities and every hidden layer's activations on a ``resolution`` x ``resolution`` grid.

        Returns:
            ``(P, hidden)``: ``P`` of shape ``(res, res, classes)`` (rows from ``ylim[0]`` up),
            ``hidden[l]`` of shape ``(res, res, units)``.
        """
        gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
        a = np.column_stack([gx.ravel(), gy.ravel()])
        act = _NUMPY_ACTIVATIONS[self.activation]
        hidden = []
        with np.errstate(all="ignore"):
            for W, b in self.model.params[:-1]:
                a = act(a @ W.T + b)
                hidden.append(a.reshape(resolution, resolution, -1))
            W, b = self.model.params[-1]
            z = a @ W.T + b
            z -= z.max(axis=1, keepdims=True)
            P = np.exp(z)
            P /= P.sum(axis=1, keepdims=True)
        return P.reshape(resolution, resolution, -1), hidden


_WHITE = np.ones(3)
_MAP_ROWS = 8  # hidden-unit maps per column of the mosaic
_GAP = 3  # pixels of white between two maps


class PlaygroundView:
    """One figure showing a :class:`Playground`, its artists updated in place by :meth:`update`.

    Left: one small map per hidden unit (a column per hidden layer, blue = low, red = high
    activation), all in one mosaic image. Middle: the decision surface (each pixel the class
    colours mixed by the predicted probabilities, paler where the network is unsure) with the
    data. Right: the loss on the whole data set.

    ``live=True`` (the widget) renders frames by blitting (:class:`~.live.Frames`): only the
    images, the loss line and the texts are redrawn each frame.
    """

    def __init__(
        self,
        pg: Playground,
        *,
        pyplot: bool = False,
        live: bool = False,
        resolution: int = 48,
        unit_resolution: int = 24,
    ) -> None:
        if pyplot and live:
            raise ValueError(
                "a live (blitted) view cannot be a pyplot figure: animated artists are left out of plt.show()"
            )
        self.pg = pg
        self.live = live
        self.resolution = resolution
        self.unit_resolution = unit_resolution
        self.figure = new_figure((10.0, 4.0), pyplot=pyplot, dpi=80.0)
        self.frames: Frames | None = None
        self.build()

    def build(self) -> None:
        """(Re)create the axes and artists for the playground's current data and architecture."""
        pg, fig = self.pg, self.figure
        fig.clear()
        X = pg.X
        pad = 0.4
        self.xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
        self.ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
        extent = (*self.xlim, *self.ylim)
        bottom, top = 0.07, 0.86
        # the hidden-unit mosaic: a block of columns per layer, at most _MAP_ROWS maps per column
        rows = min(pg.units, _MAP_ROWS)
        self.cols_per_layer = math.ceil(pg.units / rows)
        cols = pg.layers * self.cols_per_layer
        r, g = self.unit_resolution, _GAP
        self.mosaic = np.ones((rows * (r + g) - g, cols * (r + g) + (pg.layers - 1) * 2 * g - g, 4))
        height_in = (top - bottom) * 4.0
        width_in = height_in * self.mosaic.shape[1] / self.mosaic.shape[0]
        w_frac = min(width_in / 10.0, 0.3)
        ax_m = fig.add_axes((0.01, bottom, w_frac, top - bottom))
        ax_m.set_axis_off()
        ax_m.set_anchor("N")
        self.mosaic_image = ax_m.imshow(self.mosaic, interpolation="nearest", aspect="equal")
        self.unit_cmap = matplotlib.colormaps["coolwarm"]
        for layer in range(pg.layers):
            x0 = layer * (self.cols_per_layer * (r + g) + 2 * g)
            ax_m.text(
                x0 + self.cols_per_layer * (r + g) / 2, -2, f"layer {layer + 1}", ha="center", va="bottom", fontsize=7
            )
        # decision surface
        left_s = 0.01 + w_frac + 0.05
        ax_s = fig.add_axes((left_s, bottom, 0.4, top - bottom))
        self.surface = ax_s.imshow(
            np.ones((self.resolution, self.resolution, 3)),
            origin="lower",
            extent=extent,
            interpolation="bilinear",
            aspect="auto",
        )
        scatters = []
        for label in range(pg.classes):
            mask = pg.y == label
            scatters.append(
                ax_s.scatter(X[mask, 0], X[mask, 1], s=12, color=CLASS_COLORS[label], edgecolor="k", linewidth=0.4)
            )
        ax_s.set_xlim(self.xlim)
        ax_s.set_ylim(self.ylim)
        ax_s.tick_params(labelsize=7)
        self.surface_title = ax_s.set_title("", fontsize=9)
        self.class_rgb = np.array([to_rgb(CLASS_COLORS[k]) for k in range(pg.classes)])
        # loss curve
        left_l = left_s + 0.4 + 0.06
        ax_l = fig.add_axes((left_l, bottom + 0.06, 0.98 - left_l, top - bottom - 0.06))
        (self.loss_line,) = ax_l.plot([], [], color=CLASS_COLORS[0], lw=1.5)
        ax_l.set_xlabel("step", fontsize=8)
        ax_l.set_title("loss on all the data", fontsize=9)
        ax_l.tick_params(labelsize=7)
        ax_l.grid(alpha=0.3)
        self.ax_loss = ax_l
        self.loss_top = max(pg.loss_history[0] * 1.1, 0.1)
        self.step_right = 500
        ax_l.set_ylim(0.0, self.loss_top)
        ax_l.set_xlim(0, self.step_right)
        self.status = fig.text(0.01, 0.97, "", fontsize=9, ha="left", va="top")
        self.built_for = (pg.layers, pg.units, pg.activation, id(pg.X))
        if self.live:
            # the widget writes the step, loss and accuracy under the picture: no text to draw per frame
            self.status.set_visible(False)
            self.surface_title.set_text("class probabilities over the plane")  # still: drawn once
            moving = [self.mosaic_image, self.surface, *scatters, self.loss_line]
            self.frames = Frames(fig, moving)

    def _unit_colours(self, H: np.ndarray) -> np.ndarray:
        """RGBA of each unit's map, ``(units, res, res, 4)``, blue (low) to red (high)."""
        act = self.pg.activation
        if act == "tanh":
            scaled = (H + 1.0) / 2.0
        elif act == "sigmoid":
            scaled = H
        else:  # relu, linear: each unit on its own scale, 0 in the middle for linear
            top = np.nanmax(np.abs(H), axis=(0, 1), keepdims=True)
            top = np.where(np.isfinite(top) & (top > 0), top, 1.0)
            scaled = 0.5 + 0.5 * H / top if act == "linear" else 0.5 + 0.5 * H / top
        return np.moveaxis(self.unit_cmap(np.nan_to_num(scaled, nan=0.5)), 2, 0)

    def update(self) -> Figure:
        """Redraw every panel from the playground's current state (rebuilding if its shape changed)."""
        pg = self.pg
        if self.built_for != (pg.layers, pg.units, pg.activation, id(pg.X)):
            self.build()
        P, _ = pg.grid_outputs(self.xlim, self.ylim, self.resolution)
        if np.isfinite(P).all():
            mix = P @ self.class_rgb
            confidence = (P.max(axis=2, keepdims=True) - 1.0 / pg.classes) * pg.classes / (pg.classes - 1)
            rgb = _WHITE + (mix - _WHITE) * (0.25 + 0.5 * confidence)
            self.surface.set_data((255.0 * rgb).astype(np.uint8))  # bytes: nothing for matplotlib to convert
        _, hidden = pg.grid_outputs(self.xlim, self.ylim, self.unit_resolution)
        r, g = self.unit_resolution, _GAP
        rows = min(pg.units, _MAP_ROWS)
        for layer, H in enumerate(hidden):
            colours = self._unit_colours(H)
            for j in range(pg.units):
                col = layer * self.cols_per_layer + j // rows
                y0 = (j % rows) * (r + g)
                x0 = col * (r + g) + layer * 2 * g
                self.mosaic[y0 : y0 + r, x0 : x0 + r] = colours[j][::-1]  # the map's y axis points up
        self.mosaic_image.set_data((255.0 * self.mosaic).astype(np.uint8))
        steps, losses = np.asarray(pg.step_history), np.asarray(pg.loss_history)
        self.loss_line.set_data(steps, losses)
        rescaled = False
        if pg.step > self.step_right:
            while pg.step > self.step_right:
                self.step_right *= 2
            self.ax_loss.set_xlim(0, self.step_right)
            rescaled = True
        finite = losses[np.isfinite(losses)]
        if finite.size and finite.max() > self.loss_top:
            self.loss_top = float(finite.max()) * 1.1
            self.ax_loss.set_ylim(0.0, self.loss_top)
            rescaled = True
        if rescaled and self.frames is not None:
            self.frames.invalidate()
        if not self.live:
            self.surface_title.set_text(f"{pg.dataset}: accuracy {pg.accuracy:.0%}")
        arch = "-".join(["2", *([str(pg.units)] * pg.layers), str(pg.classes)])
        batch = "all" if pg.batch_size is None or pg.batch_size >= len(pg.X) else str(pg.batch_size)
        text = (
            f"step {pg.step}   loss {pg.loss_history[-1]:.4f}   MLP {arch} {pg.activation}, "
            f"lr {pg.lr:g}, batch {batch}, L2 {pg.l2:g}"
        )
        self.status.set_text(text + (f"   {pg.diverged}" if pg.diverged else ""))
        return self.figure

    def render(self) -> bytes:
        """The current picture as PNG bytes (blitted when live)."""
        return self.frames.render() if self.frames is not None else render_png(self.figure)


def playground_figure(
    dataset: str = "moons",
    layers: int = 1,
    units: int = 4,
    activation: str = "tanh",
    lr: float = 0.1,
    batch_size: int | None = 10,
    l2: float = 0.0,
    noise: float = 0.15,
    seed: int = 0,
    steps: int = 500,
    frame_steps: int = 10,
) -> Figure:
    """Train a :class:`Playground` for ``steps`` steps and draw it: the picture the widget shows then.

    The loss curve has a point every ``frame_steps`` steps (the widget's default frame).
    Returns a pyplot figure (``plt.show()`` displays it).
    """
    pg = Playground(dataset, layers, units, activation, lr, batch_size, l2, noise, seed)
    steps = _count(steps, "steps")
    frame_steps = _count(frame_steps, "frame_steps", minimum=1)
    while pg.step < steps and not pg.diverged:
        pg.train(min(frame_steps, steps - pg.step))
    return PlaygroundView(pg, pyplot=True).update()


_BATCH_SIZES: list[tuple[str, int | None]] = [("1", 1), ("5", 5), ("10", 10), ("30", 30), ("all", None)]
_L2_VALUES = [0.0, 1e-4, 1e-3, 1e-2, 1e-1]


def playground(
    dataset: str = "moons",
    layers: int = 1,
    units: int = 4,
    activation: str = "tanh",
    lr: float = 0.1,
    batch_size: int | None = 10,
    l2: float = 0.0,
    noise: float = 0.15,
    seed: int = 0,
    frame_steps: int = 10,
    interval: int = 40,
) -> Any:
    """The live playground widget: controls, Play/Pause, Step, Reset, and the picture of :class:`PlaygroundView`.

    **Play** starts a loop on the kernel's own asyncio event loop (no background thread): each
    frame trains ``frame_steps`` steps and sends the new picture, then waits until ``interval``
    ms have passed since the frame began (so at most 25 frames per second by default) and lets
    the kernel handle what the page sent meanwhile, such as **Pause**. Frames are pushed from
    the kernel, not requested by the page, so the rate is not bound by a message round trip.
    Where no event loop runs (a plain Python session), Play trains one frame, as Step does.

    Changing the data set, noise, layers, units, activation or seed starts over (Reset);
    learning rate, batch size and L2 act on the running training. The arguments are the
    controls' starting values.
    """
    import ipywidgets as widgets

    if batch_size not in dict(_BATCH_SIZES).values():
        raise ValueError(f"batch_size must be one of {[v for _, v in _BATCH_SIZES]}, got {batch_size!r}")
    if l2 not in _L2_VALUES:
        raise ValueError(f"l2 must be one of {_L2_VALUES}, got {l2!r}")
    pg = Playground(dataset, layers, units, activation, lr, batch_size, l2, noise, seed)
    view = PlaygroundView(pg, live=True)
    style = {"description_width": "initial"}
    small = widgets.Layout(width="210px")

    def slider(cls: Any, name: str, **kw: Any) -> Any:
        return cls(description=name, style=style, layout=small, **kw)

    controls: dict[str, Any] = {
        "dataset": slider(widgets.Dropdown, "data", options=list(PLAYGROUND_DATASETS), value=dataset),
        "noise": slider(
            widgets.FloatSlider, "noise", value=noise, min=0.0, max=0.5, step=0.05, continuous_update=False
        ),
        "layers": slider(widgets.IntSlider, "hidden layers", value=layers, min=1, max=3, continuous_update=False),
        "units": slider(widgets.IntSlider, "units", value=units, min=1, max=8, continuous_update=False),
        "activation": slider(
            widgets.Dropdown, "activation", options=["tanh", "relu", "sigmoid", "linear"], value=activation
        ),
        "seed": slider(widgets.IntSlider, "seed", value=seed, min=0, max=20, continuous_update=False),
        "lr": slider(widgets.FloatLogSlider, "lr", value=lr, base=10, min=-3, max=1, step=0.25),
        "batch_size": slider(widgets.Dropdown, "batch", options=_BATCH_SIZES, value=batch_size),
        "l2": slider(widgets.Dropdown, "L2", options=_L2_VALUES, value=l2),
    }
    play = widgets.ToggleButton(value=False, description="Play", icon="play", tooltip="train continuously")
    play.add_class("bc-play")
    step_button = widgets.Button(description="Step", tooltip=f"train {frame_steps} steps")
    reset_button = widgets.Button(description="Reset", tooltip="new weights, step 0")
    step_button.add_class("bc-step")
    reset_button.add_class("bc-reset")
    status = widgets.HTML()
    status.add_class("bc-status")
    image = picture_widget()
    counters = {"frames": 0}
    running: dict[str, Any] = {"task": None}

    def show() -> None:
        view.update()
        image.value = view.render()
        counters["frames"] += 1
        acc = f"{pg.accuracy:.0%}"
        status.value = (
            f"<span class='bc-step-count'>{pg.step}</span> steps · loss "
            f"<span class='bc-loss'>{pg.loss_history[-1]:.5f}</span> · accuracy {acc} · "
            f"<span class='bc-frames'>{counters['frames']}</span> frames"
            + (f" · <b>{pg.diverged}</b>" if pg.diverged else "")
        )

    async def run() -> None:
        """Train and redraw frame after frame while Play is down."""
        try:
            while play.value and not pg.diverged:
                start = time.perf_counter()
                pg.train(frame_steps)
                show()
                # at least a moment's pause, so the kernel reads the page's messages (Pause, sliders)
                await asyncio.sleep(max(interval / 1000 - (time.perf_counter() - start), 0.002))
        finally:
            running["task"] = None
            play.value = False

    def toggle(change: dict[str, Any]) -> None:
        play.description, play.icon = ("Pause", "pause") if change["new"] else ("Play", "play")
        if not change["new"] or running["task"] is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): one frame, as Step
            pg.train(frame_steps)
            show()
            play.value = False
            return
        running["task"] = loop.create_task(run())

    def restart(*_: object) -> None:
        pg.dataset = controls["dataset"].value
        pg.noise = controls["noise"].value
        pg.layers = controls["layers"].value
        pg.units = controls["units"].value
        pg.activation = controls["activation"].value
        pg.seed = controls["seed"].value
        pg.reset()
        show()

    def retune(*_: object) -> None:
        pg.lr = controls["lr"].value
        pg.batch_size = controls["batch_size"].value
        pg.l2 = controls["l2"].value
        show()

    for name in ("dataset", "noise", "layers", "units", "activation", "seed"):
        controls[name].observe(restart, names="value")
    for name in ("lr", "batch_size", "l2"):
        controls[name].observe(retune, names="value")
    play.observe(toggle, names="value")

    def one_step(_: object) -> None:
        pg.train(frame_steps)
        show()

    step_button.on_click(one_step)
    reset_button.on_click(restart)
    show()
    names = list(controls)
    grid = widgets.GridBox(
        [controls[k] for k in names], layout=widgets.Layout(grid_template_columns="repeat(3, 230px)")
    )
    box = widgets.VBox([grid, widgets.HBox([play, step_button, reset_button, status]), image])
    box.add_class("backprop-course-playground")
    box.pg, box.view, box.play, box.image, box.controls = pg, view, play, image, controls
    box.step_button, box.reset_button, box.status, box.counters = step_button, reset_button, status, counters
    box.running = running
    return box
