"""ipywidgets explorers for the notebooks.

Each explorer is two parts: a plain function that draws one state (a figure, or
numbers) from the slider values, and a thin ``*_explorer()`` that wires sliders
to it with ``ipywidgets.interactive``. Tests call the plain functions directly;
notebooks call the plain function once for a static picture (so the notebook
reads well on GitHub and under nbval) and then the explorer.

ipywidgets is imported inside the explorers only, so importing this module
needs no Jupyter (it works with ipywidgets 7.7 as on Colab, and 8.x).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import data
from .plots import CLASS_COLORS

__all__: list[str] = [
    # notebooks 01-03
    "NEURON_DATASETS",
    "NUDGE_FUNCTIONS",
    "best_step",
    "decision_line",
    "finite_difference_errors",
    "neuron_explorer",
    "neuron_output",
    "nudge_estimates",
    "nudge_explorer",
    "plot_neuron",
    "plot_nudge",
]

# ----------------------------------------------------------------------------
# Notebooks 01-03 (chain rule, graphs, neurons)

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


def plot_nudge(x: float = 1.0, h: float = 0.5, func: str = "3x^2 - 4x + 5") -> Figure:
    """Left: ``func`` with its tangent at ``x`` and the forward and central secants of step ``h``.
    Right: the error of both estimates against the step size (log-log), the current ``h`` marked.

    The slope of each secant is the finite-difference estimate; as ``h`` shrinks the
    secants turn into the tangent, whose slope is the derivative.
    """
    f, df = _nudge_function(func)
    est = nudge_estimates(x, h, func)
    x, h = float(x), float(h)
    fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(11.0, 4.0))
    lo, hi = min(-3.0, x - 1.5 * h - 0.5), max(3.0, x + 1.5 * h + 0.5)
    xs = np.linspace(lo, hi, 300)
    ys = np.array([f(float(v)) for v in xs])
    ax.plot(xs, ys, color="0.2", lw=2, label=f"f(x) = {func}")
    fx = f(x)
    ax.plot(xs, fx + est["exact"] * (xs - x), color=CLASS_COLORS[2], lw=1.5, label=f"tangent, slope {est['exact']:.4g}")
    ax.plot(
        xs,
        fx + est["forward"] * (xs - x),
        "--",
        color=CLASS_COLORS[1],
        label=f"forward secant, slope {est['forward']:.4g}",
    )
    ax.plot(
        xs,
        f(x + h) + est["central"] * (xs - x - h),
        ":",
        color=CLASS_COLORS[0],
        lw=2,
        label=f"central secant, slope {est['central']:.4g}",
    )
    ax.plot([x - h, x, x + h], [f(x - h), fx, f(x + h)], "o", color="k", ms=5)
    pad = 0.1 * (ys.max() - ys.min() + 1e-12)
    ax.set_ylim(ys.min() - pad, ys.max() + pad)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_title(f"nudging x = {x:.3g} by h = {h:.3g}")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)

    hs = np.logspace(-15, 0, 61)
    fwd, cen = finite_difference_errors(f, df, x, hs)
    floor = 1e-18  # errors that are exactly 0 would vanish from a log plot
    ax_err.loglog(hs, np.maximum(fwd, floor), "-", color=CLASS_COLORS[1], label="forward difference")
    ax_err.loglog(hs, np.maximum(cen, floor), "-", color=CLASS_COLORS[0], label="central difference")
    ax_err.loglog([h], [max(est["forward_error"], floor)], "o", color=CLASS_COLORS[1], ms=8)
    ax_err.loglog([h], [max(est["central_error"], floor)], "o", color=CLASS_COLORS[0], ms=8)
    ax_err.axvline(h, color="0.5", lw=0.8)
    ax_err.set_ylim(1e-17, 1e2)
    ax_err.set_xlabel("step h")
    ax_err.set_ylabel("|estimate - exact|")
    ax_err.set_title("error against step size")
    ax_err.legend(fontsize=8, loc="lower left")
    ax_err.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def nudge_explorer() -> object:
    """Sliders for ``x`` and ``h`` (log scale) and a function menu, drawing :func:`plot_nudge`."""
    import ipywidgets as widgets

    def show(x: float, h: float, func: str) -> None:
        _display_figure(plot_nudge(x, h, func))

    return widgets.interactive(
        show,
        x=widgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.1, description="x"),
        h=widgets.FloatLogSlider(value=0.5, base=10, min=-12, max=0, step=0.25, description="h"),
        func=widgets.Dropdown(options=list(NUDGE_FUNCTIONS), value="3x^2 - 4x + 5", description="f"),
    )


def _display_figure(fig: Figure) -> None:
    """Show ``fig`` in the current output (a widget's Output area) and close it, so it is shown once."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


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


_NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # = 1 / (1 + e^-z), without overflow
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


def plot_neuron(
    w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "sigmoid", dataset: str = "AND"
) -> Figure:
    """One neuron's output over the plane, its decision line z = 0 and its weight vector, on a data set.

    The background is the activation :math:`\\phi(\\mathbf w \\cdot \\mathbf x + b)`; the
    solid line is :math:`z = 0`, the arrow is :math:`\\mathbf w` (pointing to where z grows).
    The title counts the points on the right side (class 1 where z > 0).
    """
    if dataset not in NEURON_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(NEURON_DATASETS)}")
    X, y = NEURON_DATASETS[dataset]()
    pad = 0.6
    xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
    ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
    gx, gy = np.meshgrid(np.linspace(*xlim, 120), np.linspace(*ylim, 120))
    _, a = neuron_output(np.column_stack([gx.ravel(), gy.ravel()]), w1, w2, b, activation)
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    bounds = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
    vmin, vmax = bounds.get(activation, (float(a.min()), float(a.max()) + 1e-9))
    mesh = ax.pcolormesh(gx, gy, a.reshape(gx.shape), cmap="coolwarm", vmin=vmin, vmax=vmax, shading="auto", alpha=0.6)
    fig.colorbar(mesh, ax=ax, label=f"neuron output {activation}(z)")
    for label in (0, 1):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=40,
            color=CLASS_COLORS[label],
            edgecolor="k",
            linewidth=0.6,
            label=f"class {label}",
        )
    line = decision_line(w1, w2, b, xlim, ylim)
    if line is None:
        ax.text(0.5, 0.95, "w = 0: no line, z = b everywhere", transform=ax.transAxes, ha="center", va="top")
    else:
        ax.plot(line[:, 0], line[:, 1], color="k", lw=2, label="decision line z = 0")
        # the arrow w starts at the point of the line nearest the box centre
        centre = np.array([sum(xlim) / 2, sum(ylim) / 2])
        w = np.array([w1, w2], dtype=np.float64)
        foot = centre - (w @ centre + b) / (w @ w) * w
        length = 0.25 * min(xlim[1] - xlim[0], ylim[1] - ylim[0])
        tip = foot + length * w / np.linalg.norm(w)
        ax.annotate("", xy=tuple(tip), xytext=tuple(foot), arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"})
        ax.text(tip[0], tip[1], " w", fontsize=11, va="center")
    z, _ = neuron_output(X, w1, w2, b, activation)
    right = int(np.sum((z > 0) == (y == 1)))
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"{dataset}: w = ({w1:.2g}, {w2:.2g}), b = {b:.2g}; {right} of {len(y)} points right")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def neuron_explorer() -> object:
    """Sliders for a 2-input neuron's weights and bias, drawing :func:`plot_neuron`."""
    import ipywidgets as widgets

    def show(w1: float, w2: float, b: float, activation: str, dataset: str) -> None:
        _display_figure(plot_neuron(w1, w2, b, activation, dataset))

    def slider(value: float, name: str) -> object:
        return widgets.FloatSlider(value=value, min=-3.0, max=3.0, step=0.1, description=name)

    return widgets.interactive(
        show,
        w1=slider(1.0, "w1"),
        w2=slider(1.0, "w2"),
        b=slider(-1.5, "b"),
        activation=widgets.Dropdown(options=list(_NUMPY_ACTIVATIONS), value="sigmoid", description="activation"),
        dataset=widgets.Dropdown(options=list(NEURON_DATASETS), value="AND", description="data"),
    )


# ----------------------------------------------------------------------------
# Notebooks 04-06 (gradient descent, XOR, symmetry breaking)

# ----------------------------------------------------------------------------
# Notebooks 07-09 (local minima, matrix form, training end to end)
