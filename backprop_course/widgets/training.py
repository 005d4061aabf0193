"""Notebook 09: training a ReLU MLP end to end on 2-D data sets, its decision boundary and loss curve."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .. import data, matrix_mlp
from ..optim import History
from ..plots import CLASS_COLORS, plot_decision_boundary
from .common import _count, _positive, figure_explorer

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


def plot_training_run(
    dataset: str = "moons", hidden: int = 16, depth: int = 2, steps: int = 300, lr: float = 0.1, seed: int = 0
) -> Figure:
    """Train with :func:`train_on_dataset`; draw the final decision boundary and the loss/accuracy curves."""
    model, history, X, y = train_on_dataset(dataset, hidden, depth, _count(steps, "steps", minimum=1), lr, seed)
    fig, (ax_b, ax_l) = plt.subplots(1, 2, figsize=(10.5, 4.0))
    plot_decision_boundary(model, X, y, ax=ax_b, resolution=120)
    acc = float(np.mean(np.argmax(model(X), axis=1) == y))
    ax_b.set_title(
        f"{dataset}: MLP 2-{'-'.join([str(hidden)] * depth)}-{int(y.max()) + 1}, accuracy {acc:.0%}", fontsize=10
    )
    steps_axis = np.arange(len(history.loss))
    ax_l.plot(steps_axis, history.loss, color=CLASS_COLORS[0], label="loss")
    ax_l.set_yscale("log")
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss (cross-entropy)", color=CLASS_COLORS[0])
    ax_a = ax_l.twinx()
    ax_a.plot(steps_axis, history.accuracy, color=CLASS_COLORS[1], label="accuracy")
    ax_a.set_ylim(0.0, 1.02)
    ax_a.set_ylabel("training accuracy", color=CLASS_COLORS[1])
    ax_l.grid(alpha=0.3)
    ax_l.set_title(f"final loss {history.loss[-1]:.4f}", fontsize=10)
    fig.tight_layout()
    return fig


def training_explorer() -> object:
    """Data set, hidden width, depth and steps controls; retrains and draws :func:`plot_training_run`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_training_run,
        dataset=widgets.Dropdown(options=list(TRAINING_DATASETS), value="moons", description="data"),
        hidden=widgets.IntSlider(value=16, min=1, max=32, continuous_update=False, description="hidden units"),
        depth=widgets.IntSlider(value=2, min=1, max=3, continuous_update=False, description="hidden layers"),
        steps=widgets.IntSlider(value=300, min=10, max=1000, step=10, continuous_update=False, description="steps"),
    )
