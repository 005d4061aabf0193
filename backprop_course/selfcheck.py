"""Self-checks: immediate, specific feedback on a notebook exercise.

A self-check runs the student's function on inputs it picks, computes the right
answer itself and prints either a one-line confirmation or what went wrong::

    ✅ mul_backward: correct at 3 test points (relative error below 1e-07 everywhere).

    ❌ mul_backward: wrong gradient for a.
       at a = 1.5, b = -2, out = -3, dout = 0.7
       expected da = -1.4, got 1.05 (relative error 1.0e+00)
       hint: ∂(a·b)/∂a is the *other* input, b: you multiplied dout by a itself.

The hint comes from recognising a common mistake: the check recomputes the answer
the wrong way (forgot the chain-rule factor ``dout``, used the input instead of the
output of tanh, flipped the sign, forgot to sum over the batch or to divide by N...)
and compares that with what the student returned.

Every ``check_*`` function prints its feedback and returns nothing; the matching
``evaluate_*`` function returns the :class:`Feedback` instead (for tests and for
code that wants to act on it). A function that still raises ``NotImplementedError``
(an untouched exercise stub) makes the check raise ``NotImplementedError`` too, with
a note on what to do; any other exception is reported and re-raised with its
traceback, so the student sees where their code failed.

Sections: generic answers (for the lecture notebooks), hw1 local gradients, hw2 the
backward pass, hw3 matrix backprop.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from .engine import BACKWARD_RULES, Value, custom_backward_rules, from_local_rule

__all__ = [
    "LOCAL_RULES",
    "TOL",
    "Feedback",
    "check_activation_backward",
    "check_answer",
    "check_backward",
    "check_choice",
    "check_linear_backward",
    "check_local_rule",
    "check_rules_in_engine",
    "check_softmax_cross_entropy_backward",
    "check_topological_sort",
    "check_train_xor",
    "check_two_layer_backward",
    "evaluate_activation_backward",
    "evaluate_answer",
    "evaluate_backward",
    "evaluate_choice",
    "evaluate_linear_backward",
    "evaluate_local_rule",
    "evaluate_rules_in_engine",
    "evaluate_softmax_cross_entropy_backward",
    "evaluate_topological_sort",
    "evaluate_train_xor",
    "evaluate_two_layer_backward",
]

#: default tolerance on the relative error |got - expected| / max(1e-8, |got| + |expected|)
TOL = 1e-7


# ====================================================================== feedback


@dataclass(frozen=True)
class Feedback:
    """The verdict of one self-check; ``str(feedback)`` is what the student reads.

    Attributes:
        exercise: what was checked, e.g. ``"mul_backward"``.
        passed: whether the answer is right.
        message: the headline, e.g. ``"wrong gradient for a."``.
        details: where it went wrong: the inputs, expected vs got, the relative error.
        hint: what the mistake probably is and how to fix it.
        mistake: a short id of the recognised mistake (``"forgot_dout"``, ``"sign"``,
            ``"input_instead_of_output"``...), ``None`` when none was recognised.
    """

    exercise: str
    passed: bool
    message: str
    details: tuple[str, ...] = ()
    hint: str | None = None
    mistake: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✅" if self.passed else "❌"
        lines = [f"{mark} {self.exercise}: {self.message}"]
        lines += [f"   {d}" for d in self.details]
        if self.hint:
            lines.append(f"   hint: {self.hint}")
        return "\n".join(lines)


def _fmt(x: object) -> str:
    """A number as the student would write it: 6 significant digits, no trailing zeros."""
    if isinstance(x, np.ndarray) and x.size == 1:
        x = x.item()
    if isinstance(x, (numbers.Real, np.floating, np.integer)) and not isinstance(x, bool):
        return f"{float(x):.6g}"
    return repr(x)


def _rel(a: float, b: float) -> float:
    """Relative error of two numbers, CS231n style; inf when either is not finite."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(1e-8, abs(a) + abs(b))


def _rel_array(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise relative error; inf wherever either is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return np.where(np.isfinite(a) & np.isfinite(b), err, np.inf)


def _close(got: np.ndarray | float, wrong: np.ndarray | float, tol: float) -> bool:
    """Whether ``got`` equals ``wrong`` up to ``tol`` (same shape, every entry)."""
    g, w = np.asarray(got, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    return g.shape == w.shape and bool(np.all(_rel_array(g, w) <= tol))


def _call(
    fn: Callable[..., object],
    name: str,
    where: str,
    *args: object,
    handled: tuple[type[BaseException], ...] = (),
) -> object:
    """Call the student's ``fn``; turn a leftover stub into a clear NotImplementedError.

    Exceptions in ``handled`` are re-raised as they are, for the caller to explain;
    any other is announced (which function, on what input) and re-raised with its traceback.
    """
    try:
        return fn(*args)
    except NotImplementedError as err:
        raise NotImplementedError(
            f"{err} (raised while checking {name}: replace the `raise NotImplementedError(...)` "
            "line with your code, run that cell, then run this check again)"
        ) from None
    except handled:
        raise
    except Exception as err:
        print(f"❌ {name} raised {type(err).__name__} {where}; the traceback below shows where.")
        raise


def _number_problem(got: object, what: str) -> tuple[str, str] | None:
    """If ``got`` cannot be read as one finite float: (what is wrong, hint); else None."""
    if got is None:
        return f"{what} is None.", "did your function forget to `return` its result?"
    if isinstance(got, Value):
        return (
            f"{what} is a Value ({got!r}).",
            "these functions work on plain floats: compute with the numbers, not with Value objects.",
        )
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (numbers.Real, np.floating, np.integer)):
        return f"{what} should be a number, got {type(got).__name__} {got!r}.", "return a float."
    if not math.isfinite(float(got)):
        return (
            f"{what} is {float(got)!r}.",
            "a NaN or infinity usually comes from dividing by zero or taking the log of a non-positive number.",
        )
    return None


def _as_float(got: object) -> float:
    if isinstance(got, np.ndarray):
        return float(got.item())
    return float(got)  # type: ignore[arg-type]


def _as_array(got: object, what: str) -> tuple[np.ndarray | None, tuple[str, str] | None]:
    """``got`` as a float64 array, or (None, (problem, hint))."""
    if got is None:
        return None, (f"{what} is None.", "did your function forget to `return` it?")
    if isinstance(got, (tuple, list)) and got and all(isinstance(g, np.ndarray) for g in got):
        return None, (
            f"{what} is a {type(got).__name__} of {len(got)} arrays.",
            "return one numpy array here.",
        )
    try:
        arr = np.array(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, (f"{what} should be a numpy array, got {type(got).__name__}.", "return a numpy array.")
    if not np.all(np.isfinite(arr)):
        return None, (
            f"{what} contains NaN or infinity.",
            "look for a division by zero or an exp/log of an extreme number.",
        )
    return arr, None


# ============================================================ generic answers


Answer = float | np.ndarray
Mistakes = Sequence[tuple[Answer, str]]


def evaluate_answer(
    name: str,
    got: object,
    expected: float | np.ndarray | Sequence[float],
    *,
    tol: float = 1e-6,
    mistakes: Mistakes = (),
    exercise: str | None = None,
) -> Feedback:
    """Compare a number or an array with the expected one, recognising common mistakes.

    Args:
        name: what the answer is, e.g. ``"dL/da"`` or ``"dW"``.
        got: the student's answer.
        expected: the right answer.
        tol: largest relative error accepted (|got - expected| / max(1e-8, |got| + |expected|)).
        mistakes: ``(wrong_answer, hint)`` pairs: when ``got`` equals a wrong answer, its hint
            is shown. Checked before the generic ones (sign flipped, transposed, a constant
            factor, all zeros).
        exercise: the headline's name (default ``name``).

    Example:
        >>> print(evaluate_answer("dL/da", -6.0, 6.0))
        ❌ dL/da: not quite.
           expected 6, got -6 (relative error 1.0e+00)
           hint: the sign is flipped: check each local derivative's sign, e.g. the minus in d(a - b)/db = -1.
    """
    title = exercise or name
    exp = np.asarray(expected, dtype=np.float64)
    if exp.ndim == 0:
        problem = _number_problem(got, name)
        if problem:
            return Feedback(title, False, problem[0], hint=problem[1], mistake="not_a_number")
        g = np.asarray(_as_float(got))
    else:
        arr, problem = _as_array(got, name)
        if problem or arr is None:
            p = problem or ("", "")
            return Feedback(title, False, p[0], hint=p[1], mistake="not_an_array")
        g = arr
        if g.shape != exp.shape:
            hint: str | None = "check which axes you multiply and which one you sum over."
            mistake: str | None = "shape"
            if g.shape == exp.T.shape and g.ndim == 2:
                hint, mistake = "your answer looks transposed: swap the order of the matrix product.", "transposed"
            for wrong, known_hint in mistakes:
                if np.shape(wrong) == g.shape and _close(g, wrong, tol):
                    hint, mistake = known_hint, "known"
                    break
            return Feedback(
                title,
                False,
                f"{name} has shape {g.shape}, expected {exp.shape}.",
                hint=hint,
                mistake=mistake,
            )
    err = _rel_array(g, exp)
    if np.all(err <= tol):
        where = "" if exp.ndim == 0 else f" ({exp.size} entries)"
        return Feedback(title, True, f"correct{where}.")
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    label = name if exp.ndim == 0 else f"{name}[{', '.join(str(int(i)) for i in worst)}]"
    details = (f"expected {label} = {_fmt(exp[worst])}, got {_fmt(g[worst])} (relative error {err[worst]:.1e})",)
    if exp.ndim == 0:
        details = (f"expected {_fmt(exp)}, got {_fmt(g)} (relative error {float(err):.1e})",)
    wrong_hint, wrong_id = _recognise(g, exp, tol, mistakes)
    return Feedback(title, False, "not quite.", details, wrong_hint, wrong_id)


def _recognise(got: np.ndarray, expected: np.ndarray, tol: float, mistakes: Mistakes) -> tuple[str | None, str | None]:
    """(hint, mistake id) for a wrong answer of the right shape."""
    for wrong, hint in mistakes:
        if _close(got, wrong, tol):
            return hint, "known"
    if _close(got, -expected, tol):
        return (
            "the sign is flipped: check each local derivative's sign, e.g. the minus in d(a - b)/db = -1.",
            "sign",
        )
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, expected.T, tol):
        return "your answer is the transpose of the right one: swap the order of the matrix product.", "transposed"
    if not np.any(got) and np.any(np.abs(expected) > 1e-12):
        return "your answer is all zeros: is a gradient never written, or overwritten with 0?", "zeros"
    significant = np.abs(expected) > 1e-12
    if got.size >= 2 and significant.sum() >= 2:
        ratio = float(np.sum(got * expected) / np.sum(expected * expected))
        if abs(ratio - 1.0) > tol and _close(got, ratio * expected, tol):
            return (
                f"your answer is exactly {_fmt(ratio)} times the right one everywhere: a constant factor is "
                "missing or extra (a mean vs a sum? a forgotten 1/N or 2?).",
                "scaled",
            )
    return None, None


def check_answer(
    name: str,
    got: object,
    expected: float | np.ndarray | Sequence[float],
    *,
    tol: float = 1e-6,
    mistakes: Mistakes = (),
    exercise: str | None = None,
) -> None:
    """Print :func:`evaluate_answer`'s feedback (for "compute it by hand" cells in the lectures)."""
    print(evaluate_answer(name, got, expected, tol=tol, mistakes=mistakes, exercise=exercise))


def evaluate_choice(question: str, got: object, correct: object, explanations: Mapping[object, str]) -> Feedback:
    """Feedback on a multiple-choice answer.

    Args:
        question: a short name for the question.
        got: the student's choice, e.g. ``"b"``.
        correct: the right choice.
        explanations: per choice, why it is right or wrong (shown for the chosen one).
    """
    if isinstance(got, str):
        got = got.strip().lower()
    if got not in explanations:
        options = ", ".join(repr(k) for k in explanations)
        return Feedback(question, False, f"{got!r} is not one of the options {options}.", mistake="no_such_option")
    why = explanations[got]
    if got == correct:
        return Feedback(question, True, f"correct. {why}")
    return Feedback(question, False, f"{got!r} is not it.", hint=why, mistake="wrong_choice")


def check_choice(question: str, got: object, correct: object, explanations: Mapping[object, str]) -> None:
    """Print :func:`evaluate_choice`'s feedback."""
    print(evaluate_choice(question, got, correct, explanations))


# ================================================================= hw1: local rules


LocalRule = Callable[..., object]


@dataclass(frozen=True)
class _WrongRule:
    """A wrong way to compute the gradient w.r.t. input ``index``, and what to say about it."""

    mistake: str
    index: int
    rule: Callable[..., float]
    hint: str


@dataclass(frozen=True)
class LocalRuleSpec:
    """What a hw1 local rule computes, where it is tested and which mistakes it recognises.

    Attributes:
        function: the student's function name, e.g. ``"mul_backward"``.
        op: the engine op it is the rule of (a key of ``engine.BACKWARD_RULES``).
        inputs: the names of the op's inputs, the arguments before ``out, dout``.
        n_grads: how many gradients it returns (``pow``: 1, its exponent is a fixed number).
        forward: the op on floats.
        grads: the right gradients, ``grads(*inputs, out, dout)``.
        derivative: a reminder of the local derivative, shown as the default hint.
        points: test points, each the inputs followed by ``dout``.
        wrong: recognised mistakes.
    """

    function: str
    op: str
    inputs: tuple[str, ...]
    n_grads: int
    forward: Callable[..., float]
    grads: Callable[..., tuple[float, ...]]
    derivative: str
    points: tuple[tuple[float, ...], ...]
    wrong: tuple[_WrongRule, ...] = field(default=())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _safe(f: Callable[..., float]) -> Callable[..., float]:
    """A wrong rule that may be undefined at some point (log of a negative): NaN there."""

    def g(*args: float) -> float:
        try:
            return float(f(*args))
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.nan

    return g


_USED_INPUT = "input_instead_of_output"
_USED_OUTPUT = "output_instead_of_input"

#: the hw1 rules, by function name
LOCAL_RULES: dict[str, LocalRuleSpec] = {
    spec.function: spec
    for spec in [
        LocalRuleSpec(
            "add_backward",
            "+",
            ("a", "b"),
            2,
            lambda a, b: a + b,
            lambda a, b, out, dout: (dout, dout),
            "∂(a+b)/∂a = 1 and ∂(a+b)/∂b = 1, so both inputs receive dout unchanged.",
            ((1.5, -2.0, 0.7), (-0.4, 3.0, -1.3), (2.5, 0.5, 2.2)),
            (
                _WrongRule(
                    "split",
                    0,
                    lambda a, b, out, dout: dout / 2,
                    "+ does not split the gradient between its inputs: each input gets all of dout.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, b, out, dout: out * dout,
                    "the local derivative of a + b w.r.t. a is 1, not a + b: da = dout.",
                ),
                _WrongRule(
                    "used_input",
                    0,
                    lambda a, b, out, dout: a * dout,
                    "∂(a+b)/∂a = 1, not a: + passes dout through unchanged.",
                ),
            ),
        ),
        LocalRuleSpec(
            "mul_backward",
            "*",
            ("a", "b"),
            2,
            lambda a, b: a * b,
            lambda a, b, out, dout: (b * dout, a * dout),
            "∂(a·b)/∂a = b and ∂(a·b)/∂b = a: each input gets dout times the *other* input.",
            ((1.5, -2.0, 0.7), (-0.4, 3.0, -1.3), (2.5, 0.5, 2.2)),
            (
                _WrongRule(
                    "own_input",
                    0,
                    lambda a, b, out, dout: a * dout,
                    "∂(a·b)/∂a is the *other* input, b: you multiplied dout by a itself.",
                ),
                _WrongRule(
                    "own_input",
                    1,
                    lambda a, b, out, dout: b * dout,
                    "∂(a·b)/∂b is the *other* input, a: you multiplied dout by b itself.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, b, out, dout: out * dout,
                    "you multiplied dout by out = a·b; the local derivative w.r.t. a is b.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    1,
                    lambda a, b, out, dout: out * dout,
                    "you multiplied dout by out = a·b; the local derivative w.r.t. b is a.",
                ),
            ),
        ),
        LocalRuleSpec(
            "div_backward",
            "/",
            ("a", "b"),
            2,
            lambda a, b: a / b,
            lambda a, b, out, dout: (dout / b, -a / b**2 * dout),
            "a/b = a·b⁻¹, so ∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = -a/b² (= -out/b).",
            ((1.5, -2.0, 0.7), (-0.9, 0.4, -1.6), (2.5, 1.25, 1.1)),
            (
                _WrongRule(
                    "multiplied",
                    0,
                    lambda a, b, out, dout: b * dout,
                    "∂(a/b)/∂a = 1/b: divide dout by b instead of multiplying.",
                ),
                _WrongRule(
                    "forgot_a",
                    1,
                    lambda a, b, out, dout: -dout / b**2,
                    "∂(a/b)/∂b = -a/b²: the factor a is missing.",
                ),
                _WrongRule(
                    "forgot_square",
                    1,
                    lambda a, b, out, dout: -a / b * dout,
                    "∂(a/b)/∂b = -a/b² (power rule on b⁻¹): you divided by b, not by b².",
                ),
                _WrongRule(
                    "same_as_a",
                    1,
                    lambda a, b, out, dout: dout / b,
                    "you gave b the same gradient as a; b is in the denominator: ∂(a/b)/∂b = -a/b².",
                ),
            ),
        ),
        LocalRuleSpec(
            "pow_backward",
            "**",
            ("a", "n"),
            1,
            lambda a, n: a**n,
            lambda a, n, out, dout: (n * a ** (n - 1) * dout,),
            "the power rule: ∂(aⁿ)/∂a = n·aⁿ⁻¹ (n is a fixed number, it gets no gradient).",
            ((1.5, 3.0, -0.8), (-0.7, 2.0, 1.3), (2.0, -1.0, 0.5), (0.6, 0.5, -1.1)),
            (
                _WrongRule(
                    "forgot_minus_one",
                    0,
                    lambda a, n, out, dout: n * a**n * dout,
                    "the power rule lowers the exponent by one: n·aⁿ⁻¹, not n·aⁿ.",
                ),
                _WrongRule(
                    "forgot_n",
                    0,
                    lambda a, n, out, dout: a ** (n - 1) * dout,
                    "the power rule brings the exponent down as a factor: n·aⁿ⁻¹, the n is missing.",
                ),
                _WrongRule(
                    "exponent_gradient",
                    0,
                    _safe(lambda a, n, out, dout: out * math.log(a) * dout),
                    "aⁿ·log(a) is the derivative w.r.t. the exponent n; you need the one w.r.t. a: n·aⁿ⁻¹.",
                ),
            ),
        ),
        LocalRuleSpec(
            "exp_backward",
            "exp",
            ("a",),
            1,
            math.exp,
            lambda a, out, dout: (out * dout,),
            "∂(eᵃ)/∂a = eᵃ, which is the output: da = out · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: a * dout,
                    "∂(eᵃ)/∂a = eᵃ = out: multiply dout by the output, not by the input a.",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: math.exp(out) * dout,
                    "out is already eᵃ: multiply dout by out, do not take exp of it again.",
                ),
            ),
        ),
        LocalRuleSpec(
            "log_backward",
            "log",
            ("a",),
            1,
            math.log,
            lambda a, out, dout: (dout / a,),
            "∂log(a)/∂a = 1/a: da = dout / a.",
            ((0.8, -1.3), (2.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    _safe(lambda a, out, dout: dout / out),
                    "∂log(a)/∂a = 1/a: divide by the input a, not by the output log(a).",
                ),
                _WrongRule(
                    "function_not_derivative",
                    0,
                    lambda a, out, dout: out * dout,
                    "log(a) is the function itself; its derivative is 1/a.",
                ),
                _WrongRule(
                    "multiplied",
                    0,
                    lambda a, out, dout: a * dout,
                    "multiply dout by 1/a, not by a.",
                ),
            ),
        ),
        LocalRuleSpec(
            "tanh_backward",
            "tanh",
            ("a",),
            1,
            math.tanh,
            lambda a, out, dout: ((1.0 - out**2) * dout,),
            "∂tanh(a)/∂a = 1 - tanh(a)² = 1 - out²: da = (1 - out²) · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: (1.0 - a**2) * dout,
                    "you used the input instead of the output: the derivative is 1 - tanh(a)² = 1 - out², not 1 - a².",
                ),
                _WrongRule(
                    "forgot_square",
                    0,
                    lambda a, out, dout: (1.0 - out) * dout,
                    "the derivative is 1 - out²: the square is missing.",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: (1.0 - math.tanh(out) ** 2) * dout,
                    "out is already tanh(a): use 1 - out², do not apply tanh to it again.",
                ),
                _WrongRule(
                    "plus_instead_of_minus",
                    0,
                    lambda a, out, dout: (1.0 + out**2) * dout,
                    "the derivative is 1 - out² (minus, not plus).",
                ),
            ),
        ),
        LocalRuleSpec(
            "sigmoid_backward",
            "sigmoid",
            ("a",),
            1,
            _sigmoid,
            lambda a, out, dout: (out * (1.0 - out) * dout,),
            "∂σ(a)/∂a = σ(a)(1 - σ(a)) = out·(1 - out): da = out · (1 - out) · dout.",
            ((0.8, -1.3), (-1.7, 0.4), (0.3, 2.1)),
            (
                _WrongRule(
                    _USED_INPUT,
                    0,
                    lambda a, out, dout: a * (1.0 - a) * dout,
                    "you used the input instead of the output: the derivative is out·(1 - out), not a·(1 - a).",
                ),
                _WrongRule(
                    "applied_twice",
                    0,
                    lambda a, out, dout: _sigmoid(out) * (1.0 - _sigmoid(out)) * dout,
                    "out is already σ(a): use out·(1 - out), do not apply the sigmoid to it again.",
                ),
                _WrongRule(
                    "forgot_one_minus",
                    0,
                    lambda a, out, dout: out * dout,
                    "the derivative is out·(1 - out): the factor (1 - out) is missing.",
                ),
                _WrongRule(
                    "forgot_out",
                    0,
                    lambda a, out, dout: (1.0 - out) * dout,
                    "the derivative is out·(1 - out): the factor out is missing.",
                ),
            ),
        ),
        LocalRuleSpec(
            "relu_backward",
            "relu",
            ("a",),
            1,
            lambda a: max(a, 0.0),
            lambda a, out, dout: (dout if a > 0 else 0.0,),
            "relu(a) = max(0, a) has slope 1 where a > 0 and 0 where a < 0: da = dout if a > 0 else 0.",
            ((1.3, -0.7), (-0.8, 1.9), (2.2, 0.6), (-1.5, -0.4)),
            (
                _WrongRule(
                    "forgot_mask",
                    0,
                    lambda a, out, dout: dout,
                    "relu lets the gradient through only where a > 0; where a ≤ 0 the gradient is 0.",
                ),
                _WrongRule(
                    "inverted_mask",
                    0,
                    lambda a, out, dout: dout if a < 0 else 0.0,
                    "the mask is inverted: the gradient flows where a > 0 and is 0 where a < 0.",
                ),
                _WrongRule(
                    _USED_OUTPUT,
                    0,
                    lambda a, out, dout: out * dout,
                    "multiply dout by the slope (1 if a > 0 else 0), not by out = max(0, a).",
                ),
            ),
        ),
    ]
}

#: engine op -> hw1 function name
LOCAL_RULE_FOR_OP: dict[str, str] = {spec.op: name for name, spec in LOCAL_RULES.items()}


def _generic_wrong(spec: LocalRuleSpec, index: int) -> list[_WrongRule]:
    """Mistakes any rule can make: no chain-rule factor, flipped sign, dout passed through, zero."""

    def expected(*args: float) -> float:
        return spec.grads(*args)[index]

    return [
        _WrongRule(
            "sign",
            index,
            lambda *args: -expected(*args),
            "the sign is flipped. " + spec.derivative,
        ),
        _WrongRule(
            "forgot_dout",
            index,
            _safe(lambda *args: expected(*args) / args[-1]),
            "you returned the local derivative but forgot the chain-rule factor dout: "
            "gradient = (local derivative) × dout.",
        ),
        _WrongRule(
            "returned_dout",
            index,
            lambda *args: args[-1],
            "you passed dout through unchanged, which only + does. " + spec.derivative,
        ),
        _WrongRule("zero", index, lambda *args: 0.0, "you returned 0: is the gradient ever computed?"),
    ]


def _spec_for(fn: LocalRule, function: str | None) -> LocalRuleSpec:
    name = function or getattr(fn, "__name__", "")
    if name not in LOCAL_RULES:
        raise ValueError(f"no self-check for a local rule named {name!r}; pass function= one of {sorted(LOCAL_RULES)}")
    return LOCAL_RULES[name]


def _where(spec: LocalRuleSpec, point: tuple[float, ...], out: float) -> str:
    args = [f"{n} = {_fmt(v)}" for n, v in zip(spec.inputs, point)]
    return "at " + ", ".join([*args, f"out = {_fmt(out)}", f"dout = {_fmt(point[-1])}"])


def evaluate_local_rule(fn: LocalRule, function: str | None = None, tol: float = TOL) -> Feedback:
    """Check a hw1 local rule ``fn(*inputs, out, dout)`` at a few points; see :func:`check_local_rule`."""
    spec = _spec_for(fn, function)
    name = spec.function
    grad_names = [f"d{n}" for n in spec.inputs[: spec.n_grads]]
    answers: list[tuple[float, ...]] = []
    expected: list[tuple[float, ...]] = []
    calls: list[tuple[float, ...]] = []
    for point in spec.points:
        inputs, dout = point[:-1], point[-1]
        out = spec.forward(*inputs)
        args = (*inputs, out, dout)
        calls.append(args)
        where = _where(spec, point, out)
        got = _call(fn, name, where, *args)
        if spec.n_grads == 1:
            if isinstance(got, (tuple, list)):
                extra = " (n is a fixed number: it gets no gradient)" if spec.op == "**" else ""
                return Feedback(
                    name,
                    False,
                    f"returned a {type(got).__name__} of length {len(got)}; expected one number, {grad_names[0]}.",
                    (where,),
                    f"return just {grad_names[0]}{extra}.",
                    "structure",
                )
            got = (got,)
        elif got is None or not isinstance(got, (tuple, list)) or len(got) != spec.n_grads:
            what = "None" if got is None else f"{type(got).__name__} {got!r}"
            return Feedback(
                name,
                False,
                f"returned {what}; expected a pair ({', '.join(grad_names)}).",
                (where,),
                "did your function forget to `return`?" if got is None else f"return {', '.join(grad_names)}",
                "structure",
            )
        for g, gname in zip(got, grad_names):
            problem = _number_problem(g, gname)
            if problem:
                return Feedback(name, False, problem[0], (where,), problem[1], "not_a_number")
        answers.append(tuple(_as_float(g) for g in got))
        expected.append(tuple(float(e) for e in spec.grads(*args)))

    bad = [
        (p, i)
        for p in range(len(spec.points))
        for i in range(spec.n_grads)
        if _rel(answers[p][i], expected[p][i]) > tol
    ]
    if not bad:
        return Feedback(
            name,
            True,
            f"correct at {len(spec.points)} test points (relative error below {tol:.0e} everywhere).",
        )
    p, i = bad[0]
    point = spec.points[p]
    details = (
        _where(spec, point, spec.forward(*point[:-1])),
        f"expected {grad_names[i]} = {_fmt(expected[p][i])}, got {_fmt(answers[p][i])} "
        f"(relative error {_rel(answers[p][i], expected[p][i]):.1e})",
    )
    if spec.n_grads == 2 and all(
        _rel(answers[q][0], expected[q][1]) <= tol and _rel(answers[q][1], expected[q][0]) <= tol
        for q in range(len(spec.points))
    ):
        hint = f"you returned the two gradients in swapped order: return ({', '.join(grad_names)}). "
        return Feedback(name, False, "the gradients are swapped.", details, hint + spec.derivative, "swapped")
    for wrong in [*(w for w in spec.wrong if w.index == i), *_generic_wrong(spec, i)]:
        predicted = [wrong.rule(*calls[q]) for q in range(len(spec.points))]
        if _rel(answers[p][i], predicted[p]) > tol:
            continue
        if all(math.isnan(w) or _rel(answers[q][i], w) <= tol for q, w in enumerate(predicted)):
            return Feedback(name, False, f"wrong gradient for {spec.inputs[i]}.", details, wrong.hint, wrong.mistake)
    return Feedback(name, False, f"wrong gradient for {spec.inputs[i]}.", details, spec.derivative, None)


def check_local_rule(fn: LocalRule, function: str | None = None, tol: float = TOL) -> None:
    """Check a hw1 local rule and print the feedback.

    The rule is called as ``fn(*inputs, out, dout)`` at a few test points (``dout`` never
    1, so a forgotten chain-rule factor shows) and compared with the right gradient.
    On a wrong answer the feedback names the input, shows expected vs got and, if it
    recognises the mistake, says what it is.

    Args:
        fn: the student's rule, e.g. ``mul_backward``.
        function: which rule it is (default: ``fn.__name__``), a key of :data:`LOCAL_RULES`.
        tol: largest accepted relative error.
    """
    print(evaluate_local_rule(fn, function, tol))


def _engine_expression(a: Value, b: Value) -> Value:
    """Uses each hw1 op at least once, and a, b and e more than once (fan-out)."""
    c = a * b + a / b
    d = (c**2).tanh()
    e = (b.exp() + 1.0).log()
    return (d * e).sigmoid() + (a + e).relu()


def evaluate_rules_in_engine(rules: Mapping[str, LocalRule], point: tuple[float, float] = (0.6, -1.3)) -> Feedback:
    """Run the engine with the given local rules plugged in and compare with its own rules.

    Args:
        rules: engine op (``"+"``, ``"*"``, ``"/"``, ``"**"``, ``"exp"``, ``"log"``, ``"tanh"``,
            ``"sigmoid"``, ``"relu"``) -> the student's local rule for it.
        point: the inputs ``(a, b)`` of the test expression.
    """
    unknown = sorted(set(rules) - set(LOCAL_RULE_FOR_OP))
    if unknown:
        raise ValueError(f"no hw1 rule for op(s) {unknown}; use keys from {sorted(LOCAL_RULE_FOR_OP)}")
    exercise = "your rules inside the engine"

    def grads(node_rules: Mapping[str, Callable[[Value], None]]) -> tuple[float, float]:
        a, b = Value(point[0]), Value(point[1])
        with custom_backward_rules(node_rules):
            _engine_expression(a, b).backward()
        return a.grad, b.grad

    node_rules = {op: from_local_rule(fn, len(LOCAL_RULES[LOCAL_RULE_FOR_OP[op]].inputs)) for op, fn in rules.items()}
    reference = grads({})
    try:
        yours = grads(node_rules)
    except NotImplementedError as err:
        raise NotImplementedError(f"{err} (raised while running your rules inside the engine)") from None
    except (TypeError, ValueError) as err:
        return Feedback(
            exercise, False, f"the engine could not use one of your rules: {err}", hint="run each rule's own check."
        )
    where = f"f(a, b) = sigmoid(tanh((a·b + a/b)²)·e) + relu(a + e), e = log(eᵇ + 1), at a = {point[0]}, b = {point[1]}"
    if _rel(yours[0], reference[0]) <= TOL and _rel(yours[1], reference[1]) <= TOL:
        ops = ", ".join(sorted(rules))
        return Feedback(
            exercise,
            True,
            f"with your rules for {ops}, backward() gives the same gradients as the built-in rules: "
            f"∂f/∂a = {_fmt(yours[0])}, ∂f/∂b = {_fmt(yours[1])}.",
            (where,),
        )
    culprits = []
    for op, rule in node_rules.items():
        try:
            alone = grads({op: rule})
        except (TypeError, ValueError):
            alone = (math.nan, math.nan)
        if _rel(alone[0], reference[0]) > TOL or _rel(alone[1], reference[1]) > TOL:
            culprits.append(LOCAL_RULE_FOR_OP[op])
    details = (
        where,
        f"expected ∂f/∂a = {_fmt(reference[0])}, ∂f/∂b = {_fmt(reference[1])}; got {_fmt(yours[0])}, {_fmt(yours[1])}",
    )
    hint = (
        f"these rules change the result: {', '.join(culprits)}; run check_local_rule on each."
        if culprits
        else "each rule alone is fine, but together they disagree: run check_local_rule on each."
    )
    return Feedback(exercise, False, "the gradients differ from the built-in rules.", details, hint, "rules")


def check_rules_in_engine(rules: Mapping[str, LocalRule], point: tuple[float, float] = (0.6, -1.3)) -> None:
    """Print :func:`evaluate_rules_in_engine`'s feedback."""
    print(evaluate_rules_in_engine(rules, point))


# ============================================================ hw2: the backward pass


def _labelled(data: float, label: str) -> Value:
    return Value(data, label=label)


def _name(node: object) -> str:
    if isinstance(node, Value):
        return node.label or f"Value({node.data:.4g})"
    return f"{type(node).__name__} {node!r}"


def _graph_micrograd() -> tuple[Value, list[Value]]:
    """The graph of the lecture: L = (a·b + c)·f, every node labelled."""
    a, b, c, f = _labelled(2.0, "a"), _labelled(-3.0, "b"), _labelled(10.0, "c"), _labelled(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, [a, b, c, f, e, d, L]


def _graph_fan_out() -> tuple[Value, list[Value]]:
    """Leaves and an interior node used more than once: t = tanh(x·y), L = (t + x)·t + x·x."""
    x, y = _labelled(0.5, "x"), _labelled(-1.5, "y")
    p = x * y
    p.label = "p = x·y"
    t = p.tanh()
    t.label = "t = tanh(p)"
    s = t + x
    s.label = "s = t + x"
    q = s * t
    q.label = "q = s·t"
    sq = x * x
    sq.label = "x·x"
    L = q + sq
    L.label = "L"
    return L, [x, y, p, t, s, q, sq, L]


def _graph_chain(depth: int) -> tuple[Value, list[Value]]:
    """x0 -> x1 = 1.001·x0 ... : a chain ``depth`` multiplications deep."""
    x = _labelled(1.0, "x0")
    nodes = [x]
    for i in range(1, depth + 1):
        x = x * 1.001
        x.label = f"x{i}"
        nodes.append(x)
        # the constant 1.001 is a leaf too
        nodes.append(x._prev[1])
        x._prev[1].label = f"1.001 (factor of x{i})"
    return x, nodes


def _graph_leaf() -> tuple[Value, list[Value]]:
    x = _labelled(3.0, "x")
    return x, [x]


#: depth of the deep chain: past Python's default recursion limit (1000) and IPython's (3000)
DEEP_CHAIN = 5000


def _order_problem(order: object, root: Value, nodes: list[Value]) -> tuple[str, tuple[str, ...], str, str] | None:
    """What is wrong with a topological order of the graph of ``root``, or None if valid."""
    if order is None:
        return "returned None.", (), "did your function forget to `return` the list?", "none"
    if not isinstance(order, list):
        hint = "return a list of the nodes (e.g. build it with .append)."
        return f"returned a {type(order).__name__}, expected a list.", (), hint, "not_a_list"
    for item in order:
        if not isinstance(item, Value):
            return (
                f"the list holds a {type(item).__name__} ({item!r}), expected only Value nodes.",
                (),
                "append the nodes themselves, not their data or labels.",
                "not_values",
            )
    seen: set[int] = set()
    for item in order:
        if id(item) in seen:
            return (
                f"{_name(item)} appears more than once.",
                (),
                "a node reached along two paths (fan-out) must be listed once: keep a set of visited nodes.",
                "duplicate",
            )
        seen.add(id(item))
    wanted = {id(n) for n in nodes}
    missing = [n for n in nodes if id(n) not in seen]
    if missing:
        if any(n is root for n in missing):
            hint, mistake = "the root itself belongs in the list, last.", "missing_root"
        elif all(not n.children for n in missing):
            hint = "include the leaves (nodes with no children) too: every node reachable from the root."
            mistake = "missing_leaves"
        else:
            hint, mistake = "visit every child of every node you reach.", "missing"
        shown = ", ".join(_name(n) for n in missing[:4]) + (" ..." if len(missing) > 4 else "")
        return f"{len(missing)} node(s) are missing: {shown}.", (), hint, mistake
    extra = [n for n in order if id(n) not in wanted]
    if extra:
        return (
            f"{_name(extra[0])} is not reachable from the root.",
            (),
            "list only the nodes you reach from root through .children.",
            "extra",
        )
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.children:
            if position[id(child)] > position[id(node)]:
                reverse = order[::-1]
                rpos = {id(n): i for i, n in enumerate(reverse)}
                if all(rpos[id(c)] < rpos[id(n)] for n in reverse for c in n.children):
                    hint = (
                        "your list is in reverse: children must come first. Append a node after all its "
                        "children are done (post-order), or reverse the list before returning it."
                    )
                    mistake = "reversed"
                else:
                    hint, mistake = "append a node only once all of its children have been appended.", "order"
                return f"{_name(node)} comes before its child {_name(child)}.", (), hint, mistake
    return None


def evaluate_topological_sort(fn: Callable[[Value], object]) -> Feedback:
    """Check ``topological_sort(root) -> list``: every reachable node once, each after its children."""
    name = "topological_sort"
    graphs: list[tuple[str, Callable[[], tuple[Value, list[Value]]]]] = [
        ("the lecture's graph L = (a·b + c)·f", _graph_micrograd),
        ("a graph with fan-out, L = (t + x)·t + x·x with t = tanh(x·y)", _graph_fan_out),
        (f"a chain {DEEP_CHAIN} multiplications deep", lambda: _graph_chain(DEEP_CHAIN)),
        ("a single leaf x", _graph_leaf),
    ]
    for description, build in graphs:
        root, nodes = build()
        try:
            order = _call(fn, name, f"on {description}", root, handled=(RecursionError,))
        except RecursionError:
            return Feedback(
                name,
                False,
                f"hit Python's recursion limit on {description}.",
                hint="a recursive depth-first search needs one stack frame per level and Python allows about "
                "1000: keep your own stack (a list of nodes still to finish) in a while loop instead.",
                mistake="recursion",
            )
        problem = _order_problem(order, root, nodes)
        if problem:
            message, details, hint, mistake = problem
            return Feedback(name, False, f"on {description}: {message}", details, hint, mistake)
    return Feedback(
        name, True, f"valid order on {len(graphs)} graphs (the lecture's, fan-out, {DEEP_CHAIN} deep, a single leaf)."
    )


def check_topological_sort(fn: Callable[[Value], object]) -> None:
    """Print :func:`evaluate_topological_sort`'s feedback."""
    print(evaluate_topological_sort(fn))


def _reference_grads(build: Callable[[], tuple[Value, list[Value]]]) -> list[float]:
    root, nodes = build()
    root.backward()
    return [n.grad for n in nodes]


def _forward_order_grads(build: Callable[[], tuple[Value, list[Value]]]) -> list[float]:
    """The gradients a backward pass gets when it runs the rules children-first (wrong order)."""
    root, nodes = build()
    root.grad = 1.0
    for node in _reference_order(root):
        BACKWARD_RULES[node.op](node)
    return [n.grad for n in nodes]


def _reference_order(root: Value) -> list[Value]:
    from .engine import topological_order

    return topological_order(root)


def evaluate_backward(fn: Callable[[Value], object]) -> Feedback:
    """Check ``backward(root)``: every node's grad, fan-out, a deep chain, and a second call."""
    name = "backward"
    graphs: list[tuple[str, Callable[[], tuple[Value, list[Value]]]]] = [
        ("the lecture's graph L = (a·b + c)·f", _graph_micrograd),
        ("a graph with fan-out, L = (t + x)·t + x·x with t = tanh(x·y)", _graph_fan_out),
        ("a single leaf x", _graph_leaf),
        (f"a chain {DEEP_CHAIN} multiplications deep", lambda: _graph_chain(DEEP_CHAIN)),
    ]
    for description, build in graphs:
        root, nodes = build()
        try:
            _call(fn, name, f"on {description}", root, handled=(RecursionError, KeyError))
        except RecursionError:
            return Feedback(
                name,
                False,
                f"hit Python's recursion limit on {description}.",
                hint="use your iterative topological_sort; a recursive walk fails past about 1000 levels.",
                mistake="recursion",
            )
        except KeyError as err:
            if err.args != ("",):
                print(f"❌ {name} raised KeyError {err} on {description}; the traceback below shows where.")
                raise
            return Feedback(
                name,
                False,
                f"on {description}: looked up the backward rule of a leaf (KeyError: '').",
                hint="leaves have op '' and no rule to run (they only receive gradient): "
                "run the rules of interior nodes only, the nodes with children.",
                mistake="leaf_rule",
            )
        got = [n.grad for n in nodes]
        want = _reference_grads(build)
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if _rel(g, w) > TOL]
        if not bad:
            continue
        i = bad[0]
        details = (f"expected {_name(nodes[i])}.grad = {_fmt(want[i])}, got {_fmt(got[i])}",)
        message = f"on {description}: wrong gradient for {_name(nodes[i])}."
        if root.grad != 1.0:
            hint, mistake = "start with root.grad = 1.0 (dL/dL = 1): every other gradient is a multiple of it.", "root"
        elif all(g == 0.0 for n, g in zip(nodes, got) if n is not root):
            hint, mistake = "no gradient reached the children: call each interior node's backward rule.", "no_rules"
        elif _close(np.array(got), np.array(_forward_order_grads(build)), TOL):
            hint = (
                "the rules ran children first: a node's rule may only run once its grad is complete, so walk "
                "the topological order backwards (reversed(order))."
            )
            mistake = "order"
        elif _close(np.array(got), 2 * np.array(want), TOL):
            hint, mistake = "every gradient is doubled: is some rule run twice per node?", "doubled"
        else:
            hint = (
                "each interior node's rule must run exactly once, after every node that uses it: "
                "does your order list a node twice, or skip one?"
            )
            mistake = None
        return Feedback(name, False, message, details, hint, mistake)
    # a second backward on the same graph: interior grads must not pile up, leaf grads do
    root, nodes = _graph_fan_out()
    _call(fn, name, "the first time on a graph with fan-out", root)
    _call(fn, name, "a second time on the same graph", root)
    want = _reference_grads(_graph_fan_out)
    # interior nodes first: a stale interior gradient also spoils the leaves below it
    for node, w in sorted(zip(nodes, want), key=lambda nw: not nw[0].children):
        expected = 2 * w if not node.children else w
        if _rel(node.grad, expected) > TOL:
            kind = "leaf" if not node.children else "interior node"
            hint = (
                "set every interior node's grad to 0 before running the rules (leaves keep accumulating): "
                "otherwise a second backward() adds onto stale gradients."
                if node.children
                else "leaves accumulate across backward() calls (that is why training calls zero_grad): "
                "do not reset them inside backward."
            )
            return Feedback(
                name,
                False,
                f"calling backward twice on the same graph: wrong gradient for the {kind} {_name(node)}.",
                (f"expected {_fmt(expected)}, got {_fmt(node.grad)}",),
                hint,
                "second_call",
            )
    return Feedback(
        name,
        True,
        f"right gradients on {len(graphs)} graphs (incl. fan-out and {DEEP_CHAIN} deep), and a second call "
        "accumulates in the leaves only.",
    )


def check_backward(fn: Callable[[Value], object]) -> None:
    """Print :func:`evaluate_backward`'s feedback."""
    print(evaluate_backward(fn))


def evaluate_train_xor(losses: object, steps: int) -> Feedback:
    """Check the loss history of ``train_xor(steps, ...)``: one finite float per step, going down to near 0."""
    name = "train_xor"
    if losses is None:
        return Feedback(name, False, "returned None.", hint="return the list of losses, one per step.", mistake="none")
    if not isinstance(losses, list):
        return Feedback(
            name,
            False,
            f"returned a {type(losses).__name__}, expected a list of floats.",
            hint="append loss.data (a float) to a list at every step and return the list.",
            mistake="not_a_list",
        )
    if len(losses) != steps:
        return Feedback(
            name,
            False,
            f"returned {len(losses)} losses for {steps} steps.",
            hint="append one loss per step.",
            mistake="length",
        )
    for i, v in enumerate(losses):
        if isinstance(v, Value):
            return Feedback(
                name, False, f"loss {i} is a Value.", hint="append loss.data, the float.", mistake="not_a_number"
            )
        problem = _number_problem(v, f"loss {i}")
        if problem:
            return Feedback(name, False, problem[0], hint=problem[1] + " (a smaller lr?)", mistake="not_a_number")
    first, last = float(losses[0]), float(losses[-1])
    details = (f"loss at step 0: {first:.4f}, at step {steps - 1}: {last:.4f}",)
    if last > first:
        return Feedback(
            name,
            False,
            "the loss went up.",
            details,
            "step against the gradient: p.data -= lr * p.grad (and a smaller lr if it jumps around).",
            "ascent",
        )
    if last == first:
        return Feedback(
            name,
            False,
            "the loss did not change.",
            details,
            "are the gradients zero (backward not called, or zero_grad after backward) or is the update missing?",
            "flat",
        )
    if last > 0.1:
        return Feedback(
            name,
            False,
            "the loss went down, but not below 0.1.",
            details,
            "did you call zero_grad before each backward? Otherwise old gradients pile up. Try more steps.",
            "slow",
        )
    return Feedback(name, True, f"the loss fell from {first:.4f} to {last:.4f} in {steps} steps.")


def check_train_xor(losses: object, steps: int) -> None:
    """Print :func:`evaluate_train_xor`'s feedback."""
    print(evaluate_train_xor(losses, steps))


# ============================================================ hw3: matrix backprop


def _array_feedback(
    exercise: str,
    outputs: Sequence[tuple[str, object, np.ndarray, Mistakes]],
    passed_message: str,
    where: str,
) -> Feedback:
    """Compare several returned arrays; the first wrong one gives the feedback."""
    for name, got, expected, mistakes in outputs:
        fb = evaluate_answer(name, got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
        if not fb.passed:
            message = fb.message if fb.message != "not quite." else f"wrong {name}."
            return Feedback(exercise, False, message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(exercise, True, passed_message)


def _unchanged(arrays: Iterable[tuple[str, np.ndarray, np.ndarray]], exercise: str) -> Feedback | None:
    for name, before, after in arrays:
        if not np.array_equal(before, after):
            return Feedback(
                exercise,
                False,
                f"your function changed {name} in place.",
                hint="the cache is shared with the forward pass: compute new arrays (e.g. dx = dout * mask), "
                "do not write into the cached ones.",
                mistake="in_place",
            )
    return None


def _tuple_problem(got: object, names: Sequence[str], exercise: str, where: str) -> Feedback | None:
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = "None" if got is None else type(got).__name__
        if isinstance(got, (tuple, list)):
            what += f" of length {len(got)}"
        hint = "did your function forget to `return`?" if got is None else f"return {', '.join(names)}."
        return Feedback(
            exercise, False, f"returned {what}; expected ({', '.join(names)}).", (where,), hint, "structure"
        )
    return None


def evaluate_linear_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``linear_backward(dout, cache) -> (dx, dW, db)`` for ``out = x @ W.T + b``."""
    exercise = "linear_backward"
    rng = np.random.default_rng(seed)
    N, D, M = 4, 5, 3
    x, W, b = rng.normal(size=(N, D)), rng.normal(size=(M, D)), rng.normal(size=M)
    dout = rng.normal(size=(N, M))
    copies = [("x", x.copy()), ("W", W.copy()), ("b", b.copy()), ("dout", dout.copy())]
    where = f"x {x.shape}, W {W.shape}, b {b.shape}, dout {dout.shape} (N={N} examples, {D} inputs, {M} outputs)"
    got = _call(fn, exercise, f"with {where}", dout, (x, W, b))
    fb = _tuple_problem(got, ("dx", "dW", "db"), exercise, where)
    if fb is not None:
        return fb
    changed = _unchanged(
        ((n, c, a) for (n, c), a in zip(copies, (x, W, b, dout))),
        exercise,
    )
    if changed is not None:
        return changed
    dx, dW, db = cast(Sequence[object], got)
    return _array_feedback(
        exercise,
        [
            (
                "dx",
                dx,
                dout @ W,
                [(dout @ W / N, "dx is not averaged: the 1/N belongs to the loss, whose backward already applied it.")],
            ),
            (
                "dW",
                dW,
                dout.T @ x,
                [
                    (x.T @ dout, "dW must have W's shape (out, in): dW = dout.T @ x, not x.T @ dout."),
                    (dout.T @ x / N, "do not divide by N here: the loss's backward already did."),
                ],
            ),
            (
                "db",
                db,
                dout.sum(axis=0),
                [
                    (dout, "b is added to every example, so db sums dout over the batch: dout.sum(axis=0)."),
                    (dout.mean(axis=0), "db is the sum over the batch, not the mean: dout.sum(axis=0)."),
                    (dout.sum(axis=1), "sum over the examples (axis 0), not over the outputs (axis 1)."),
                ],
            ),
        ],
        f"dx, dW and db are right (x {x.shape}, W {W.shape}).",
        where,
    )


def check_linear_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_linear_backward`'s feedback."""
    print(evaluate_linear_backward(fn, seed))


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def evaluate_activation_backward(activation: str, fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``relu_backward``/``tanh_backward``/``sigmoid_backward(dout, cache) -> dx``.

    ``relu``'s cache is its input x; ``tanh``'s and ``sigmoid``'s cache is the forward
    *output* y (the derivative is cheapest from it: 1 - y² and y(1 - y)).
    """
    if activation not in ("relu", "tanh", "sigmoid"):
        raise ValueError(f"activation must be 'relu', 'tanh' or 'sigmoid', got {activation!r}")
    exercise = f"{activation}_backward"
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 0.05] = 0.3  # keep away from relu's kink
    dout = rng.normal(size=(4, 5))
    mistakes: list[tuple[Answer, str]]
    if activation == "relu":
        cache, cache_name = x, "x (the input)"
        expected = dout * (x > 0)
        mistakes = [
            (dout.copy(), "relu lets the gradient through only where x > 0: multiply dout by the mask (x > 0)."),
            (dout * (x < 0), "the mask is inverted: the gradient flows where x > 0."),
            ((x > 0).astype(np.float64), "you returned the mask itself: multiply it by dout (the chain rule)."),
            (dout * np.maximum(x, 0), "multiply dout by the 0/1 mask (x > 0), not by relu(x)."),
        ]
    elif activation == "tanh":
        y = np.tanh(x)
        cache, cache_name = y, "y = tanh(x) (the forward output)"
        expected = dout * (1 - y**2)
        mistakes = [
            (
                dout * (1 - np.tanh(y) ** 2),
                "the cache holds the output y = tanh(x), not the input: the derivative is 1 - y², "
                "do not apply tanh to it again.",
            ),
            (1 - y**2, "you returned the local derivative: multiply it by dout (the chain rule)."),
            (dout * (1 - y), "the derivative is 1 - y²: the square is missing."),
        ]
    else:
        y = _np_sigmoid(x)
        cache, cache_name = y, "y = sigmoid(x) (the forward output)"
        expected = dout * y * (1 - y)
        s = _np_sigmoid(y)
        mistakes = [
            (
                dout * s * (1 - s),
                "the cache holds the output y = sigmoid(x), not the input: the derivative is y(1 - y), "
                "do not apply the sigmoid to it again.",
            ),
            (y * (1 - y), "you returned the local derivative: multiply it by dout (the chain rule)."),
            (dout * y, "the derivative is y(1 - y): the factor (1 - y) is missing."),
        ]
    before = [("the cache", cache.copy()), ("dout", dout.copy())]
    where = f"cache = {cache_name}, shape {cache.shape}; dout of the same shape"
    got = _call(fn, exercise, f"with {where}", dout, cache)
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, (cache, dout))), exercise)
    if changed is not None:
        return changed
    return _array_feedback(exercise, [("dx", got, expected, mistakes)], f"dx is right ({cache.size} entries).", where)


def check_activation_backward(activation: str, fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_activation_backward`'s feedback."""
    print(evaluate_activation_backward(activation, fn, seed))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def evaluate_softmax_cross_entropy_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``softmax_cross_entropy_backward(dloss, (probs, y)) -> dlogits = dloss·(p - onehot(y))/N``."""
    exercise = "softmax_cross_entropy_backward"
    rng = np.random.default_rng(seed)
    N, C = 5, 3
    probs = _softmax(rng.normal(size=(N, C)))
    y = rng.integers(0, C, size=N)
    dloss = 0.7
    onehot = np.eye(C)[y]
    expected = dloss * (probs - onehot) / N
    before = [("probs", probs.copy()), ("y", y.copy())]
    where = f"probs {probs.shape} (N={N} examples, C={C} classes), y = {y.tolist()}, dloss = {dloss}"
    got = _call(fn, exercise, f"with {where}", dloss, (probs, y))
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, (probs, y))), exercise)
    if changed is not None:
        return changed
    mistakes = [
        (dloss * (probs - onehot), "the loss is the mean over the N examples: divide by N."),
        ((probs - onehot) / N, "multiply by dloss, the upstream gradient (the chain rule)."),
        (probs - onehot, "divide by N (the loss is a mean) and multiply by dloss (the chain rule)."),
        (dloss * probs / N, "subtract 1 at each example's true class: dlogits = p - onehot(y)."),
        (dloss * (probs - onehot) / C, "divide by N, the number of examples, not by C, the number of classes."),
        (dloss * (probs - 1) / N, "subtract 1 only at the true class of each example: p - onehot(y), not p - 1."),
    ]
    return _array_feedback(exercise, [("dlogits", got, expected, mistakes)], "dlogits is right.", where)


def check_softmax_cross_entropy_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_softmax_cross_entropy_backward`'s feedback."""
    print(evaluate_softmax_cross_entropy_backward(fn, seed))


def _two_layer_reference(
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    *,
    mask: str = "z1",
    mean: bool = True,
) -> tuple[float, dict[str, np.ndarray]]:
    """linear -> relu -> linear -> softmax-CE and its gradients (``mask``/``mean`` make known mistakes)."""
    N = len(X)
    z1 = X @ W1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ W2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    scale = 1.0 / N if mean else 1.0
    loss = -float(log_p[np.arange(N), y].sum()) * scale
    dlogits = (np.exp(log_p) - np.eye(W2.shape[0])[y]) * scale
    dW2, db2 = dlogits.T @ h, dlogits.sum(axis=0)
    dh = dlogits @ W2
    dz1 = dh * (z1 > 0) if mask == "z1" else (dh * (dh > 0) if mask == "grad" else dh)
    dW1, db1 = dz1.T @ X, dz1.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def evaluate_two_layer_backward(fn: Callable[..., object], seed: int = 0) -> Feedback:
    """Check ``two_layer_backward(X, y, W1, b1, W2, b2) -> (loss, grads)`` (linear-relu-linear-softmax CE)."""
    exercise = "two_layer_backward"
    rng = np.random.default_rng(seed)
    N, D, H, C = 6, 4, 5, 3
    X = rng.normal(size=(N, D))
    y = rng.integers(0, C, size=N)
    W1, b1 = rng.normal(size=(H, D)), rng.normal(size=H) * 0.1
    W2, b2 = rng.normal(size=(C, H)), rng.normal(size=C) * 0.1
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    before = [(k, v.copy()) for k, v in params.items()] + [("X", X.copy())]
    where = f"X {X.shape}, W1 {W1.shape}, W2 {W2.shape} (N={N}, D={D}, H={H}, C={C})"
    got = _call(fn, exercise, f"with {where}", X, y, W1, b1, W2, b2)
    fb = _tuple_problem(got, ("loss", "grads"), exercise, where)
    if fb is not None:
        return fb
    changed = _unchanged(((n, c, a) for (n, c), a in zip(before, [W1, b1, W2, b2, X])), exercise)
    if changed is not None:
        return changed
    loss, grads = cast(Sequence[object], got)
    ref_loss, ref = _two_layer_reference(X, y, W1, b1, W2, b2)
    loss_fb = evaluate_answer(
        "loss",
        loss,
        ref_loss,
        tol=TOL,
        mistakes=[(ref_loss * N, "the loss is the mean over the N examples, not the sum.")],
        exercise=exercise,
    )
    if not loss_fb.passed:
        return Feedback(exercise, False, "wrong loss.", (where, *loss_fb.details), loss_fb.hint, loss_fb.mistake)
    if not isinstance(grads, Mapping):
        return Feedback(
            exercise,
            False,
            f"grads is a {type(grads).__name__}, expected a dict.",
            hint='return grads as {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.',
            mistake="structure",
        )
    missing = [k for k in params if k not in grads]
    if missing:
        return Feedback(
            exercise,
            False,
            f"grads has no key(s) {missing}.",
            hint='return grads as {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.',
            mistake="structure",
        )
    _, no_mask = _two_layer_reference(X, y, W1, b1, W2, b2, mask="none")
    _, grad_mask = _two_layer_reference(X, y, W1, b1, W2, b2, mask="grad")
    _, summed = _two_layer_reference(X, y, W1, b1, W2, b2, mean=False)
    relu_hint = "backpropagate through the relu: multiply dh by the mask (z1 > 0) of the forward pre-activation."
    outputs = []
    for k in ("W2", "b2", "W1", "b1"):
        mistakes: list[tuple[Answer, str]] = [
            (summed[k], "the loss is a mean: dlogits = (p - onehot(y)) / N, the 1/N is missing."),
        ]
        if k in ("W1", "b1"):
            mistakes += [
                (no_mask[k], relu_hint),
                (grad_mask[k], "the relu mask comes from the forward pre-activation (z1 > 0), not from the gradient."),
            ]
        outputs.append((f"grads['{k}']", grads[k], ref[k], mistakes))
    return _array_feedback(exercise, outputs, f"the loss ({ref_loss:.6f}) and all four gradients are right.", where)


def check_two_layer_backward(fn: Callable[..., object], seed: int = 0) -> None:
    """Print :func:`evaluate_two_layer_backward`'s feedback."""
    print(evaluate_two_layer_backward(fn, seed))
