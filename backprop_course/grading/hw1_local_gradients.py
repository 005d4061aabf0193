"""hw1 local gradients: the judge.

The student writes one pure float function per op, ``op_backward(*inputs, out, dout)``,
returning the gradient of the loss w.r.t. each input given the upstream gradient
``dout`` (a tuple ``(da, db)`` for binary ops, one float for unary ops;
``pow_backward(a, n, out, dout)`` returns ``da`` only, ``n`` being a fixed number).

Each test calls the student's function at :data:`POINTS` random points drawn from
the grading seed, away from kinks and invalid domains, with a random ``dout`` in
:math:`\\pm[0.5, 2]` (never 1, so a missing chain-rule factor shows). The expected
answer is ``dout`` times the derivative of the grader's *own* forward function
below, by the fourth-order central difference

.. math::

    f'(x) \\approx \\frac{-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)}{12 h},
    \\qquad h = 10^{-3} \\max(1, |x|),

whose error (:math:`O(h^4)` truncation, :math:`\\sim 10^{-13}|f|/h` round-off) is far
below the full-credit threshold 1e-7 at these points. ``relu_backward`` is also called at
its kink ``a = 0``, where no derivative exists and the exercise asks for 0. An answer equal to a known
wrong formula (input instead of output for tanh, sign error, missing ``dout``...)
gets that mistake named in the feedback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import (
    AnswerError,
    Check,
    JudgeContext,
    credit_for,
    expect_number,
    expect_pair,
    explain_error,
    fmt,
    match_hint,
    rel_error,
    verdict,
)
from .specs import Assignment, Prepared, TestSpec

__all__ = ["ASSIGNMENT", "FORWARD", "POINTS", "numerical_derivative"]

#: random points per function
POINTS = 5


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


#: the grader's own forward functions: op -> f(*inputs)
FORWARD: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, n: a**n,
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda a: a if a > 0 else 0.0,
}


def numerical_derivative(f: Callable[[float], float], x: float) -> float:
    """Fourth-order central difference of ``f`` at ``x`` (see the module docstring)."""
    h = 1e-3 * max(1.0, abs(x))
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def _signed(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi) * rng.choice([-1.0, 1.0]))


@dataclass(frozen=True)
class ScalarOp:
    """One hw1 exercise: how to draw its inputs and which mistakes to recognise."""

    name: str
    title: str
    inputs: tuple[str, ...]  # the inputs' names, e.g. ("a", "b")
    differentiable: tuple[int, ...]  # indices of inputs that get a gradient
    draw: Callable[[np.random.Generator, int], tuple[float, ...]]
    #: (hint, wrong value for gradient k) given (inputs, out, dout)
    mistakes: Callable[[tuple[float, ...], float, float], list[list[tuple[str, float]]]]

    @property
    def function(self) -> str:
        return f"{self.name}_backward"


def _no_mistakes(n: int) -> Callable[[tuple[float, ...], float, float], list[list[tuple[str, float]]]]:
    return lambda x, out, dout: [[] for _ in range(n)]


def _pow_draw(rng: np.random.Generator, k: int) -> tuple[float, ...]:
    exponents = [2.0, 3.0, -1.0, 0.5, 1.5, -2.0, 2.5]
    return float(rng.uniform(0.5, 2.5)), exponents[(k + int(rng.integers(len(exponents)))) % len(exponents)]


def _relu_draw(rng: np.random.Generator, k: int) -> tuple[float, ...]:
    sign = 1.0 if k % 2 == 0 else -1.0  # points 0, 2, 4 positive; 1, 3 negative
    return (sign * float(rng.uniform(0.1, 3.0)),)


OPS: tuple[ScalarOp, ...] = (
    ScalarOp(
        "add",
        "gradient of a + b",
        ("a", "b"),
        (0, 1),
        lambda rng, k: (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3)),
        lambda x, out, dout: [
            [("d(a+b)/da = 1, so da = dout; you returned a, not the gradient", x[0] * dout)],
            [("d(a+b)/db = 1, so db = dout", x[1] * dout)],
        ],
    ),
    ScalarOp(
        "mul",
        "gradient of a * b",
        ("a", "b"),
        (0, 1),
        lambda rng, k: (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3)),
        lambda x, out, dout: [
            [("d(ab)/da is the *other* input b: da = b * dout", x[0] * dout)],
            [("d(ab)/db is the *other* input a: db = a * dout", x[1] * dout)],
        ],
    ),
    ScalarOp(
        "div",
        "gradient of a / b",
        ("a", "b"),
        (0, 1),
        lambda rng, k: (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3)),
        lambda x, out, dout: [
            [("d(a/b)/da = 1/b", x[1] * dout)],
            [
                ("d(a/b)/db = -a/b**2: you dropped the factor a", -1.0 / x[1] ** 2 * dout),
                ("d(a/b)/db = -a/b**2 = -out/b", -out * dout),
            ],
        ],
    ),
    ScalarOp(
        "pow",
        "gradient of a ** n (n a fixed number)",
        ("a", "n"),
        (0,),
        _pow_draw,
        lambda x, out, dout: [
            [
                ("the exponent drops by one: d(a**n)/da = n * a**(n-1), not n * a**n", x[1] * out * dout),
                ("you forgot the factor n: d(a**n)/da = n * a**(n-1)", x[0] ** (x[1] - 1) * dout),
                ("d(a**n)/da = n * a**(n-1): the power is n - 1, not n + 1", x[1] * x[0] ** (x[1] + 1) * dout),
            ]
        ],
    ),
    ScalarOp(
        "exp",
        "gradient of exp(a)",
        ("a",),
        (0,),
        lambda rng, k: (float(rng.uniform(-2, 2)),),
        lambda x, out, dout: [
            [
                ("d(e**a)/da = e**a, which is out; not a", x[0] * dout),
                ("d(e**a)/da = e**a = out, so da = out * dout; you applied exp to out again", math.exp(out) * dout),
            ]
        ],
    ),
    ScalarOp(
        "log",
        "gradient of log(a)",
        ("a",),
        (0,),
        lambda rng, k: (float(rng.uniform(0.25, 4)),),
        lambda x, out, dout: [
            [
                ("d(log a)/da = 1/a (the input), not 1/out", dout / out if out != 0 else math.inf),
                ("d(log a)/da = 1/a, not log(a)", out * dout),
                ("d(log a)/da = 1/a, not a", x[0] * dout),
            ]
        ],
    ),
    ScalarOp(
        "tanh",
        "gradient of tanh(a)",
        ("a",),
        (0,),
        lambda rng, k: (float(rng.uniform(-2.5, 2.5)),),
        lambda x, out, dout: [
            [
                ("you used the input a: d(tanh a)/da = 1 - tanh(a)**2 = 1 - out**2", (1 - x[0] ** 2) * dout),
                ("square the output: 1 - out**2, not 1 - out", (1 - out) * dout),
                ("out is already tanh(a): use 1 - out**2, not 1 - tanh(out)**2", (1 - math.tanh(out) ** 2) * dout),
            ]
        ],
    ),
    ScalarOp(
        "sigmoid",
        "gradient of sigmoid(a)",
        ("a",),
        (0,),
        lambda rng, k: (float(rng.uniform(-4, 4)),),
        lambda x, out, dout: [
            [
                (
                    "you used the input a: d(sigmoid a)/da = out * (1 - out), with out = sigmoid(a)",
                    x[0] * (1 - x[0]) * dout,
                ),
                (
                    "out is already sigmoid(a): use out * (1 - out), not sigmoid(out) * (1 - sigmoid(out))",
                    _sigmoid(out) * (1 - _sigmoid(out)) * dout,
                ),
                ("check the sign: out * (1 - out)", out * (1 + out) * dout),
            ]
        ],
    ),
    ScalarOp(
        "relu",
        "gradient of relu(a)",
        ("a",),
        (0,),
        _relu_draw,
        lambda x, out, dout: [
            [
                ("the gradient is dout where a > 0 and 0 elsewhere; you returned a * dout", x[0] * dout),
                (
                    "where a <= 0 relu is flat: its gradient there is 0 (at the kink a = 0 too, as the exercise "
                    "asks: a > 0, not a >= 0)",
                    dout,
                ),
                ("the gradient is dout where a > 0: you returned out, the forward value", out),
            ]
        ],
    ),
)


def _generic_mistakes(expected: float, dout: float, other: float | None, names: tuple[str, str]) -> list:
    mistakes: list[tuple[str, float]] = [
        ("forgot the chain-rule factor: multiply the local derivative by the upstream gradient dout", expected / dout),
        ("you multiplied by dout twice", expected * dout),
        ("sign error: check the sign of your formula", -expected),
    ]
    if other is not None:
        mistakes.append((f"you swapped the two gradients: this is {names[1]}", other))
    return mistakes


def _expected(op: ScalarOp, x: tuple[float, ...], dout: float) -> list[float]:
    """``dout`` times the numerical partial derivative of the grader's forward, per input."""
    grads = []
    for i in op.differentiable:

        def partial(t: float, i: int = i) -> float:
            args = list(x)
            args[i] = t
            return FORWARD[op.name](*args)

        grads.append(dout * numerical_derivative(partial, x[i]))
    return grads


def _too_close_to_a_mistake(op: ScalarOp, x: tuple[float, ...], out: float, dout: float, grads: list[float]) -> bool:
    """True if a known wrong formula nearly agrees with the right answer at this point.

    E.g. tanh at a = 0.05: ``1 - a**2`` and ``1 - tanh(a)**2`` differ by 4e-6 relative,
    which would give the mistake half credit. Such points are drawn again, so every
    known mistake scores zero. (A mistake *equal* to the answer, like returning ``out``
    for relu where ``a < 0``, is not a mistake there and is allowed.)
    """
    specific = op.mistakes(x, out, dout)
    for j, e in enumerate(grads):
        other = grads[1 - j] if len(grads) == 2 else None
        for _, wrong in [*specific[j], *_generic_mistakes(e, dout, other, ("", ""))]:
            err = rel_error(wrong, e)
            if 0.0 < err < 1e-2:
                return True
    return False


def _prepare(op: ScalarOp) -> Callable[[np.random.Generator], Prepared]:
    def prepare(rng: np.random.Generator) -> Prepared:
        points = []
        for k in range(POINTS):
            for _ in range(100):
                x = op.draw(rng, k)
                dout = _signed(rng, 0.5, 2.0)
                out = FORWARD[op.name](*x)
                grads = _expected(op, x, dout)
                if not _too_close_to_a_mistake(op, x, out, dout, grads):
                    break
            points.append((x, out, dout, grads))
        if op.name == "relu":
            # the kink: no derivative, and no central difference either; the exercise asks for 0 there
            points.append(((0.0,), 0.0, _signed(rng, 0.5, 2.0), [0.0]))
        payload = {"function": op.function, "calls": [[*x, out, dout] for x, out, dout, _ in points]}
        return Prepared("call", payload, lambda result, ctx: _judge(op, points, result, ctx))

    return prepare


def _judge(
    op: ScalarOp,
    points: Sequence[tuple[tuple[float, ...], float, float, list[float]]],
    result: dict[str, Any],
    ctx: JudgeContext,
) -> list[Check]:
    checks: list[Check] = []
    answers = result.get("answers", [])
    grad_names = tuple(f"d{op.inputs[i]}" for i in op.differentiable)
    for k, (x, out, dout, expected) in enumerate(points):
        args = ", ".join(f"{n}={fmt(v)}" for n, v in zip(op.inputs, x))
        call = f"{op.function}({args}, out={fmt(out)}, dout={fmt(dout)})"
        label = f"point {k + 1}"
        answer = answers[k] if k < len(answers) else {"error": {"type": "GraderTimeout", "message": ""}}
        if "error" in answer:
            checks.extend(Check(label, 0.0, f"{call} {explain_error(answer['error'], ctx)}") for _ in expected)
            continue
        try:
            if len(expected) == 2:
                items = expect_pair(answer["value"], (grad_names[0], grad_names[1]))
                got = [expect_number(item, name) for item, name in zip(items, grad_names)]
            else:
                got = [expect_number(answer["value"], grad_names[0])]
        except AnswerError as err:
            checks.extend(Check(label, 0.0, f"{call}: {err}") for _ in expected)
            continue
        specific = op.mistakes(x, out, dout)
        for j, (g, e) in enumerate(zip(got, expected)):
            error = rel_error(g, e)
            credit = credit_for(error)
            message = ""
            if credit < 1.0:
                other = expected[1 - j] if len(expected) == 2 else None
                generic = _generic_mistakes(e, dout, other, (grad_names[j], grad_names[1 - j] if other else ""))
                hint = match_hint(g, e, [*specific[j], *generic])
                message = f"{call}: {grad_names[j]} = {fmt(g)}, expected {fmt(e)}: {verdict(error)}."
                if hint:
                    message += f" Hint: {hint}."
            checks.append(Check(f"{label} {grad_names[j]}", credit, message))
    return checks


ASSIGNMENT = Assignment(
    name="hw1",
    title="hw1 local gradients",
    notebook="hw1_local_gradients.ipynb",
    tests=tuple(
        TestSpec(
            name=op.function,
            title=f"{op.function}: {op.title}",
            functions=(op.function,),
            max_score=1.0,
            prepare=_prepare(op),
            time_limit=2.0,
            memory_mb=1024,
        )
        for op in OPS
    ),
)
