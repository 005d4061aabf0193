"""Self-checks of the practice exercises in notebook 01 (derivatives and the chain rule).

- :func:`check_dy_dw`: the chain rule through a one-input tanh neuron,
  :math:`\\frac{dy}{dw} = (1 - \\tanh^2(wx + b))\\,x`;
- :func:`check_central_difference`: the central difference
  :math:`\\frac{f(x + h) - f(x - h)}{2h}`.

Each ``check_*`` prints its feedback ("not attempted yet" while the exercise is the
untouched stub); the matching ``evaluate_*`` returns it. The expected values are
computed here from the formulas, never from the learner's function.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .feedback import Feedback, _as_float, _call, _fmt, _number_problem, _rel, run_exercise_check

__all__ = ["check_central_difference", "check_dy_dw", "evaluate_central_difference", "evaluate_dy_dw"]

_TOL = 1e-9

#: (w, x, b) test points: z = w x + b away from 0 and of both signs, x not 1 (so "forgot x" shows)
_DY_DW_POINTS = ((0.5, 2.0, -0.5), (-1.5, 0.7, 0.3), (0.8, -2.5, 1.1))


def _dy_dw_mistakes(w: float, x: float, b: float) -> list[tuple[float, str, str]]:
    z = w * x + b
    t = math.tanh(z)
    return [
        (1 - t**2, "forgot_inner", "that is dy/dz only: multiply by the inner derivative dz/dw = x (the chain rule)."),
        (x, "forgot_outer", "that is dz/dw only: multiply by the outer derivative dy/dz = 1 - tanh(z)^2."),
        ((1 - z**2) * x, "z_for_tanh", "the derivative of tanh(z) is 1 - tanh(z)^2, not 1 - z^2."),
        ((1 - t) ** 2 * x, "square_misplaced", "the derivative of tanh is 1 - tanh(z)^2 (square tanh, then subtract)."),
        ((1 - t**2) * w, "w_for_x", "dz/dw for z = w x + b is x, the input, not w."),
        (t * x, "tanh_for_derivative", "you multiplied tanh(z) itself by x; use its derivative 1 - tanh(z)^2."),
    ]


def evaluate_dy_dw(dy_dw: Callable[[float, float, float], object]) -> Feedback:
    """Check ``dy_dw(w, x, b)`` = d/dw tanh(w x + b) = (1 - tanh^2(w x + b)) x at a few points."""
    name = "dy_dw"
    for w, x, b in _DY_DW_POINTS:
        got = _call(dy_dw, name, f"at w = {w}, x = {x}, b = {b}", w, x, b)
        problem = _number_problem(got, f"dy_dw({w}, {x}, {b})")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1], mistake="not_a_number")
        value = _as_float(got)
        t = math.tanh(w * x + b)
        expected = (1 - t**2) * x
        if _rel(value, expected) <= _TOL:
            continue
        details = (
            f"at w = {w}, x = {x}, b = {b} (z = w x + b = {_fmt(w * x + b)})",
            f"expected dy/dw = {_fmt(expected)}, got {_fmt(value)} (relative error {_rel(value, expected):.1e})",
        )
        for wrong, mistake, hint in _dy_dw_mistakes(w, x, b):
            if _rel(value, wrong) <= _TOL:
                return Feedback(name, False, "not quite.", details, hint, mistake)
        if _rel(value, -expected) <= _TOL:
            return Feedback(name, False, "not quite.", details, "the sign is flipped.", "sign")
        return Feedback(
            name,
            False,
            "not quite.",
            details,
            "write z = w*x + b, then dy/dz = 1 - tanh(z)**2 and dz/dw = x, and return their product.",
        )
    return Feedback(name, True, f"correct at {len(_DY_DW_POINTS)} points (relative error below 1e-09).")


def check_dy_dw(dy_dw: Callable[[float, float, float], object]) -> None:
    """Print :func:`evaluate_dy_dw`'s feedback."""
    run_exercise_check("dy_dw", lambda: evaluate_dy_dw(dy_dw))


#: (function, its name, x, h): the step is large on purpose, so forward and central differ clearly
_CENTRAL_CASES: tuple[tuple[Callable[[float], float], str, float, float], ...] = (
    (lambda x: x**3, "x**3", 2.0, 0.1),
    (math.sin, "sin", 0.7, 0.05),
    (lambda x: math.exp(-x) + x**2, "exp(-x) + x**2", -1.0, 0.2),
)


def evaluate_central_difference(
    central_difference: Callable[[Callable[[float], float], float, float], object],
) -> Feedback:
    """Check ``central_difference(f, x, h)`` = (f(x + h) - f(x - h)) / (2 h) on three functions."""
    name = "central_difference"
    for f, label, x, h in _CENTRAL_CASES:
        got = _call(central_difference, name, f"for f = {label} at x = {x}, h = {h}", f, x, h)
        problem = _number_problem(got, f"central_difference({label}, {x}, {h})")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1], mistake="not_a_number")
        value = _as_float(got)
        expected = (f(x + h) - f(x - h)) / (2 * h)
        if _rel(value, expected) <= _TOL:
            continue
        details = (
            f"for f = {label} at x = {x}, h = {h}",
            f"expected {_fmt(expected)}, got {_fmt(value)} (relative error {_rel(value, expected):.1e})",
        )
        mistakes = [
            ((f(x + h) - f(x - h)) / h, "no_half", "the two points are 2h apart: divide by 2*h, not h."),
            ((f(x + h) - f(x)) / h, "forward", "that is the forward difference; nudge both ways: f(x + h) - f(x - h)."),
            (
                (f(x) - f(x - h)) / h,
                "backward",
                "that is the backward difference; nudge both ways: f(x + h) - f(x - h).",
            ),
            (-expected, "sign", "the sign is flipped: it is f(x + h) - f(x - h), the right point minus the left."),
            (
                (f(x + h) - f(x - h)) / 2 * h,
                "precedence",
                "`/ 2 * h` divides by 2 and then multiplies by h: write `/ (2 * h)`.",
            ),
        ]
        for wrong, mistake, hint in mistakes:
            if _rel(value, wrong) <= _TOL:
                return Feedback(name, False, "not quite.", details, hint, mistake)
        return Feedback(name, False, "not quite.", details, "return (f(x + h) - f(x - h)) / (2 * h).")
    return Feedback(name, True, f"correct on {len(_CENTRAL_CASES)} functions.")


def check_central_difference(central_difference: Callable[[Callable[[float], float], float, float], object]) -> None:
    """Print :func:`evaluate_central_difference`'s feedback."""
    run_exercise_check("central_difference", lambda: evaluate_central_difference(central_difference))
