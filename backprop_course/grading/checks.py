"""The judge's building blocks: relative error, credit, and strict reading of answers.

Everything here runs in the grader's own process on plain data that came back
from the child (JSON: numbers, lists, and tagged dicts for arrays, tuples and
objects the child refused to convert, see :func:`._child.encode`). Nothing a
submission returns is trusted: a number must be a number, an array must have the
expected shape, NaN and infinity are wrong answers.

Credit per check (CS231n's rule of thumb for float64 gradient checks):

=============================  ==========  ==========================================
relative error                 credit      meaning
=============================  ==========  ==========================================
< 1e-7                         1           right
1e-7 to 1e-4                   0.5         almost: a numerical issue, or a tiny term wrong
>= 1e-4, NaN, inf, wrong type  0           wrong
=============================  ==========  ==========================================

with the relative error :math:`\\max_i |a_i - e_i| / \\max(10^{-8}, |a_i| + |e_i|)`
(as :func:`backprop_course.gradcheck.rel_error`), ``a`` the answer and ``e`` the
expected value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..gradcheck import elementwise_rel_error

__all__ = [
    "FULL_CREDIT_REL_ERROR",
    "PARTIAL_CREDIT",
    "PARTIAL_CREDIT_REL_ERROR",
    "AnswerError",
    "Check",
    "JudgeContext",
    "credit_for",
    "describe_answer",
    "explain_error",
    "expect_array",
    "expect_number",
    "expect_pair",
    "fmt",
    "rel_error",
    "score_checks",
]

FULL_CREDIT_REL_ERROR = 1e-7
PARTIAL_CREDIT_REL_ERROR = 1e-4
PARTIAL_CREDIT = 0.5
#: answers closer than this to a known wrong formula get that formula's hint
HINT_MATCH_REL_ERROR = 1e-6


@dataclass
class Check:
    """One comparison inside a test: its share of the test's points and what to tell the student."""

    label: str
    credit: float
    message: str = ""
    weight: float = 1.0


@dataclass
class JudgeContext:
    """What a judge may need besides the answers: limits and notes about the submission."""

    time_limit: float = 2.0
    memory_mb: int = 1024
    ignored_names: set[str] = field(default_factory=set)


class AnswerError(ValueError):
    """An answer of the wrong type or shape; the message is written for the student."""


def fmt(x: float) -> str:
    """A number as a student wants to read it: 6 significant digits."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.6g}"


def rel_error(answer: Any, expected: Any) -> float:
    """Largest elementwise :math:`|a - e| / \\max(10^{-8}, |a| + |e|)`; ``inf`` for NaN or inf."""
    a = np.asarray(answer, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(elementwise_rel_error(a, e)))


def credit_for(err: float) -> float:
    """1 below 1e-7, 0.5 below 1e-4, else 0 (see the module docstring)."""
    if err < FULL_CREDIT_REL_ERROR:
        return 1.0
    if err < PARTIAL_CREDIT_REL_ERROR:
        return PARTIAL_CREDIT
    return 0.0


def verdict(err: float) -> str:
    if err < FULL_CREDIT_REL_ERROR:
        return "right"
    if err < PARTIAL_CREDIT_REL_ERROR:
        return f"almost right (relative error {err:.1e}: half credit; full credit needs < 1e-7)"
    return f"wrong (relative error {err:.1e})"


def score_checks(checks: Sequence[Check], max_score: float) -> float:
    """``max_score`` times the weighted mean credit, rounded to 1e-6."""
    total = sum(c.weight for c in checks)
    if total == 0:
        return 0.0
    return round(max_score * sum(c.credit * c.weight for c in checks) / total, 6)


# ------------------------------------------------------------- reading answers


def describe_answer(answer: Any) -> str:
    """What an encoded answer is, in words: ``a str '0.5'``, ``an object of type AlwaysEqual``..."""
    if answer is None:
        return "None (did the function forget `return`?)"
    if isinstance(answer, bool):
        return f"a bool ({answer})"
    if isinstance(answer, (int, float)):
        return f"the number {fmt(float(answer))}"
    if isinstance(answer, str):
        return f"a str {answer[:40]!r}"
    if isinstance(answer, list):
        return f"a list of {len(answer)} item{'s' * (len(answer) != 1)}"
    if isinstance(answer, dict):
        if "__ndarray__" in answer:
            return f"an array of shape {tuple(answer.get('shape', ()))}"
        if "__tuple__" in answer:
            n = len(answer["__tuple__"])
            return f"a tuple of {n} item{'s' * (n != 1)}"
        if "__dict__" in answer:
            return f"a dict with keys {sorted(answer['__dict__'])[:8]}"
        if "__object__" in answer:
            return f"an object of type {answer['__object__']}"
        if "__too_large__" in answer:
            return f"something with {answer['__too_large__']} elements (far too large)"
        if "__too_deep__" in answer:
            return "a structure nested too deeply"
        if "__big_int__" in answer:
            return "an integer too large for a float"
    return "something the grader cannot read"


def expect_number(answer: Any, what: str) -> float:
    """A finite-or-not float from an answer that must be one real number.

    Accepts Python ``int``/``float`` and numpy's scalars (the child already turned
    them into plain numbers) and a one-element array; refuses bools, strings,
    containers and any other object, whatever its ``__eq__`` says.
    """
    if isinstance(answer, bool) or answer is None or isinstance(answer, str):
        raise AnswerError(f"{what} should be a float, but your function returned {describe_answer(answer)}")
    if isinstance(answer, (int, float)):
        return float(answer)
    if isinstance(answer, dict) and "__ndarray__" in answer and _array_size(answer) == 1:
        return float(np.asarray(answer["__ndarray__"], dtype=np.float64).reshape(-1)[0])
    raise AnswerError(f"{what} should be a float, but your function returned {describe_answer(answer)}")


def _array_size(answer: dict[str, Any]) -> int:
    return int(np.prod(answer.get("shape", [0])))


def expect_pair(answer: Any, names: tuple[str, str]) -> tuple[Any, Any]:
    """The two items of a returned tuple/list ``(da, db)``."""
    items = answer.get("__tuple__") if isinstance(answer, dict) else answer
    if not isinstance(items, list):
        raise AnswerError(f"should return a tuple ({names[0]}, {names[1]}), but returned {describe_answer(answer)}")
    if len(items) != 2:
        raise AnswerError(
            f"should return a tuple of 2 gradients ({names[0]}, {names[1]}), but returned {len(items)} items"
        )
    return items[0], items[1]


def expect_items(answer: Any, names: Sequence[str]) -> list[Any]:
    """The items of a returned tuple/list of ``len(names)`` values."""
    items = answer.get("__tuple__") if isinstance(answer, dict) else answer
    joined = ", ".join(names)
    if not isinstance(items, list):
        raise AnswerError(f"should return a tuple ({joined}), but returned {describe_answer(answer)}")
    if len(items) != len(names):
        raise AnswerError(f"should return a tuple of {len(names)} items ({joined}), but returned {len(items)}")
    return list(items)


def expect_array(answer: Any, shape: tuple[int, ...], what: str, shape_hint: str = "") -> np.ndarray:
    """A float64 array of exactly ``shape`` from an answer that must be a numpy array."""
    if not (isinstance(answer, dict) and "__ndarray__" in answer):
        if isinstance(answer, dict) and "__object__" in answer and "ndarray" in answer["__object__"]:
            raise AnswerError(
                f"{what} is {describe_answer(answer)}; return a plain numpy array (np.ndarray), e.g. np.asarray(x)"
            )
        raise AnswerError(f"{what} should be a numpy array of shape {shape}, but is {describe_answer(answer)}")
    got_shape = tuple(int(s) for s in answer.get("shape", ()))
    if got_shape != tuple(shape):
        hint = f" {shape_hint}" if shape_hint else ""
        raise AnswerError(f"{what} has shape {got_shape}, expected {tuple(shape)}.{hint}")
    try:
        arr = np.asarray(answer["__ndarray__"], dtype=np.float64).reshape(shape)
    except (ValueError, TypeError) as err:
        raise AnswerError(f"{what} could not be read as an array of numbers") from err
    return arr


def nonfinite_note(x: np.ndarray | float) -> str:
    """`` (it contains NaN)`` and the like, or ``""``."""
    a = np.asarray(x, dtype=np.float64)
    if np.isnan(a).any():
        return " It contains NaN (not a number): look for 0/0, inf - inf or log of a negative number."
    if np.isinf(a).any():
        return " It contains inf: look for a division by zero or exp of a large number."
    return ""


# ---------------------------------------------------------- errors in student code


def explain_error(err: dict[str, Any], ctx: JudgeContext, hints: dict[str, str] | None = None) -> str:
    """Student-facing text for an exception the child reported.

    ``hints`` maps an exception type name to extra advice for this test (e.g.
    ``RecursionError`` -> "make it iterative").
    """
    etype = str(err.get("type", "Exception"))
    message = str(err.get("message", ""))
    trace = str(err.get("traceback", "")).rstrip()
    hints = hints or {}
    if etype == "GraderTimeout":
        text = f"did not finish within the time limit of {ctx.time_limit:g} s (an infinite loop, or very slow code?)"
    elif etype == "SystemExit":
        text = (
            "called sys.exit() / exit() / quit() (SystemExit). A graded function must return its answer; "
            "remove the exit call"
        )
    elif etype == "KeyboardInterrupt":
        text = "raised KeyboardInterrupt; remove it and return the answer"
    elif etype == "MemoryError":
        text = (
            f"ran out of memory: the limit is {ctx.memory_mb} MB. Something allocates far more than the "
            "exercise needs (a huge list or array?)"
        )
    elif etype == "NotImplementedError":
        text = "still raises NotImplementedError: replace the stub (`raise NotImplementedError`) with your code"
    elif etype == "OSError" and "File too large" in message:
        text = "printed more output than the grader allows; remove the prints in a loop"
    else:
        text = f"raised {etype}: {message}" if message else f"raised {etype}"
        if etype == "NameError":
            name = message.split("'")[1] if message.count("'") >= 2 else ""
            if name and name in ctx.ignored_names:
                text += (
                    f". `{name}` is set by top-level code that the grader does not run (it runs only imports, "
                    f"functions, classes and assignments that call nothing); compute `{name}` inside your function"
                )
    if etype in hints:
        text += f". {hints[etype]}"
    if trace and etype not in ("GraderTimeout",):
        text += "\n" + trace
    return text


def first_lines(text: str, n: int = 12, width: int = 200) -> str:
    """At most ``n`` lines of ``text``, each cut at ``width`` characters."""
    lines = text.splitlines()
    out = [line[:width] for line in lines[:n]]
    if len(lines) > n:
        out.append(f"... ({len(lines) - n} more lines)")
    return "\n".join(out)


def match_hint(
    got: float | np.ndarray,
    expected: float | np.ndarray,
    mistakes: Sequence[tuple[str, float | np.ndarray | Callable[[], float | np.ndarray]]],
) -> str:
    """The hint of the first known mistake whose value ``got`` equals (and ``expected`` does not)."""
    for hint, wrong in mistakes:
        try:
            value = wrong() if callable(wrong) else wrong
            if np.shape(value) != np.shape(got):
                continue
            if rel_error(got, value) < HINT_MATCH_REL_ERROR and rel_error(expected, value) >= HINT_MATCH_REL_ERROR:
                return hint
        except (ArithmeticError, ValueError):
            continue
    return ""
