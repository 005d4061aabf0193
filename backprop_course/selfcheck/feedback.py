"""The machinery every self-check shares, and the generic checks of the lecture notebooks.

:class:`Feedback` is one verdict (``str(feedback)`` is what the student reads); the
private helpers format numbers (``_fmt``), measure relative errors (``_rel``,
``_rel_array``, ``_close``), call the student's function (``_call``: a leftover stub
becomes a clear ``NotImplementedError``) and explain a returned value that is not a
number or an array. :func:`check_answer` (a number or an array, recognising common
mistakes) and :func:`check_choice` (a multiple-choice answer) are the checks the
lecture notebooks use; the homework checks build on :func:`evaluate_answer`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine import Value
from ..gradcheck import elementwise_rel_error

#: default tolerance on the relative error |got - expected| / max(1e-8, |got| + |expected|)
TOL = 1e-7


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
        attempted: ``False`` when the exercise is still the untouched stub (see :func:`run_exercise_check`).
    """

    exercise: str
    passed: bool
    message: str
    details: tuple[str, ...] = ()
    hint: str | None = None
    mistake: str | None = None
    attempted: bool = True

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✅" if self.passed else ("❌" if self.attempted else "⏳")
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
    return float(elementwise_rel_error(np.float64(a), np.float64(b)))


_rel_array = elementwise_rel_error  # the course's one relative error, from gradcheck


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


#: what a lecture self-check says while its exercise is still the stub
NOT_ATTEMPTED = "not attempted yet"


def not_attempted(exercise: str) -> Feedback:
    """The feedback for an exercise whose stub still raises ``NotImplementedError``."""
    return Feedback(
        exercise,
        False,
        f"{NOT_ATTEMPTED}.",
        hint="write your code in the exercise cell above (in place of `raise NotImplementedError(...)`), "
        "run that cell, then run this check again.",
        mistake="not_attempted",
        attempted=False,
    )


def evaluate_exercise(exercise: str, evaluate: Callable[[], Feedback]) -> Feedback:
    """Run ``evaluate`` (which calls the learner's code); a leftover stub gives :func:`not_attempted`.

    Lecture exercises are functions whose body is ``raise NotImplementedError`` until the
    learner fills it in, so Run All never stops at an untouched exercise: its check says
    "not attempted yet" instead of showing a traceback. Any other exception propagates,
    so the learner sees the line of their code that failed.
    """
    try:
        return evaluate()
    except NotImplementedError:
        return not_attempted(exercise)


def run_exercise_check(exercise: str, evaluate: Callable[[], Feedback]) -> None:
    """Print :func:`evaluate_exercise`'s feedback: the body of every lecture ``check_*``."""
    print(evaluate_exercise(exercise, evaluate))


def first_failing(checks: Sequence[tuple[str, Callable[[], Feedback]]]) -> str:
    """The name of the first check that fails or raises, or ``""`` when all pass.

    A training exercise that goes wrong is often a symptom: the learner's earlier
    exercises (a sort, a rule, a class) are checked in order and the first broken one is
    named as the likely cause, so the feedback leads with the root cause.
    """
    for name, check in checks:
        try:
            if not check().passed:
                return name
        except Exception:  # any failure of the learner's earlier code counts as failing
            return name
    return ""
