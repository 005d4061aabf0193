"""Notebook 01: the derivative by nudging, forward vs central differences and their error against the step h."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..plots import CLASS_COLORS
from .live import FigureView, view_explorer

#: name -> (f, f') for the nudge explorer of notebook 01; each f' is exact, written by hand.
NUDGE_FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "3x^2 - 4x + 5": (lambda x: 3.0 * x * x - 4.0 * x + 5.0, lambda x: 6.0 * x - 4.0),
    "tanh(x)": (math.tanh, lambda x: 1.0 - math.tanh(x) ** 2),
    "sin(x)": (math.sin, math.cos),
    "x^3": (lambda x: x**3, lambda x: 3.0 * x * x),
}


def _nudge_function(func: str) -> tuple[Callable[[float], float], Callable[[float], float]]:
    if func not in NUDGE_FUNCTIONS:
        raise ValueError(f"unknown function {func!r}; choose one of {sorted(NUDGE_FUNCTIONS)}")
    return NUDGE_FUNCTIONS[func]


def _check_step(h: float) -> float:
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not math.isfinite(h) or h <= 0:
        raise ValueError(f"the step h must be a positive finite number, got {h!r}")
    return float(h)


def nudge_estimates(x: float, h: float, func: str = "3x^2 - 4x + 5") -> dict[str, float]:
    """The derivative of ``func`` at ``x`` estimated by nudging ``x`` by ``h``, and exactly.

    .. math::

        D_{\\text{forward}} = \\frac{f(x+h) - f(x)}{h}, \\qquad
        D_{\\text{central}} = \\frac{f(x+h) - f(x-h)}{2h}

    Returns:
        ``{"exact", "forward", "central", "forward_error", "central_error"}``, the
        errors being absolute: ``|estimate - exact|``.
    """
    f, df = _nudge_function(func)
    h = _check_step(h)
    x = float(x)
    exact = df(x)
    forward = (f(x + h) - f(x)) / h
    central = (f(x + h) - f(x - h)) / (2.0 * h)
    return {
        "exact": exact,
        "forward": forward,
        "central": central,
        "forward_error": abs(forward - exact),
        "central_error": abs(central - exact),
    }


def finite_difference_errors(
    f: Callable[[float], float], df: Callable[[float], float], x: float, hs: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors of the forward and the central difference of ``f`` at ``x``, one per step in ``hs``.

    For large ``h`` the *truncation* error dominates, from Taylor's theorem
    :math:`|D_{\\text{forward}} - f'| \\approx \\tfrac{h}{2}|f''(x)|` and
    :math:`|D_{\\text{central}} - f'| \\approx \\tfrac{h^2}{6}|f'''(x)|`; for tiny ``h``
    float64 *round-off* in :math:`f(x \\pm h)`, about :math:`\\epsilon |f(x)| / h`
    with :math:`\\epsilon \\approx 2.2 \\times 10^{-16}`, takes over.

    Returns:
        ``(forward_errors, central_errors)``, float64 arrays shaped like ``hs``.
    """
    steps = np.asarray(hs, dtype=np.float64)
    if steps.ndim != 1 or steps.size == 0 or not (np.isfinite(steps) & (steps > 0)).all():
        raise ValueError("hs must be a non-empty 1-D sequence of positive finite step sizes, e.g. np.logspace(-15, 0)")
    x = float(x)
    fx, exact = f(x), df(x)
    forward = np.array([abs((f(x + h) - fx) / h - exact) for h in steps.tolist()])
    central = np.array([abs((f(x + h) - f(x - h)) / (2.0 * h) - exact) for h in steps.tolist()])
    return forward, central


def best_step(hs: Sequence[float] | np.ndarray, errors: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The step with the smallest error and that error: ``(h_best, error_best)``.

    A zero error (an estimate that happens to be exact in float64) counts as the smallest.
    """
    steps = np.asarray(hs, dtype=np.float64)
    errs = np.asarray(errors, dtype=np.float64)
    if steps.shape != errs.shape or steps.size == 0:
        raise ValueError(f"hs and errors must be non-empty and of the same shape, got {steps.shape} and {errs.shape}")
    i = int(np.argmin(errs))
    return float(steps[i]), float(errs[i])


class NudgeView(FigureView):
    """The picture of :func:`plot_nudge`, redrawn in place for each ``(x, h, func)``."""

    figsize = (11.0, 4.0)
    floor = 1e-17  # errors that are exactly 0 would vanish from a log plot: draw them here
    hs = np.logspace(-15, 0, 61)

    def build(self) -> None:
        self.ax, self.ax_err = ax, ax_err = self.figure.subplots(1, 2)
        (self.curve,) = ax.plot([], [], color="0.2", lw=2, label="f(x)")
        (self.tangent,) = ax.plot([], [], color=CLASS_COLORS[2], lw=1.5, label="tangent")
        (self.forward,) = ax.plot([], [], "--", color=CLASS_COLORS[1], label="forward secant")
        (self.central,) = ax.plot([], [], ":", color=CLASS_COLORS[0], lw=2, label="central secant")
        (self.points,) = ax.plot([], [], "o", color="k", ms=5)
        ax.set_xlabel("x")
        self.legend = ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
        self.fwd_err, self.cen_err = (
            ax_err.loglog(self.hs, self.hs, "-", color=CLASS_COLORS[k], label=f"{name} difference")[0]
            for k, name in ((1, "forward"), (0, "central"))
        )
        (self.fwd_dot,) = ax_err.loglog([1.0], [1.0], "o", color=CLASS_COLORS[1], ms=8)
        (self.cen_dot,) = ax_err.loglog([1.0], [1.0], "o", color=CLASS_COLORS[0], ms=8)
        self.h_line = ax_err.axvline(1.0, color="0.5", lw=0.8)
        self.exact_zero = {
            name: ax_err.annotate(
                f"{name}: error exactly 0",
                (1.0, self.floor),
                xytext=(-8, 8),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=color,
            )
            for name, color in (("forward", CLASS_COLORS[1]), ("central", CLASS_COLORS[0]))
        }
        ax_err.set_xlim(self.hs[0] / 2, self.hs[-1] * 2)
        ax_err.set_ylim(self.floor / 3, 1e2)
        ax_err.set_xlabel("step h")
        ax_err.set_ylabel("|estimate - exact|")
        ax_err.set_title("error against step size")
        ax_err.legend(fontsize=8, loc="lower left")
        ax_err.grid(alpha=0.3, which="both")
        self._errors_for: tuple[float, str] | None = None

    def moving_artists(self) -> list[object]:
        # the left axes moves with x as a whole (its limits follow x); the error axes keeps its limits
        notes = list(self.exact_zero.values())
        right = [self.fwd_err, self.cen_err, self.fwd_dot, self.cen_dot, self.h_line, *notes, self.ax_err.get_legend()]
        return [self.ax, *right]

    def draw(self, x: float = 1.0, h: float = 0.5, func: str = "3x^2 - 4x + 5") -> None:
        f, df = _nudge_function(func)
        est = nudge_estimates(x, h, func)
        x, h = float(x), float(h)
        half_width = max(2.0, 2.0 * h)  # a window around x that always shows x - h and x + h
        lo, hi = x - half_width, x + half_width
        xs = np.linspace(lo, hi, 300)
        ys = np.array([f(float(v)) for v in xs])
        fx = f(x)
        self.curve.set_data(xs, ys)
        self.tangent.set_data(xs, fx + est["exact"] * (xs - x))
        self.forward.set_data(xs, fx + est["forward"] * (xs - x))
        self.central.set_data(xs, f(x + h) + est["central"] * (xs - x - h))
        self.points.set_data([x - h, x, x + h], [f(x - h), fx, f(x + h)])
        labels = (
            f"f(x) = {func}",
            f"tangent, slope {est['exact']:.4g}",
            f"forward secant, slope {est['forward']:.4g}",
            f"central secant, slope {est['central']:.4g}",
        )
        for line, text, label in zip(
            (self.curve, self.tangent, self.forward, self.central), self.legend.get_texts(), labels
        ):
            line.set_label(label)
            text.set_text(label)
        pad = 0.1 * (ys.max() - ys.min() + 1e-12)
        self.ax.set_ylim(ys.min() - pad, ys.max() + pad)
        self.ax.set_xlim(lo, hi)
        self.ax.set_title(f"nudging x = {x:.3g} by h = {h:.3g}")
        if self._errors_for != (x, func):  # the error curves depend on x and f only, not on h
            fwd, cen = finite_difference_errors(f, df, x, self.hs)
            self.fwd_err.set_ydata(np.maximum(fwd, self.floor))
            self.cen_err.set_ydata(np.maximum(cen, self.floor))
            self._errors_for = (x, func)
        self.fwd_dot.set_data([h], [max(est["forward_error"], self.floor)])
        self.cen_dot.set_data([h], [max(est["central_error"], self.floor)])
        self.h_line.set_xdata([h, h])
        for name, note in self.exact_zero.items():
            note.xy = (h, self.floor)
            note.set_visible(est[f"{name}_error"] == 0.0)


def plot_nudge(x: float = 1.0, h: float = 0.5, func: str = "3x^2 - 4x + 5") -> Figure:
    """Left: ``func`` with its tangent at ``x`` and the forward and central secants of step ``h``.
    Right: the error of both estimates against the step size (log-log), the current ``h`` marked.

    The slope of each secant is the finite-difference estimate; as ``h`` shrinks the
    secants turn into the tangent, whose slope is the derivative.
    """
    return NudgeView(pyplot=True).update(x=x, h=h, func=func)


def nudge_explorer(x: float = 1.0, h: float = 0.1, func: str = "3x^2 - 4x + 5") -> object:
    """Sliders for ``x`` and ``h`` (log scale) and a function menu, drawing :func:`plot_nudge`.

    The arguments are the starting values (``x`` in [-5, 5], ``h`` in [1e-12, 1]). The ``h``
    slider moves in steps of a quarter decade, so start at a power of ten (or 10^(k/4)):
    another value would snap to the nearest step and the live plot would differ from the static one.
    """
    import ipywidgets as widgets

    nudge_estimates(x, h, func)  # a clear error for a bad start, before any widget is made
    if not (-5.0 <= x <= 5.0 and 1e-12 <= h <= 1.0):
        raise ValueError(f"start inside the sliders' ranges: x in [-5, 5], h in [1e-12, 1]; got x={x!r}, h={h!r}")
    quarter_decades = 4.0 * math.log10(h)
    if abs(quarter_decades - round(quarter_decades)) > 1e-9:
        raise ValueError(
            f"h={h!r} is not a value the h slider can take (it moves in quarter decades): start at "
            f"{10.0 ** (round(quarter_decades) / 4.0):.4g} or at a power of ten such as 0.1"
        )
    return view_explorer(
        NudgeView(),
        {
            "x": widgets.FloatSlider(value=x, min=-5.0, max=5.0, step=0.1, description="x"),
            "h": widgets.FloatLogSlider(value=h, base=10, min=-12, max=0, step=0.25, description="h"),
            "func": widgets.Dropdown(options=list(NUDGE_FUNCTIONS), value=func, description="f"),
        },
    )
