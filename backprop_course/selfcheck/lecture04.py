"""Self-checks of lecture 04, gradient descent: the descent loop, and the largest stable learning rate.

- :func:`check_gradient_descent`: ``gradient_descent(grad_fn, w0, lr, steps)`` returns the
  whole path :math:`w_0, w_1, \\dots, w_{\\text{steps}}` of :math:`w_{t+1} = w_t - \\eta\\,\\nabla f(w_t)`,
  for a float and for a numpy array (a 2-D quadratic).
- :func:`check_largest_stable_lr`: ``largest_stable_lr(x)`` for the loss
  :math:`\\frac1n\\sum_i (w x_i + b - y_i)^2` in :math:`w` (``b`` fixed), whose curvature is
  :math:`c = 2\\,\\overline{x^2}`, so the answer is :math:`2/c = 1/\\overline{x^2}`.

Each check computes the right answer itself, and recognises the classic mistakes by
recomputing them the wrong way (gradient added instead of subtracted, the learning rate
applied twice or not at all, the start or the last step missing, an array updated in place...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

import numpy as np

from .feedback import Feedback, _call, _fmt, _rel_array, evaluate_answer, run_exercise_check

GradientDescent = Callable[[Callable[..., object], object, float, int], object]


def _path(grad_fn: Callable[[np.ndarray], np.ndarray], w0: np.ndarray, step: Callable[..., np.ndarray], steps: int):
    """The iterates of ``w <- step(w, grad_fn(w))``, as an array ``(steps + 1, *w0.shape)``."""
    w = np.array(w0, dtype=np.float64)
    path = [w]
    for _ in range(steps):
        w = step(w, grad_fn(w))
        path.append(w)
    return np.array(path)


def _same(got: np.ndarray, expected: np.ndarray, tol: float = 1e-9) -> bool:
    return got.shape == expected.shape and bool(np.all(_rel_array(got, expected) <= tol))


def _one_case(
    fn: GradientDescent,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    w0: float | np.ndarray,
    lr: float,
    steps: int,
    description: str,
) -> Feedback | None:
    """Run the learner's ``fn`` on one problem; ``None`` when it is right, else the feedback."""
    name = "gradient_descent"
    start = np.array(w0, dtype=np.float64)
    where = f"on {description}, w0 = {_describe(start)}, lr = {lr}, steps = {steps}"
    expected = _path(grad_fn, start, lambda w, g: w - lr * g, steps)
    # a fresh copy: an in-place update must not change the check's own start
    got_raw = _call(fn, name, where, grad_fn, start.copy() if start.ndim else float(start), lr, steps)
    if got_raw is None:
        return Feedback(name, False, "returned None.", (where,), "did your function forget to `return path`?", "none")
    if isinstance(got_raw, (int, float, np.number)) or (isinstance(got_raw, np.ndarray) and got_raw.ndim == 0):
        return Feedback(
            name,
            False,
            f"returned one number ({_fmt(got_raw)}), not the path.",
            (where,),
            "return the list of every iterate, starting with w0: [w0, w1, ..., w_steps].",
            "final_only",
        )
    try:
        got = np.array([np.array(v, dtype=np.float64) for v in cast(Iterable[object], got_raw)])
    except (TypeError, ValueError):
        return Feedback(
            name,
            False,
            f"returned a {type(got_raw).__name__} that is not a list of numbers (or of arrays of w0's shape).",
            (where,),
            "append each iterate w to a list and return the list.",
            "structure",
        )
    if got.shape[:1] != expected.shape[:1]:
        n = got.shape[0]
        hint = f"the path of {steps} steps has {steps + 1} entries: w0 and one per update."
        mistake = "length"
        if n == steps and got.shape[1:] == expected.shape[1:]:
            if _same(got, expected[1:]):
                hint, mistake = "the path must start with w0: append it before the first update.", "no_start"
            elif _same(got, expected[:-1]):
                hint, mistake = "one update is missing: run the loop `steps` times.", "one_step_short"
        elif n == steps + 2:
            hint, mistake = "one update too many: run the loop exactly `steps` times.", "one_step_extra"
        return Feedback(name, False, f"the path has {n} entries, expected {steps + 1}.", (where,), hint, mistake)
    if got.shape != expected.shape:
        return Feedback(
            name,
            False,
            f"each iterate has shape {got.shape[1:]}, expected {expected.shape[1:]} (the shape of w0).",
            (where,),
            "keep w the same shape as w0: w = w - lr * grad_fn(w).",
            "shape",
        )
    if _same(got, expected):
        return None
    wrong = [
        (
            lambda w, g: w + lr * g,
            "gradient_added",
            "the path goes uphill: the update must *subtract* the gradient, w = w - lr * grad_fn(w).",
        ),
        (lambda w, g: w - lr * lr * g, "lr_twice", "the learning rate is applied twice (lr * lr * grad)."),
        (lambda w, g: w - g, "no_lr", "the learning rate is missing: the step is lr * grad_fn(w), not grad_fn(w)."),
    ]
    for step, mistake, hint in wrong:
        if _same(got, _path(grad_fn, start, step, steps)):
            return Feedback(name, False, "wrong path.", (where,), hint, mistake)
    t = int(np.argmax([np.max(_rel_array(np.atleast_1d(g), np.atleast_1d(e))) for g, e in zip(got, expected)]))
    details = (where, f"at step {t}: expected w = {_describe(expected[t])}, got {_describe(got[t])}")
    if start.ndim and len(got) > 1 and all(np.array_equal(g, got[-1]) for g in got):
        return Feedback(
            name,
            False,
            "every entry of the path is the same array.",
            details,
            "`w -= lr * g` changes the very array you appended before: write `w = w - lr * g`, "
            "which makes a new array for each step.",
            "in_place",
        )
    if t == 0:
        return Feedback(name, False, "the path must start at w0.", details, "append w0 itself first.", "bad_start")
    return Feedback(name, False, "wrong path.", details, "each step is w = w - lr * grad_fn(w), from the current w.")


def _describe(v: np.ndarray) -> str:
    return _fmt(v) if v.ndim == 0 else "[" + ", ".join(_fmt(x) for x in v) + "]"


def evaluate_gradient_descent(fn: GradientDescent) -> Feedback:
    """Check ``gradient_descent(grad_fn, w0, lr, steps) -> [w0, ..., w_steps]`` on a 1-D and a 2-D quadratic."""
    cases: list[tuple[Callable[[np.ndarray], np.ndarray], float | np.ndarray, float, int, str]] = [
        (lambda w: 40 * (w - 2), 0.0, 0.01, 10, "f(w) = 20 (w - 2)^2"),
        (lambda w: 40 * (w - 2), 1.0, 0.045, 7, "f(w) = 20 (w - 2)^2"),
        (
            lambda p: np.array([40 * (p[0] - 2), 2 * (p[1] - 1)]),
            np.array([0.0, -0.5]),
            0.045,
            6,
            "f(w, b) = 20 (w - 2)^2 + (b - 1)^2 with a numpy array p = [w, b]",
        ),
    ]
    for grad_fn, w0, lr, steps, description in cases:
        fb = _one_case(fn, grad_fn, w0, lr, steps, description)
        if fb is not None:
            return fb
    return Feedback("gradient_descent", True, "correct on two 1-D problems and a 2-D one (numpy arrays).")


def check_gradient_descent(fn: GradientDescent) -> None:
    """Print :func:`evaluate_gradient_descent`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("gradient_descent", lambda: evaluate_gradient_descent(fn))


def evaluate_largest_stable_lr(fn: Callable[[np.ndarray], object]) -> Feedback:
    """Check ``largest_stable_lr(x)`` = :math:`2/c` with :math:`c = 2\\,\\overline{x^2}` on three input sets."""
    name = "largest_stable_lr"
    for x in (np.array([-6.0, -2.0, 2.0, 6.0]), np.array([-3.0, -1.0, 1.0, 3.0]), np.array([0.5, 1.5, -2.0, 3.0, 1.0])):
        where = f"for x = {x.tolist()}"
        got = _call(fn, name, where, x.copy())
        m = float(np.mean(x**2))
        mistakes = [
            (0.5 / m, "that is 1/c, where one step lands exactly on the minimum; divergence starts at 2/c."),
            (2.0 / m, "the curvature of mean(x^2) (w - w*)^2 is c = 2 * mean(x^2): you forgot the 2 from the square."),
            (1.0 / float(np.sum(x**2)), "the loss is a *mean* over the examples: use np.mean(x**2), not np.sum."),
            (2.0 / float(np.sum(x**2)), "the loss is a *mean* over the examples: use np.mean(x**2), not np.sum."),
        ]
        if abs(float(np.var(x)) - m) > 1e-9 * m:
            mistakes.append(
                (1.0 / float(np.var(x)), "use the mean of x^2, not the variance of x (nothing is subtracted from x).")
            )
        fb = evaluate_answer(
            "the largest stable learning rate", got, 1.0 / m, tol=1e-9, mistakes=mistakes, exercise=name
        )
        if not fb.passed:
            return Feedback(name, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(name, True, "correct for all three sets of inputs: 2/c = 1/mean(x^2).")


def check_largest_stable_lr(fn: Callable[[np.ndarray], object]) -> None:
    """Print :func:`evaluate_largest_stable_lr`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("largest_stable_lr", lambda: evaluate_largest_stable_lr(fn))
