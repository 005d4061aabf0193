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

import base64
import io
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import data, matrix_mlp
from .nn import INITS, MLP, init_weights
from .optim import History, train
from .plots import CLASS_COLORS, plot_decision_boundary, plot_landscape_1d, predict_scores

__all__: list[str] = [
    # notebooks 01-03
    "NEURON_DATASETS",
    "NUDGE_FUNCTIONS",
    "best_step",
    "decision_line",
    "figure_explorer",
    "figure_output",
    "finite_difference_errors",
    "neuron_explorer",
    "neuron_output",
    "nudge_estimates",
    "nudge_explorer",
    "plot_neuron",
    "plot_nudge",
    # notebooks 04-06
    "ActivationStats",
    "activation_statistics",
    "bce_and_accuracy",
    "count_distinct_units",
    "hidden_unit_outputs",
    "init_explorer",
    "init_scale_explorer",
    "learning_rate_explorer",
    "learning_rate_regime",
    "plot_activation_statistics",
    "plot_hidden_units",
    "plot_hidden_weights",
    "plot_learning_rate",
    "quadratic_descent",
    "quadratic_loss",
    "symmetry_figure",
    "train_xor",
    "xor_explorer",
    "xor_hidden_units_figure",
    # notebooks 07-09
    "TRAINING_DATASETS",
    "bumpy_descent",
    "bumpy_descent_explorer",
    "bumpy_loss",
    "bumpy_loss_grad",
    "plot_bumpy_descent",
    "plot_training_run",
    "plot_xor_run",
    "train_on_dataset",
    "training_explorer",
    "xor_run",
    "xor_seed_explorer",
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
    half_width = max(2.0, 2.0 * h)  # a window around x that always shows x - h and x + h
    lo, hi = x - half_width, x + half_width
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
    floor = 1e-17  # errors that are exactly 0 would vanish from a log plot: draw them here
    ax_err.loglog(hs, np.maximum(fwd, floor), "-", color=CLASS_COLORS[1], label="forward difference")
    ax_err.loglog(hs, np.maximum(cen, floor), "-", color=CLASS_COLORS[0], label="central difference")
    ax_err.loglog([h], [max(est["forward_error"], floor)], "o", color=CLASS_COLORS[1], ms=8)
    ax_err.loglog([h], [max(est["central_error"], floor)], "o", color=CLASS_COLORS[0], ms=8)
    ax_err.axvline(h, color="0.5", lw=0.8)
    for name, color in (("forward", CLASS_COLORS[1]), ("central", CLASS_COLORS[0])):
        if est[f"{name}_error"] == 0.0:
            ax_err.annotate(
                f"{name}: error exactly 0",
                (h, floor),
                xytext=(-8, 8),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=color,
            )
    ax_err.set_ylim(floor / 3, 1e2)
    ax_err.set_xlabel("step h")
    ax_err.set_ylabel("|estimate - exact|")
    ax_err.set_title("error against step size")
    ax_err.legend(fontsize=8, loc="lower left")
    ax_err.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


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
    return figure_explorer(
        plot_nudge,
        x=widgets.FloatSlider(value=x, min=-5.0, max=5.0, step=0.1, continuous_update=False, description="x"),
        h=widgets.FloatLogSlider(value=h, base=10, min=-12, max=0, step=0.25, continuous_update=False, description="h"),
        func=widgets.Dropdown(options=list(NUDGE_FUNCTIONS), value=func, description="f"),
    )


def figure_output(fig: Figure) -> dict[str, object]:
    """``fig`` as one Jupyter ``display_data`` output (a PNG), and close the figure.

    Used by :func:`figure_explorer` to put a picture into an ``Output`` widget's state.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": "<Figure>"},
        "metadata": {},
    }


def figure_explorer(plot: Callable[..., Figure], **controls: object) -> object:
    """Wire ipywidgets controls to ``plot`` (a function returning a Figure) with ``ipywidgets.interactive``.

    Each change of a control redraws ``plot(**values)`` into the ``interactive``'s own
    ``Output`` widget by setting that widget's ``outputs`` directly, instead of displaying
    the figure inside the ``Output`` context. So nothing is sent as a cell output while a
    notebook runs: the stored cell has the same outputs under nbclient (which routes captured
    output into the widget) and nbval (which does not), and nbclient does not hit its
    occasional hang on captured widget output (jupyter/nbclient#312). Works with ipywidgets
    7.7 and 8.

    Returns:
        The ``interactive`` widget: the controls, then the ``Output`` holding the picture.
    """
    import ipywidgets as widgets

    ui: list[object] = []  # the interactive, once built: its Output is where the picture goes

    def show(**values: object) -> None:
        if ui:
            ui[0].out.outputs = (figure_output(plot(**values)),)  # type: ignore[attr-defined]

    explorer = widgets.interactive(show, clear_output=False, **controls)
    ui.append(explorer)
    explorer.update()  # the first picture (the call inside interactive's constructor came too early)
    return explorer


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

    def slider(value: float, name: str) -> object:
        return widgets.FloatSlider(value=value, min=-3.0, max=3.0, step=0.1, continuous_update=False, description=name)

    return figure_explorer(
        plot_neuron,
        w1=slider(1.0, "w1"),
        w2=slider(1.0, "w2"),
        b=slider(-1.5, "b"),
        activation=widgets.Dropdown(options=list(_NUMPY_ACTIVATIONS), value="sigmoid", description="activation"),
        dataset=widgets.Dropdown(options=list(NEURON_DATASETS), value="AND", description="data"),
    )


# ----------------------------------------------------------------------------
# Notebooks 04-06 (gradient descent, XOR, symmetry breaking)


def _positive(x: float, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return float(x)


def _count(n: int, name: str, minimum: int = 0) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def quadratic_loss(w: float | np.ndarray, curvature: float = 40.0, minimum: float = 2.0) -> float | np.ndarray:
    """The 1-D quadratic :math:`f(w) = \\tfrac{L}{2}(w - w^*)^2`, with curvature :math:`f''(w) = L`."""
    return 0.5 * curvature * (np.asarray(w, dtype=np.float64) - minimum) ** 2


def quadratic_descent(
    lr: float, curvature: float = 40.0, w0: float = 0.0, minimum: float = 2.0, steps: int = 15
) -> np.ndarray:
    """Run gradient descent on :math:`f(w) = \\tfrac{L}{2}(w - w^*)^2` and return the iterates.

    The gradient is :math:`f'(w) = L(w - w^*)`, so one step
    :math:`w_{t+1} = w_t - \\eta f'(w_t)` gives

    .. math::

        w_{t+1} - w^* = (1 - \\eta L)(w_t - w^*), \\qquad w_t - w^* = (1 - \\eta L)^t (w_0 - w^*).

    The distance to the minimum shrinks when :math:`|1 - \\eta L| < 1`, that is when
    :math:`0 < \\eta < 2/L`; it grows (training diverges) when :math:`\\eta > 2/L`.

    Args:
        lr: the learning rate :math:`\\eta > 0`.
        curvature: :math:`L = f'' > 0`.
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
    """What gradient descent does on a quadratic of curvature ``L`` with learning rate ``lr``.

    With :math:`r = 1 - \\eta L` (the factor the distance to the minimum is multiplied by
    each step): ``"converges in one step"`` (:math:`r = 0`), ``"converges"``
    (:math:`0 < r < 1`), ``"converges, oscillating"`` (:math:`-1 < r < 0`),
    ``"oscillates forever"`` (:math:`r = -1`, i.e. :math:`\\eta = 2/L`), ``"diverges"``
    (:math:`r < -1`, i.e. :math:`\\eta > 2/L`).
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


def plot_learning_rate(
    lr: float = 0.01, curvature: float = 40.0, w0: float = 0.0, minimum: float = 2.0, steps: int = 15
) -> Figure:
    """Gradient descent on :math:`\\tfrac{L}{2}(w - w^*)^2` with learning rate ``lr``.

    Left: the loss and the descent path (points that leave the window are off the
    picture: the run is diverging). Right: the loss per step on a log scale: a line
    going down is convergence, a line going up divergence.
    """
    path = quadratic_descent(lr, curvature, w0, minimum, steps)
    regime = learning_rate_regime(lr, curvature)
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(11.0, 3.8))
    half = max(1.0, 1.5 * abs(w0 - minimum))
    lo, hi = minimum - half, minimum + half
    plot_landscape_1d(lambda w: float(quadratic_loss(w, curvature, minimum)), lo, hi, path=path.tolist(), ax=ax)
    ax.set_xlim(lo, hi)
    top = float(quadratic_loss(lo, curvature, minimum))
    ax.set_ylim(-0.05 * top, 1.1 * top)
    ax.set_title(f"lr = {lr:.3g}, lr·L = {lr * curvature:.3g}: {regime}")
    if not np.all((path >= lo) & (path <= hi)):
        ax.text(0.5, 0.97, "the path leaves the picture", transform=ax.transAxes, ha="center", va="top", color="C3")
    with np.errstate(over="ignore", invalid="ignore"):
        losses_ = np.asarray(quadratic_loss(path, curvature, minimum), dtype=np.float64)
    floor = 1e-20  # an exact 0 (one-step convergence) would vanish from a log plot
    ax_loss.semilogy(np.arange(path.size), np.maximum(losses_, floor), "o-", color=CLASS_COLORS[0], ms=4)
    ax_loss.axhline(losses_[0], color="0.5", ls=":", lw=1, label="starting loss")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss (log scale)")
    ax_loss.set_title(f"each step multiplies the distance to $w^*$ by 1 - lr·L = {1 - lr * curvature:.3g}")
    ax_loss.legend(fontsize=8)
    ax_loss.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def learning_rate_explorer() -> object:
    """A log-scale learning-rate slider (and curvature, steps) drawing :func:`plot_learning_rate`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_learning_rate,
        lr=widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=-1, step=0.05, description="lr"),
        curvature=widgets.FloatSlider(value=40.0, min=5.0, max=80.0, step=5.0, description="curvature L"),
        steps=widgets.IntSlider(value=15, min=1, max=40, description="steps"),
    )


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


def plot_hidden_units(model: MLP, X: np.ndarray, y: np.ndarray, title: str | None = None) -> Figure:
    """What each hidden unit of a 2-input, one-hidden-layer network computes, and how they combine.

    One panel per hidden unit: its output :math:`h_j(\\mathbf x)` over the plane and its line
    :math:`\\mathbf w_j \\cdot \\mathbf x + b_j = 0`. With exactly two hidden units, a panel
    shows the data in *hidden space* :math:`(h_1, h_2)` with the output neuron's line. The
    last panel is the whole network's decision boundary.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if len(model.layers) != 2 or model.nin != 2:
        raise ValueError(f"plot_hidden_units draws networks MLP(2, [hidden, 1]); got {model!r}")
    W, b = model.weights()[0]
    n_units = len(b)
    panels = n_units + (2 if n_units == 2 else 1)
    ncols = min(panels, 5)
    nrows = math.ceil(panels / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    flat = list(axes.ravel())
    pad = 0.5
    xlim = (float(X[:, 0].min()) - pad, float(X[:, 0].max()) + pad)
    ylim = (float(X[:, 1].min()) - pad, float(X[:, 1].max()) + pad)
    gx, gy = np.meshgrid(np.linspace(*xlim, 100), np.linspace(*ylim, 100))
    H = hidden_unit_outputs(model, np.column_stack([gx.ravel(), gy.ravel()]))
    activation = model.layers[0].activation
    bounds = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}

    def scatter(ax: Axes, P: np.ndarray) -> None:
        for label in np.unique(y):
            mask = y == label
            ax.scatter(
                P[mask, 0],
                P[mask, 1],
                s=45,
                color=CLASS_COLORS[int(label)],
                edgecolor="k",
                linewidth=0.6,
                label=f"class {label}",
                zorder=3,
            )

    for j in range(n_units):
        ax = flat[j]
        vmin, vmax = bounds.get(activation, (float(H[:, j].min()), float(H[:, j].max()) + 1e-9))
        ax.pcolormesh(gx, gy, H[:, j].reshape(gx.shape), cmap="coolwarm", vmin=vmin, vmax=vmax, shading="auto")
        line = decision_line(W[j, 0], W[j, 1], b[j], xlim, ylim)
        if line is not None:
            ax.plot(line[:, 0], line[:, 1], color="k", lw=2)
        scatter(ax, X)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        formula = f"{W[j, 0]:.2f}x₁ {_signed(W[j, 1])}x₂ {_signed(b[j])}"
        ax.set_title(f"hidden unit {j + 1}: {activation}({formula})", fontsize=8)
    k = n_units
    if n_units == 2:
        ax = flat[k]
        Hx = hidden_unit_outputs(model, X)
        scatter(ax, Hx)
        (V, c) = model.weights()[1]
        lo_h, hi_h = bounds.get(activation, (float(Hx.min()) - 0.5, float(Hx.max()) + 0.5))
        lim = (lo_h - 0.15, hi_h + 0.15)
        line = decision_line(V[0, 0], V[0, 1], c[0], lim, lim)
        if line is not None:
            ax.plot(line[:, 0], line[:, 1], color="k", lw=2, label="output neuron's line")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_xlabel("$h_1$")
        ax.set_ylabel("$h_2$")
        ax.set_title("the data in hidden space $(h_1, h_2)$", fontsize=9)
        ax.legend(fontsize=7, loc="best")
        k += 1
    plot_decision_boundary(model, X, y, ax=flat[k], resolution=100, title="the network: output > 0")
    for ax in flat[k + 1 :]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _signed(x: float) -> str:
    """``x`` as ``+ 1.23`` or ``- 1.23``, for writing a formula."""
    return f"{'-' if x < 0 else '+'} {abs(x):.2f}"


def xor_hidden_units_figure(hidden: int = 2, seed: int = 1, steps: int = 300, lr: float = 0.5) -> Figure:
    """Train :func:`train_xor` and draw :func:`plot_hidden_units`, the final loss and accuracy in the title."""
    model, _, _ = train_xor(hidden, seed=seed, steps=steps, lr=lr)
    X, y = data.xor()
    loss, acc = bce_and_accuracy(model, X, y)
    title = f"MLP(2, [{hidden}, 1]), seed {seed}, {steps} steps: loss {loss:.4f}, accuracy {acc:.2f}"
    return plot_hidden_units(model, X, y, title=title)


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


def xor_explorer() -> object:
    """Sliders for hidden width, seed, steps and learning rate: retrains and draws :func:`xor_hidden_units_figure`."""
    import ipywidgets as widgets

    def slider(cls: Callable[..., object], **kw: object) -> object:
        return cls(continuous_update=False, **kw)

    return figure_explorer(
        xor_hidden_units_figure,
        hidden=slider(widgets.IntSlider, value=2, min=1, max=6, description="hidden units"),
        seed=slider(widgets.IntSlider, value=1, min=0, max=20, description="seed"),
        steps=slider(widgets.IntSlider, value=300, min=0, max=1000, step=50, description="steps"),
        lr=slider(widgets.FloatSlider, value=0.5, min=0.05, max=2.0, step=0.05, description="lr"),
    )


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


def symmetry_figure(
    init: str = "constant", scale: float = 0.5, hidden: int = 4, seed: int = 0, steps: int = 300, lr: float = 0.5
) -> Figure:
    """Train :func:`train_xor` with the given initialisation; draw the hidden units' weights and the result."""
    model, _, trajectory = train_xor(hidden, init=init, scale=scale, seed=seed, steps=steps, lr=lr)
    fig, axes = plt.subplots(1, 4, figsize=(16.0, 3.6))
    plot_hidden_weights(trajectory, axes=axes[:3])
    X, y = data.xor()
    loss, acc = bce_and_accuracy(model, X, y)
    plot_decision_boundary(model, X, y, ax=axes[3], resolution=100, title=f"loss {loss:.3f}, accuracy {acc:.2f}")
    fig.suptitle(
        f"init={init!r}, scale={scale:g}, {hidden} hidden units: "
        f"{count_distinct_units(trajectory[-1])} distinct after {steps} steps"
    )
    fig.tight_layout()
    return fig


def init_explorer() -> object:
    """Pick the initialisation (constant or random), its scale and the seed; draws :func:`symmetry_figure`."""
    import ipywidgets as widgets

    return figure_explorer(
        symmetry_figure,
        init=widgets.Dropdown(
            options=["constant", "uniform", "xavier", "normal"], value="constant", description="init"
        ),
        scale=widgets.FloatLogSlider(
            value=0.5, base=10, min=-2, max=1, step=0.1, description="scale", continuous_update=False
        ),
        hidden=widgets.IntSlider(value=4, min=1, max=6, description="hidden units", continuous_update=False),
        seed=widgets.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False),
        steps=widgets.IntSlider(value=300, min=0, max=1000, step=50, description="steps", continuous_update=False),
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


def plot_activation_statistics(
    init: str = "xavier", scale: float = 1.0, activation: str = "tanh", depth: int = 6, width: int = 64
) -> Figure:
    """At initialisation: histograms of each hidden layer's outputs, and the gradient reaching each layer."""
    stats = activation_statistics(init, scale, activation, depth, width)
    acts = stats.activations
    fig, (ax_h, ax_g) = plt.subplots(1, 2, figsize=(12.0, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    cmap = plt.get_cmap("viridis")
    bounds = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
    lo, hi = bounds.get(activation, (0.0, max(float(max(h.max() for h in acts)), 1e-6)))
    bins = np.linspace(lo, hi, 61)
    sat_name = "dead" if activation == "relu" else "saturated"
    for l, h in enumerate(acts):
        ax_h.hist(
            h.ravel(),
            bins=bins,
            histtype="step",
            density=True,
            lw=1.5,
            color=cmap(l / max(len(acts) - 1, 1)),
            label=f"layer {l + 1}: std {stats.std[l]:.3f}, {sat_name} {stats.saturated[l]:.0%}",
        )
    ax_h.set_xlabel(f"{activation} output")
    ax_h.set_ylabel("density")
    ax_h.set_title(f"hidden-layer outputs at init ({init}, scale {scale:g})")
    ax_h.legend(fontsize=7)
    layers = np.arange(1, depth + 1)
    ax_g.semilogy(layers, np.maximum(stats.grad_activations, 1e-300), "o-", color=CLASS_COLORS[0])
    ax_g.set_xticks(layers)
    ax_g.set_xlabel("hidden layer (the backward pass goes right to left)")
    ax_g.set_ylabel("RMS of dL/dh")
    ax_g.set_title("gradient reaching each layer")
    ax_g.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def init_scale_explorer() -> object:
    """Initialisation, scale and activation controls drawing :func:`plot_activation_statistics`."""
    import ipywidgets as widgets

    return figure_explorer(
        plot_activation_statistics,
        init=widgets.Dropdown(options=["xavier", "he", "uniform", "normal"], value="xavier", description="init"),
        scale=widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1, step=0.1, description="scale"),
        activation=widgets.Dropdown(options=["tanh", "relu", "sigmoid"], value="tanh", description="activation"),
    )


# ----------------------------------------------------------------------------
# Notebooks 07-09 (local minima, matrix form, training end to end)


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
    plot_decision_boundary(lambda P: model(P)[:, 0], X, y, ax=ax_b, threshold=0.5, resolution=120)
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
