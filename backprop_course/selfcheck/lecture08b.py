"""Self-checks of lecture 08b, gradient checking: a central-difference gradient and the relative error.

- :func:`check_central_difference_gradient`: ``central_difference_gradient(f, x, h)``, the
  gradient of a scalar function of an array by central differences,
  :math:`(f(x + h e_i) - f(x - h e_i)) / 2h` for every entry :math:`i` (a forward difference,
  a missing 2, only the first axis visited, ``x`` left changed);
- :func:`check_relative_error`: ``relative_error(a, b)``, the largest entrywise
  :math:`|a_i - b_i| / \\max(10^{-8}, |a_i| + |b_i|)` (the absolute error, a mean instead of the
  maximum, a one-sided denominator, no floor for 0/0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..gradcheck import elementwise_rel_error, numerical_gradient
from .feedback import Feedback, _call, evaluate_answer, run_exercise_check


def _cubic(x: np.ndarray) -> float:
    """A test function with curvature, so forward and central differences differ visibly."""
    return float(np.sum(x**3) + np.sum(x[..., 0] * x[..., -1]) + np.sin(x).sum())


def _forward(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    x = x.copy()
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - base) / h
        x[i] = old
    return grad


def evaluate_central_difference_gradient(fn: Callable[..., object]) -> Feedback:
    """Check ``central_difference_gradient(f, x, h) -> array shaped like x``.

    The check uses ``h = 1e-3`` on a cubic, where a forward difference is off by about
    1e-3 (relative) and the central one by about 1e-6, and compares with its own central
    difference at the same ``h``; then a 2-D ``x``, and whether ``x`` came back unchanged.
    """
    exercise = "central_difference_gradient"
    h = 1e-3
    x1 = np.array([0.5, -1.2, 2.0])
    where = f"f(x) = sum(x**3) + x[0]*x[-1] + sum(sin(x)), x = {x1.tolist()}, h = {h}"
    x_given = x1.copy()
    got = _call(fn, exercise, f"with {where}", _cubic, x_given, h)
    if not np.array_equal(x_given, x1):
        return Feedback(
            exercise,
            False,
            "x was changed by your function.",
            (where, f"x before: {x1.tolist()}, after: {np.asarray(x_given).tolist()}"),
            "after nudging an entry, put its old value back (x[i] = old) before moving to the next one.",
            "not_restored",
        )
    expected = numerical_gradient(_cubic, x1.copy(), h)
    mistakes = [
        (
            _forward(_cubic, x1, h),
            "that is the forward difference (f(x + h) - f(x)) / h, error O(h); the central one, "
            "(f(x + h) - f(x - h)) / (2h), has error O(h²).",
        ),
        (2 * expected, "divide by 2h, the distance between x + h and x - h, not by h."),
        (expected / 2, "divide by 2h once: (f(x + h) - f(x - h)) / (2 * h); check the brackets."),
    ]
    fb = evaluate_answer("gradient", got, expected, tol=1e-8, mistakes=mistakes, exercise=exercise)
    if not fb.passed:
        return Feedback(exercise, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    x2 = np.array([[0.3, -0.7, 1.1], [-1.4, 0.9, 0.2]])
    where2 = f"the same f with a 2-D x of shape {x2.shape}"
    got2 = _call(fn, exercise, where2, _cubic, x2.copy(), h)
    fb2 = evaluate_answer("gradient", got2, numerical_gradient(_cubic, x2.copy(), h), tol=1e-8, exercise=exercise)
    if not fb2.passed:
        return Feedback(
            exercise,
            False,
            f"right for a vector, wrong for a 2-D array: {fb2.message}",
            (where2, *fb2.details),
            "visit every entry of an array of any shape: `for i in np.ndindex(x.shape):` gives index tuples "
            "(x[i] then works for any number of axes).",
            "not_every_entry",
        )
    return Feedback(exercise, True, "right for a vector and a 2-D array, and x comes back unchanged.")


def check_central_difference_gradient(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_central_difference_gradient`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("central_difference_gradient", lambda: evaluate_central_difference_gradient(fn))


#: pairs the relative-error check tries: agreeing, one entry off, both zero, different sizes
_PAIRS: tuple[tuple[np.ndarray, np.ndarray, str], ...] = (
    (np.array([1.0, -2.0, 3.0]), np.array([1.0, -2.0, 3.0]), "equal arrays"),
    (np.array([2.0, 1e-3, -4.0]), np.array([2.0, 1.1e-3, -4.0]), "one small entry off by 10%"),
    (np.array([0.0, 0.0, 5.0]), np.array([0.0, 1e-12, 5.0]), "zeros where both are (almost) zero"),
    (np.array([[100.0, 3.0], [-7.0, 0.5]]), np.array([[101.0, 3.0], [-7.0, 0.45]]), "a 2-D pair"),
)


def evaluate_relative_error(fn: Callable[..., object]) -> Feedback:
    """Check ``relative_error(a, b) -> float``: the largest :math:`|a_i - b_i| / \\max(10^{-8}, |a_i| + |b_i|)`."""
    exercise = "relative_error"
    for a, b, label in _PAIRS:
        where = f"{label}: a = {a.tolist()}, b = {b.tolist()}"
        got = _call(fn, exercise, f"with {where}", a.copy(), b.copy())
        elementwise = elementwise_rel_error(a, b)
        expected = float(np.max(elementwise))
        with np.errstate(divide="ignore", invalid="ignore"):
            mistakes = [
                (
                    float(np.max(np.abs(a - b))),
                    "that is the absolute error |a - b|: divide by |a| + |b| so that the size of the numbers "
                    "does not matter.",
                ),
                (float(np.mean(elementwise)), "take the largest entry's error (np.max), not the mean."),
                (
                    float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))),
                    "divide by |a| + |b|, not by |a| alone: the error must not depend on which array comes first.",
                ),
                (
                    float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b))))),
                    "the course's relative error divides by |a| + |b| (the sum), not by the larger of the two.",
                ),
            ]
            no_floor = np.abs(a - b) / (np.abs(a) + np.abs(b))
        if not np.all(np.isfinite(no_floor)):
            mistakes.append(
                (
                    float(np.nanmax(no_floor)) if np.any(np.isfinite(no_floor)) else 0.0,
                    "where both entries are 0, |a| + |b| is 0: divide by max(1e-8, |a| + |b|) so 0/0 cannot happen.",
                )
            )
            problem = evaluate_answer("relative error", got, expected, tol=1e-6, exercise=exercise)
            if not problem.passed and problem.mistake == "not_a_number":
                return Feedback(
                    exercise,
                    False,
                    problem.message,
                    (where,),
                    "where both entries are 0, |a| + |b| is 0 and 0/0 is NaN: divide by max(1e-8, |a| + |b|).",
                    "no_floor",
                )
        fb = evaluate_answer("relative error", got, expected, tol=1e-6, mistakes=mistakes, exercise=exercise)
        if not fb.passed:
            return Feedback(exercise, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(exercise, True, f"right on {len(_PAIRS)} pairs of arrays (equal, one entry off, zeros, 2-D).")


def check_relative_error(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_relative_error`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("relative_error", lambda: evaluate_relative_error(fn))
