"""Gradient checking: compare a backward pass with finite differences.

The central difference

.. math::

    \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h}

has error :math:`O(h^2)` (the forward difference :math:`(f(x+h e_i) - f(x))/h` only
:math:`O(h)`), until :math:`h` is so small that float64 round-off, about
:math:`10^{-16} |f| / h`, takes over. It costs two evaluations of ``f`` per input,
far too slow to train with but the standard way to *check* a backward pass.

We compare with the relative error (CS231n):
:math:`\\max_i |a_i - n_i| / \\max(10^{-8}, |a_i| + |n_i|)`. As a rule of thumb in
float64: below 1e-7 is right, around 1e-4 is suspicious (fine only at a kink such
as ReLU's 0), above 1e-2 is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .engine import Value
from .random_state import SeedLike, as_generator

__all__ = [
    "GradCheckReport",
    "check_array_gradient",
    "check_gradients",
    "elementwise_rel_error",
    "check_layer_gradients",
    "numerical_derivative",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
]


def rel_error(analytic: np.ndarray | float, numeric: np.ndarray | float) -> float:
    """Largest elementwise relative error :math:`|a - n| / \\max(10^{-8}, |a| + |n|)`."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, analytic {a.shape} vs numeric {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(elementwise_rel_error(a, n)))


def elementwise_rel_error(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:math:`|a - n| / \\max(10^{-8}, |a| + |n|)` entry by entry; ``inf`` where either is NaN or infinite.

    NaN or infinity anywhere is as wrong as an answer gets, so it sorts as the worst error.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))
    return np.where(np.isfinite(err), err, np.inf)


def numerical_derivative(
    f: Callable[[float], float], x: float, h: float = 1e-5, method: Literal["central", "forward"] = "central"
) -> float:
    """Finite-difference estimate of :math:`f'(x)` with step ``h``."""
    if not h > 0:
        raise ValueError(f"the step h must be positive, got {h!r}")
    if method == "central":
        return (f(x + h) - f(x - h)) / (2.0 * h)
    if method == "forward":
        return (f(x + h) - f(x)) / h
    raise ValueError(f"method must be 'central' or 'forward', got {method!r}")


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function of an array (``x`` is restored after)."""
    x = _float_array(x, "x")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        grad[i] = (fp - fm) / (2.0 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    dout: np.ndarray,
    h: float = 1e-5,
    indices: Sequence[tuple[int, ...]] | None = None,
) -> np.ndarray:
    """Central-difference gradient of :math:`\\sum(f(x) \\odot dout)` w.r.t. ``x`` (CS231n style).

    ``dout`` plays the upstream gradient: the result is what ``backward(dout)`` should
    return for ``x``. With ``indices``, only those entries are estimated (the rest stay 0),
    for sparse checks of big arrays.
    """
    x = _float_array(x, "x")
    dout = np.asarray(dout, dtype=np.float64)
    grad = np.zeros_like(x)
    todo = indices if indices is not None else list(np.ndindex(*x.shape))
    for i in todo:
        old = x[i]
        x[i] = old + h
        fp = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old - h
        fm = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old
        if fp.shape != dout.shape:
            raise ValueError(f"f(x) has shape {fp.shape} but dout has shape {dout.shape}; they must match")
        grad[i] = np.sum((fp - fm) * dout) / (2.0 * h)
    return grad


def _float_array(x: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(
            f"{name} must be a float64 numpy array (it is perturbed in place), got "
            f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}; "
            "use np.asarray(x, dtype=np.float64)"
        )
    return x


@dataclass
class GradCheckReport:
    """The result of a gradient check; ``str(report)`` explains it in a sentence or two."""

    names: list[str]
    analytic: np.ndarray
    numeric: np.ndarray
    errors: np.ndarray
    tol: float
    #: an input also passes when ``|analytic - numeric| <= atol``: finite differences cannot
    #: resolve gradients near 0 (e.g. a saturated tanh) to a small *relative* error.
    atol: float = 0.0

    @property
    def failing(self) -> np.ndarray:
        """Boolean mask of the inputs that disagree beyond both tolerances."""
        with np.errstate(invalid="ignore"):
            close = np.abs(self.analytic - self.numeric) <= self.atol
        return (self.errors > self.tol) & ~close

    @property
    def max_error(self) -> float:
        return float(self.errors.max()) if self.errors.size else 0.0

    @property
    def worst(self) -> int:
        """Flat index of the input with the largest relative error (among failing ones, if any fail)."""
        if not self.errors.size:
            return 0
        failing = self.failing
        return int(np.argmax(np.where(failing, self.errors, -1.0))) if failing.any() else int(np.argmax(self.errors))

    @property
    def passed(self) -> bool:
        return not self.failing.any()

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if not self.errors.size:
            return "gradient check: nothing to check"
        w = self.worst
        verdict = "PASSED" if self.passed else "FAILED"
        line = (
            f"gradient check {verdict}: max relative error {self.max_error:.2e} (tolerance {self.tol:.0e}) "
            f"at {self.names[w]}: analytic {self.analytic.flat[w]:.8g}, numeric {self.numeric.flat[w]:.8g}"
        )
        if not self.passed:
            bad = int(self.failing.sum())
            line += f"; {bad} of {self.errors.size} inputs disagree"
        return line

    __repr__ = __str__


def check_gradients(
    f: Callable[..., Value],
    inputs: Sequence[float],
    names: Sequence[str] | None = None,
    h: float = 1e-6,
    tol: float = 1e-6,
    atol: float = 1e-9,
) -> GradCheckReport:
    """Check ``backward()`` through ``f`` against central differences.

    Args:
        f: builds a scalar Value from Values, e.g. ``lambda a, b: (a * b).tanh()``.
        inputs: the point to check at, one float per argument of ``f``.
        names: how to call each input in the report (default ``x0, x1, ...``).
        h: the finite-difference step.
        tol: largest relative error that passes.
        atol: an input whose absolute difference is at most ``atol`` passes too.

    Returns:
        A :class:`GradCheckReport`; ``bool(report)`` says whether it passed.
    """
    xs = [float(v) for v in inputs]
    names = list(names) if names is not None else [f"x{i}" for i in range(len(xs))]
    if len(names) != len(xs):
        raise ValueError(f"got {len(names)} names for {len(xs)} inputs")
    values = [Value(v) for v in xs]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    out.backward()
    analytic = np.array([v.grad for v in values])

    def f_float(arr: np.ndarray) -> float:
        return f(*[Value(float(a)) for a in arr]).data

    numeric = numerical_gradient(f_float, np.array(xs), h)
    return GradCheckReport(names, analytic, numeric, elementwise_rel_error(analytic, numeric), tol, atol)


def check_array_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    analytic: np.ndarray,
    dout: np.ndarray,
    name: str = "x",
    h: float = 1e-5,
    tol: float = 1e-7,
    num_checks: int | None = None,
    seed: SeedLike = 0,
) -> GradCheckReport:
    """Check an array gradient ``analytic`` (what a backward returned for ``x``, given ``dout``).

    With ``num_checks``, only that many randomly chosen entries are compared (sparse
    checking for big arrays); otherwise every entry is.
    """
    x = _float_array(np.array(x, dtype=np.float64, copy=True), name)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"the gradient for {name} has shape {analytic.shape} but {name} has shape {x.shape}")
    if num_checks is None or num_checks >= x.size:
        indices = list(np.ndindex(*x.shape))
    else:
        flat = as_generator(seed).choice(x.size, size=num_checks, replace=False)
        indices = [np.unravel_index(int(k), x.shape) for k in flat]
    numeric_full = numerical_gradient_array(f, x, dout, h, indices)
    a = np.array([analytic[i] for i in indices])
    n = np.array([numeric_full[i] for i in indices])
    labels = [f"{name}[{', '.join(map(str, i))}]" for i in indices]
    return GradCheckReport(labels, a, n, elementwise_rel_error(a, n), tol)


def check_layer_gradients(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[Any, Any], Any],
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    h: float = 1e-5,
    tol: float = 1e-7,
    num_checks: int | None = None,
    seed: SeedLike = 0,
) -> dict[str, GradCheckReport]:
    """Check a CS231n-style layer pair with a random upstream gradient.

    Runs ``out, cache = forward(*inputs)``, draws ``dout`` ~ N(0, 1) of ``out``'s shape (a
    float when ``out`` is a scalar loss), calls ``backward(dout, cache)`` and checks its
    i-th gradient against central differences of :math:`\\sum(\\mathrm{forward}(\\ldots) \\odot dout)`
    w.r.t. the i-th input (:func:`check_array_gradient`). Inputs after the gradients
    ``backward`` returns (e.g. the labels of a loss) are held fixed.

    Args:
        forward: e.g. :func:`backprop_course.layers.linear_forward`.
        backward: its pair, e.g. :func:`backprop_course.layers.linear_backward`.
        inputs: the arguments of ``forward``, positional; a mapping also names them.
        h, tol, num_checks, seed: as :func:`check_array_gradient`; ``seed`` also draws ``dout``.

    Returns:
        One :class:`GradCheckReport` per checked input, by name (``x0, x1, ...`` for a sequence).

    Example:
        >>> from backprop_course import layers
        >>> rng = np.random.default_rng(0)
        >>> reports = check_layer_gradients(layers.linear_forward, layers.linear_backward,
        ...     {"x": rng.normal(size=(4, 3)), "W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)})
        >>> all(reports.values())
        True
    """
    if isinstance(inputs, Mapping):
        names, args = list(inputs), list(inputs.values())
    else:
        args = list(inputs)
        names = [f"x{i}" for i in range(len(args))]
    out, cache = forward(*args)
    rng = as_generator(seed)
    out_arr = np.asarray(out, dtype=np.float64)
    dout: Any = rng.normal(size=out_arr.shape) if out_arr.shape else float(rng.normal())
    grads = backward(dout, cache)
    grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
    if len(grads) > len(args):
        raise ValueError(f"backward returned {len(grads)} gradients but forward takes only {len(args)} inputs")
    reports: dict[str, GradCheckReport] = {}
    for i, grad in enumerate(grads):

        def f(x: np.ndarray, i: int = i) -> np.ndarray:
            return np.asarray(forward(*args[:i], x, *args[i + 1 :])[0], dtype=np.float64)

        reports[names[i]] = check_array_gradient(f, args[i], grad, np.asarray(dout), names[i], h, tol, num_checks, seed)
    return reports
