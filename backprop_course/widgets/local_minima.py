"""Notebook 07: local minima: descent on a bumpy 1-D loss, and XOR runs that solve it or get stuck by seed."""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .. import data, matrix_mlp
from ..optim import History
from ..plots import CLASS_COLORS, plot_decision_boundary, plot_landscape_1d
from .common import _count, _positive, figure_explorer


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


def plot_bumpy_descent(w0: float = 1.8, lr: float = 0.02, momentum: float = 0.0, steps: int = 100) -> Figure:
    """:func:`bumpy_loss` with the descent path of :func:`bumpy_descent`; the title names where it ended."""
    path = bumpy_descent(w0, lr, steps, momentum)
    finite = path[np.isfinite(path) & (np.abs(path) < 3.0)]
    fig = plot_landscape_1d(lambda w: float(bumpy_loss(w)), -2.2, 2.2, path=finite)
    ax = fig.axes[0]
    ax.set_ylim(-0.6, min(12.0, max(4.0, 1.1 * float(bumpy_loss(w0)))))
    end = path[-1]
    if not np.isfinite(end) or abs(end) > 3.0:
        verdict = "diverged: the steps overshoot further and further"
    elif end < 0.0754:  # the hump between the basins
        verdict = f"ended at w = {end:.3f}, the global minimum"
    else:
        verdict = f"ended at w = {end:.3f}, the local (not global) minimum"
    ax.set_title(f"start w0 = {w0:g}, lr = {lr:g}, momentum = {momentum:g}: {verdict}", fontsize=9)
    return fig


def bumpy_descent_explorer() -> object:
    """Sliders for the start, learning rate and momentum, drawing :func:`plot_bumpy_descent`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_bumpy_descent,
        w0=widgets.FloatSlider(value=1.8, min=-2.0, max=2.0, step=0.05, description="start w0"),
        lr=widgets.FloatLogSlider(value=0.02, base=10, min=-3, max=-0.5, step=0.1, description="lr"),
        momentum=widgets.FloatSlider(value=0.0, min=0.0, max=0.95, step=0.05, description="momentum"),
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


def plot_xor_run(seed: int = 0, hidden: int = 2, momentum: float = 0.0, steps: int = 2000, lr: float = 0.5) -> Figure:
    """One XOR run of :func:`xor_run`: its decision boundary (left) and loss curve (right).

    The title says whether the run solved XOR (all four points on the right side of
    the output 0.5) or got stuck, with the final loss.
    """
    model, history = xor_run(seed, hidden, momentum, _count(steps, "steps", minimum=1), lr)
    X, y = data.xor()
    out = model(X)[:, 0]
    solved = bool(np.all((out > 0.5) == (y == 1)))
    fig, (ax_b, ax_l) = plt.subplots(1, 2, figsize=(10.0, 4.0))
    plot_decision_boundary(lambda P: model(P)[:, 0], X, y, ax=ax_b, threshold=0.5, probability=True, resolution=120)
    ax_b.set_title(f"seed {seed}: outputs " + ", ".join(f"{o:.2f}" for o in out), fontsize=9)
    ax_l.semilogy(np.arange(1, len(history.loss) + 1), history.loss, color=CLASS_COLORS[0])
    ax_l.set_xscale("log")
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss (MSE)")
    ax_l.grid(alpha=0.3, which="both")
    verdict = "solved" if solved else "stuck"
    ax_l.set_title(f"{verdict}: final loss {history.loss[-1]:.4f}", fontsize=10)
    fig.suptitle(f"MLP 2-{hidden}-1 (tanh, sigmoid output, MSE), momentum {momentum:g}, {steps} steps", fontsize=10)
    fig.tight_layout()
    return fig


def xor_seed_explorer() -> object:
    """A seed picker (with hidden width and momentum) drawing :func:`plot_xor_run`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_xor_run,
        seed=widgets.IntSlider(value=0, min=0, max=99, continuous_update=False, description="seed"),
        hidden=widgets.IntSlider(value=2, min=1, max=8, continuous_update=False, description="hidden units"),
        momentum=widgets.Dropdown(options=[0.0, 0.5, 0.9], value=0.0, description="momentum"),
    )
