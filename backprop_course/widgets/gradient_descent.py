"""Notebook 04: gradient descent on a 1-D quadratic, and how the learning rate decides convergence."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..plots import CLASS_COLORS
from .common import _count, _positive
from .live import FigureView, view_explorer


def quadratic_loss(w: float | np.ndarray, curvature: float = 40.0, minimum: float = 2.0) -> float | np.ndarray:
    """The 1-D quadratic :math:`f(w) = \\tfrac{c}{2}(w - w^*)^2`, with curvature :math:`f''(w) = c`."""
    return 0.5 * curvature * (np.asarray(w, dtype=np.float64) - minimum) ** 2


def quadratic_descent(
    lr: float, curvature: float = 40.0, w0: float = 0.0, minimum: float = 2.0, steps: int = 15
) -> np.ndarray:
    """Run gradient descent on :math:`f(w) = \\tfrac{c}{2}(w - w^*)^2` and return the iterates.

    The gradient is :math:`f'(w) = c\\,(w - w^*)`, so one step
    :math:`w_{t+1} = w_t - \\eta f'(w_t)` gives

    .. math::

        w_{t+1} - w^* = (1 - \\eta c)(w_t - w^*), \\qquad w_t - w^* = (1 - \\eta c)^t (w_0 - w^*).

    The distance to the minimum shrinks when :math:`|1 - \\eta c| < 1`, that is when
    :math:`0 < \\eta < 2/c`; it grows (training diverges) when :math:`\\eta > 2/c`.

    Args:
        lr: the learning rate :math:`\\eta > 0`.
        curvature: :math:`c = f'' > 0` (not :math:`L`, which the course keeps for the loss).
        w0: the starting point.
        minimum: :math:`w^*`, where the loss is 0.
        steps: number of updates.

    Returns:
        ``steps + 1`` iterates :math:`w_0, \\dots, w_{\\text{steps}}` (float64; ``inf`` or
        ``nan`` once a diverging run has left the float64 range).
    """
    lr = _positive(lr, "lr")
    curvature = _positive(curvature, "curvature")
    steps = _count(steps, "steps")
    path = np.empty(steps + 1)
    w, w_star = float(w0), float(minimum)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            grad = curvature * (w - w_star)
            w = w - lr * grad
            path[t] = w
    return path


def learning_rate_regime(lr: float, curvature: float) -> str:
    """What gradient descent does on a quadratic of curvature ``c`` with learning rate ``lr``.

    With :math:`r = 1 - \\eta c` (the factor the distance to the minimum is multiplied by
    each step): ``"converges in one step"`` (:math:`r = 0`), ``"converges"``
    (:math:`0 < r < 1`), ``"converges, oscillating"`` (:math:`-1 < r < 0`),
    ``"oscillates forever"`` (:math:`r = -1`, i.e. :math:`\\eta = 2/c`), ``"diverges"``
    (:math:`r < -1`, i.e. :math:`\\eta > 2/c`).
    """
    x = _positive(lr, "lr") * _positive(curvature, "curvature")
    if math.isclose(x, 1.0, rel_tol=1e-12):
        return "converges in one step"
    if math.isclose(x, 2.0, rel_tol=1e-12):
        return "oscillates forever"
    if x < 1.0:
        return "converges"
    if x < 2.0:
        return "converges, oscillating"
    return "diverges"


class LearningRateView(FigureView):
    """The picture of :func:`plot_learning_rate`, redrawn in place."""

    figsize = (11.0, 3.8)

    def build(self) -> None:
        self.ax, self.ax_loss = ax, ax_loss = self.figure.subplots(1, 2)
        (self.curve,) = ax.plot([], [], color="0.2", label="loss")
        (self.path,) = ax.plot([], [], "o-", color=CLASS_COLORS[1], ms=4, lw=1, label="descent path")
        (self.last,) = ax.plot([], [], "*", color=CLASS_COLORS[3], ms=12, label="last step")
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        self.leaves = ax.text(
            0.5, 0.97, "the path leaves the picture", transform=ax.transAxes, ha="center", va="top", color="C3"
        )
        (self.losses,) = ax_loss.semilogy([0, 1], [1, 1], "o-", color=CLASS_COLORS[0], ms=4)
        self.start = ax_loss.axhline(1.0, color="0.5", ls=":", lw=1, label="starting loss")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("loss (log scale)")
        ax_loss.legend(fontsize=8)
        ax_loss.grid(alpha=0.3, which="both")

    def moving_artists(self) -> list[object]:
        # the loss curve and the left limits change only with the curvature (then the next frame is
        # drawn whole); the right axes, whose log scale follows every change, is redrawn whole
        return [self.path, self.last, self.leaves, self.ax.title, self.ax_loss]

    def draw(
        self, lr: float = 0.01, curvature: float = 40.0, w0: float = 0.0, minimum: float = 2.0, steps: int = 15
    ) -> None:
        if (curvature, w0, minimum) != getattr(self, "shape", None):
            self.shape = (curvature, w0, minimum)
            self.invalidate()
        path = quadratic_descent(lr, curvature, w0, minimum, steps)
        regime = learning_rate_regime(lr, curvature)
        half = max(1.0, 1.5 * abs(w0 - minimum))
        lo, hi = minimum - half, minimum + half
        ws = np.linspace(lo, hi, 400)
        self.curve.set_data(ws, quadratic_loss(ws, curvature, minimum))
        with np.errstate(over="ignore", invalid="ignore"):
            losses_ = np.asarray(quadratic_loss(path, curvature, minimum), dtype=np.float64)
        self.path.set_data(path, losses_)
        self.last.set_data(path[-1:], losses_[-1:])
        self.ax.set_xlim(lo, hi)
        top = float(quadratic_loss(lo, curvature, minimum))
        self.ax.set_ylim(-0.05 * top, 1.1 * top)
        self.ax.set_title(f"lr = {lr:.3g}, lr·c = {lr * curvature:.3g}: {regime}")
        self.leaves.set_visible(not np.all((path >= lo) & (path <= hi)))
        floor = 1e-20  # an exact 0 (one-step convergence) would vanish from a log plot
        shown = np.maximum(losses_, floor)
        self.losses.set_data(np.arange(path.size), shown)
        self.start.set_ydata([losses_[0], losses_[0]])
        finite = shown[np.isfinite(shown)]
        self.ax_loss.set_xlim(-0.5, path.size - 0.5)
        self.ax_loss.set_ylim(float(finite.min()) / 3, float(finite.max()) * 3)
        self.ax_loss.set_title(f"each step multiplies the distance to $w^*$ by 1 - lr·c = {1 - lr * curvature:.3g}")


def plot_learning_rate(
    lr: float = 0.01, curvature: float = 40.0, w0: float = 0.0, minimum: float = 2.0, steps: int = 15
) -> Figure:
    """Gradient descent on :math:`\\tfrac{c}{2}(w - w^*)^2` with learning rate ``lr``.

    Left: the loss and the descent path (points that leave the window are off the
    picture: the run is diverging). Right: the loss per step on a log scale: a line
    going down is convergence, a line going up divergence.
    """
    return LearningRateView(pyplot=True).update(lr=lr, curvature=curvature, w0=w0, minimum=minimum, steps=steps)


def learning_rate_explorer() -> object:
    """A log-scale learning-rate slider (and curvature, steps) drawing :func:`plot_learning_rate` while dragging."""
    import ipywidgets as widgets

    return view_explorer(
        LearningRateView(),
        {
            "lr": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=-1, step=0.05, description="lr"),
            "curvature": widgets.FloatSlider(value=40.0, min=5.0, max=80.0, step=5.0, description="curvature c"),
            "steps": widgets.IntSlider(value=15, min=1, max=40, description="steps"),
        },
    )
