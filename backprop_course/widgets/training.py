"""Notebook 09: training a ReLU MLP end to end on 2-D data sets, its decision boundary and loss curve."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .. import data, matrix_mlp
from ..engine import TrainingDivergedError
from ..optim import History
from ..plots import CLASS_COLORS
from .common import _count, _positive
from .live import FigureView, image_explorer

#: data sets for the training explorer of notebook 09: name -> () -> (X, y)
TRAINING_DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "moons": lambda: data.moons(200, noise=0.15, seed=0),
    "circles": lambda: data.circles(200, noise=0.08, seed=0),
    "spirals": lambda: data.spirals(300, classes=3, noise=0.2, seed=0),
    "xor blobs": lambda: data.blobs(
        200, centers=np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]]), std=0.35, seed=0
    ),
}


def _training_set(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    if dataset not in TRAINING_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(TRAINING_DATASETS)}")
    X, y = TRAINING_DATASETS[dataset]()
    if dataset == "xor blobs":
        y = np.where(y >= 2, 1, 0)  # corners (-1,-1), (1,1) are class 0; (-1,1), (1,-1) class 1
    return X, y


def train_on_dataset(
    dataset: str = "moons", hidden: int = 16, depth: int = 2, steps: int = 300, lr: float = 0.1, seed: int = 0
) -> tuple[matrix_mlp.MatrixMLP, History, np.ndarray, np.ndarray]:
    """Train a ReLU ``MatrixMLP`` with ``depth`` hidden layers of ``hidden`` units on one of
    :data:`TRAINING_DATASETS`, softmax cross-entropy (one output per class), He init,
    full-batch gradient descent with momentum 0.9.

    Returns:
        ``(model, history, X, y)``.
    """
    hidden = _count(hidden, "hidden", minimum=1)
    depth = _count(depth, "depth", minimum=1)
    X, y = _training_set(dataset)
    classes = int(y.max()) + 1
    model = matrix_mlp.MatrixMLP(2, [hidden] * depth + [classes], init="he", seed=_count(seed, "seed"))
    history = matrix_mlp.train(
        model, X, y, loss="softmax", steps=_count(steps, "steps"), lr=_positive(lr, "lr"), momentum=0.9
    )
    return model, history, X, y


class TrainingRunView(FigureView):
    """The picture of :func:`plot_training_run`: decision regions (left), loss and accuracy (right)."""

    figsize = (10.5, 4.0)
    resolution = 120

    def build(self) -> None:
        self.ax_b, self.ax_l = ax_b, ax_l = self.figure.subplots(1, 2)
        self.regions = ax_b.imshow(
            np.zeros((2, 2)), origin="lower", alpha=0.25, aspect="auto", interpolation="nearest", vmin=0
        )
        ax_b.set_xlabel("$x_1$")
        ax_b.set_ylabel("$x_2$")
        (self.loss_line,) = ax_l.plot([], [], color=CLASS_COLORS[0], label="loss")
        ax_l.set_yscale("log")
        ax_l.set_xlabel("step")
        ax_l.set_ylabel("loss (cross-entropy)", color=CLASS_COLORS[0])
        self.ax_a = ax_a = ax_l.twinx()
        (self.acc_line,) = ax_a.plot([], [], color=CLASS_COLORS[1], label="accuracy")
        ax_a.set_ylim(0.0, 1.02)
        ax_a.set_ylabel("training accuracy", color=CLASS_COLORS[1])
        ax_l.grid(alpha=0.3)
        self.points: list[Any] = []
        self.dataset: str | None = None

    def moving_artists(self) -> list[Any]:
        legend = [self.ax_b.get_legend()] if self.ax_b.get_legend() is not None else []
        return [self.regions, *self.points, *legend, self.ax_b.title, self.loss_line, self.acc_line, self.ax_l.title]

    def _show_data(self, dataset: str, X: np.ndarray, y: np.ndarray) -> None:
        for points in self.points:
            points.remove()
        self.points = [
            self.ax_b.scatter(
                X[y == label, 0],
                X[y == label, 1],
                s=22,
                color=CLASS_COLORS[int(label) % len(CLASS_COLORS)],
                edgecolor="k",
                linewidth=0.4,
                label=f"class {label}",
            )
            for label in np.unique(y)
        ]
        pad = 0.5
        lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], self.resolution), np.linspace(lo[1], hi[1], self.resolution))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        classes = int(y.max()) + 1
        self.regions.set_extent((lo[0], hi[0], lo[1], hi[1]))
        self.regions.set_cmap(ListedColormap(CLASS_COLORS[:classes]))
        self.regions.set_clim(-0.5, classes - 0.5)
        self.ax_b.set_xlim(lo[0], hi[0])
        self.ax_b.set_ylim(lo[1], hi[1])
        self.ax_b.legend(loc="best", fontsize=8)
        self.dataset = dataset
        self.rebuilt()  # new scatter artists: blit those

    def draw_run(
        self,
        dataset: str,
        X: np.ndarray,
        y: np.ndarray,
        model: matrix_mlp.MatrixMLP,
        loss: np.ndarray,
        accuracy: np.ndarray,
        xmax: int | None = None,
    ) -> None:
        """Show a trained ``model`` and its curves; ``xmax`` fixes the curves' step axis (else: the run's length)."""
        if dataset != self.dataset:
            self._show_data(dataset, X, y)
        scores = model(self.grid)
        self.regions.set_data(scores.argmax(axis=1).reshape(self.resolution, self.resolution).astype(float))
        acc = float(np.mean(np.argmax(model(X), axis=1) == y))
        arch = "-".join(str(n) for n in model.sizes)
        self.ax_b.set_title(f"{dataset}: MLP {arch}, accuracy {acc:.0%}", fontsize=10)
        steps = np.arange(len(loss))
        self.loss_line.set_data(steps, loss)
        self.acc_line.set_data(steps, accuracy)
        right = float(xmax if xmax is not None else max(len(loss) - 1, 1))
        if self.ax_l.get_xlim() != (-0.02 * right, 1.02 * right):
            self.ax_l.set_xlim(-0.02 * right, 1.02 * right)
            self.invalidate()
        self.ax_l.set_title(f"final loss {loss[-1]:.4f}", fontsize=10)

    def fix_loss_range(self, low: float, high: float) -> None:
        """Fix the loss axis to ``[low, high]`` (an explorer: the whole run's range, so the ticks stay put)."""
        self.ax_l.set_ylim(low, high)
        self.invalidate()

    def draw(
        self, dataset: str = "moons", hidden: int = 16, depth: int = 2, steps: int = 300, lr: float = 0.1, seed: int = 0
    ) -> None:
        model, history, X, y = train_on_dataset(dataset, hidden, depth, _count(steps, "steps", minimum=1), lr, seed)
        loss = np.asarray(history.loss)
        self.ax_l.set_ylim(float(loss.min()) / 1.3, float(loss.max()) * 1.3)
        self.draw_run(dataset, X, y, model, loss, np.asarray(history.accuracy))


def plot_training_run(
    dataset: str = "moons", hidden: int = 16, depth: int = 2, steps: int = 300, lr: float = 0.1, seed: int = 0
) -> Figure:
    """Train with :func:`train_on_dataset`; draw the final decision boundary and the loss/accuracy curves."""
    return TrainingRunView(pyplot=True).update(
        dataset=dataset, hidden=hidden, depth=depth, steps=steps, lr=lr, seed=seed
    )


class SoftmaxRun:
    """A ReLU ``MatrixMLP`` trained as :func:`train_on_dataset` trains it (softmax cross-entropy, He
    init, full batch, learning rate 0.1, momentum 0.9), on demand: :meth:`advance` trains only as
    far as asked, keeping the weights every ``every`` steps.

    Step for step the same arithmetic as :func:`backprop_course.matrix_mlp.train`, in the same order
    (so the same numbers to the last bit), without what a general training loop pays for on every
    step: argument checks, the layers' caches, the input gradient of the first layer, and one
    update per weight array (here all weights and their gradients live in one flat array, so the
    momentum update is three operations).
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        hidden: int,
        depth: int,
        *,
        every: int = 10,
        lr: float = 0.1,
        mu: float = 0.9,
    ) -> None:
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y)
        classes = int(self.y.max()) + 1
        model = matrix_mlp.MatrixMLP(2, [hidden] * depth + [classes], init="he", seed=0)
        shapes = [(W.shape, b.shape) for W, b in model.params]
        size = sum(W.size + b.size for W, b in model.params)
        self.theta, self.grad, self.velocity = np.empty(size), np.empty(size), np.zeros(size)
        self.params, self.grads = self._views(self.theta, shapes), self._views(self.grad, shapes)
        for (W, b), (W0, b0) in zip(self.params, model.params):
            W[...], b[...] = W0, b0
        self.shapes, self.every, self.lr, self.mu = shapes, every, lr, mu
        self.rows = np.arange(len(self.X))
        self.step = 0
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.kept = [self.theta.copy()]  # the weights after 0, every, 2 every, ... updates

    @staticmethod
    def _views(flat: np.ndarray, shapes: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> list[tuple[Any, Any]]:
        views, start = [], 0
        for w_shape, b_shape in shapes:
            w_size, b_size = int(np.prod(w_shape)), int(np.prod(b_shape))
            W = flat[start : start + w_size].reshape(w_shape)
            b = flat[start + w_size : start + w_size + b_size]
            views.append((W, b))
            start += w_size + b_size
        return views

    def advance(self, steps: int) -> None:
        """Train until ``steps`` updates are done (nothing if they are)."""
        X, y, rows, params, grads = self.X, self.y, self.rows, self.params, self.grads
        n, last = len(X), len(params) - 1
        while self.step < steps:
            # forward, as MatrixMLP.forward: x W^T + b, ReLU on the hidden layers, a linear output
            inputs, pre = [X], []
            a = X
            for l, (W, b) in enumerate(params):
                z = a @ W.T
                z += b
                pre.append(z)
                a = z if l == last else np.maximum(z, 0.0)
                inputs.append(a)
            out = a
            # softmax cross-entropy and its gradient, as layers.softmax_cross_entropy_forward/backward
            shifted = out - out.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            sum_exp = exp.sum(axis=1)
            loss = float(np.mean(np.log(sum_exp) - shifted[rows, y]))
            if not math.isfinite(loss):
                raise TrainingDivergedError(f"training diverged at step {self.step}: the loss is {loss!r}")
            self.loss.append(loss)
            self.accuracy.append(float(np.mean(np.argmax(out, axis=-1) == y)))
            dz = exp / sum_exp[:, None]
            dz[rows, y] -= 1.0
            dz *= 1.0 / n
            # backward, as MatrixMLP.backward: relu' = [z > 0], dW = dz^T x, db = sum dz, dx = dz W
            for l in range(last, -1, -1):
                W, _ = params[l]
                gW, gb = grads[l]
                if l != last:
                    dz = dz * (pre[l] > 0.0)
                np.matmul(dz.T, inputs[l], out=gW)
                np.sum(dz, axis=0, out=gb)
                if l:
                    dz = dz @ W
            # the momentum update of matrix_mlp._sgd_update, on all weights at once
            self.velocity *= self.mu
            self.velocity -= self.lr * self.grad
            self.theta += self.velocity
            self.step += 1
            if self.step % self.every == 0:
                self.kept.append(self.theta.copy())

    def model(self, step: int) -> matrix_mlp.MatrixMLP:
        """The network after ``step`` updates (a multiple of ``every``), training further first if needed."""
        if step % self.every:
            raise ValueError(f"the weights are kept every {self.every} steps, not after {step}")
        self.advance(step)
        weights = self._views(self.kept[step // self.every], self.shapes)
        return matrix_mlp.MatrixMLP.from_weights(weights, "relu", "linear")


def training_explorer(dataset: str = "moons", hidden: int = 16, depth: int = 2, steps: int = 300) -> object:
    """Data set, hidden width, depth and steps controls, drawing :func:`plot_training_run`.

    Each (data set, width, depth) trains on demand, as far as the steps slider has gone, with the
    weights kept every 10 steps (:class:`SoftmaxRun`, the same arithmetic as
    :func:`train_on_dataset`): a new setting trains only the steps shown, and the steps slider
    looks runs up below the furthest point reached and trains ten steps per tick beyond it. The arguments are the
    controls' starting values (a notebook shows ``plot_training_run`` with the same ones as
    the explorer's static picture).
    """
    import ipywidgets as widgets

    view = TrainingRunView()
    max_steps, every = 1000, 10
    if dataset not in TRAINING_DATASETS:
        raise ValueError(f"dataset must be one of {list(TRAINING_DATASETS)}, got {dataset!r}")
    for name, value, lo, hi in (("hidden", hidden, 1, 32), ("depth", depth, 1, 3), ("steps", steps, 10, max_steps)):
        if not (isinstance(value, int) and lo <= value <= hi):
            raise ValueError(f"{name} must be an int from {lo} to {hi} (the slider's range), got {value!r}")
    if steps % every:
        raise ValueError(f"steps must be a multiple of {every} (the slider's step), got {steps}")
    runs: dict[tuple[str, int, int], SoftmaxRun] = {}
    # The loss axis of a data set: 1e-4 to 10 (where every run starts, near log(classes), and below
    # which few go in 1000 steps), grown by whole decades, a decade to spare, when a curve leaves it;
    # so it stays put (and the frames are blitted) while the sliders move.
    loss_range = dict.fromkeys(TRAINING_DATASETS, (1e-4, 10.0))
    # one view (one figure) per data set, laid out and drawn once now: a new data set then changes
    # only the moving artists, as the other controls do
    views: dict[str, TrainingRunView] = {}

    def make_view(name: str) -> TrainingRunView:
        view = views[name] = TrainingRunView()
        view.blit()
        view._show_data(name, *_training_set(name))
        view.fix_loss_range(*loss_range[name])
        view.ax_l.set_xlim(-0.02 * max_steps, 1.02 * max_steps)
        return view

    shown = [make_view(dataset)]
    box: list[Any] = []  # the explorer, once made

    def update(dataset: str, hidden: int, depth: int, steps: int) -> None:
        key = (dataset, int(hidden), int(depth))
        if key not in runs:
            X, y = _training_set(dataset)
            runs[key] = SoftmaxRun(X, y, int(hidden), int(depth), every=every)
        run = runs[key]
        model = run.model(steps)  # trained only as far as the steps slider has gone
        loss = np.asarray(run.loss[:steps])
        view = shown[0] = views[dataset]
        low, high = float(np.min(run.loss)) / 1.3, float(np.max(run.loss)) * 1.3
        limits = loss_range[dataset]
        if not (limits[0] <= low and high <= limits[1]):
            low, high = min(low, limits[0]), max(high, limits[1])
            limits = (10.0 ** (math.floor(math.log10(low)) - 1), 10.0 ** math.ceil(math.log10(high)))
            loss_range[dataset] = limits
            view.fix_loss_range(*limits)
        # the history records each step's loss before its update: `steps` updates show steps points
        view.draw_run(dataset, run.X, run.y, model, loss, np.asarray(run.accuracy[:steps]), max_steps)
        view.lay_out()
        if box:
            box[0].view = view

    update(dataset, hidden, depth, steps)  # the first view laid out with its titles, then the others
    for name in TRAINING_DATASETS:
        if name not in views:
            view = make_view(name)
            view.figure.subplots_adjust(**vars(views[dataset].figure.subplotpars))  # they line up
            view._laid_out = True
            view.render()

    box.append(
        image_explorer(
            views[dataset].figure,
            update,
            {
                "dataset": widgets.Dropdown(options=list(TRAINING_DATASETS), value=dataset, description="data"),
                "hidden": widgets.IntSlider(value=hidden, min=1, max=32, description="hidden units"),
                "depth": widgets.IntSlider(value=depth, min=1, max=3, description="hidden layers"),
                "steps": widgets.IntSlider(value=steps, min=10, max=max_steps, step=every, description="steps"),
            },
            render=lambda: shown[0].render(),
        )
    )
    box[0].view = shown[0]
    return box[0]
