"""Self-checks of lecture 07, local minima: counting stuck runs, and one momentum step.

- :func:`check_stuck_fraction`: the fraction of runs whose final loss stays above a threshold
  (a stuck XOR run ends near 0.125 or 0.25, a solved one near 0);
- :func:`check_momentum_step`: one step of SGD with momentum,
  :math:`v \\leftarrow \\mu v - \\eta \\nabla L`, :math:`\\theta \\leftarrow \\theta + v`.

Each check calls the learner's function on inputs it picks, computes the right answer
itself, and names the likely mistake (counting the solved runs, a count instead of a
fraction, ``>=`` at the threshold, the old velocity used for the step, a flipped sign...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from .feedback import TOL, Feedback, _call, evaluate_answer, run_exercise_check

#: final losses of 10 XOR runs (two stuck near 0.125, one on the 0.25 plateau, one exactly at the threshold)
FINAL_LOSSES = (0.0011, 0.1252, 0.0003, 0.25, 0.0009, 0.1, 0.0021, 0.1261, 0.0004, 0.0017)


def evaluate_stuck_fraction(fn: Callable[..., object]) -> Feedback:
    """Check ``stuck_fraction(final_losses, threshold) -> float``: the share of runs with loss > threshold."""
    exercise = "stuck_fraction"
    threshold = 0.1
    losses = np.array(FINAL_LOSSES)
    where = f"final_losses = {list(FINAL_LOSSES)}, threshold = {threshold}"
    got = _call(fn, exercise, f"with {where}", losses.copy(), threshold)
    stuck = losses > threshold
    n = len(losses)
    expected = stuck.sum() / n
    mistakes = [
        (float(stuck.sum()), f"that is the number of stuck runs; divide by the number of runs ({n}) for a fraction."),
        (1 - expected, "that is the fraction of runs that *solved* it: a stuck run's loss is above the threshold."),
        (
            float((losses >= threshold).sum()) / n,
            "a loss exactly at the threshold (0.1 here) is not above it: use >, not >=.",
        ),
        (100 * expected, "give a fraction between 0 and 1, not a percentage."),
    ]
    fb = evaluate_answer("fraction stuck", got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
    if not fb.passed:
        return Feedback(exercise, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    # a second, larger set: the function must not depend on the particular example above
    rng = np.random.default_rng(7)
    many = np.where(rng.random(200) < 0.4, 0.125 + rng.normal(0, 0.002, 200), rng.uniform(0, 0.01, 200))
    got2 = _call(fn, exercise, "with 200 random final losses", many.copy(), 0.05)
    fb2 = evaluate_answer("fraction stuck", got2, float(np.mean(many > 0.05)), tol=TOL, exercise=exercise)
    if not fb2.passed:
        where2 = "200 random final losses, threshold = 0.05"
        return Feedback(exercise, False, fb2.message, (where2, *fb2.details), fb2.hint, fb2.mistake)
    return Feedback(
        exercise, True, f"correct: {stuck.sum()} of {n} runs stuck ({expected:.0%}), and right on 200 more."
    )


def check_stuck_fraction(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_stuck_fraction`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("stuck_fraction", lambda: evaluate_stuck_fraction(fn))


def evaluate_momentum_step(fn: Callable[..., object]) -> Feedback:
    """Check ``momentum_step(theta, v, grad, lr, mu) -> (theta_new, v_new)``.

    The update is :math:`v' = \\mu v - \\eta g`, :math:`\\theta' = \\theta + v'`: the *new*
    velocity moves the weights.
    """
    exercise = "momentum_step"
    theta = np.array([1.5, -0.4, 2.0])
    v = np.array([0.3, -0.2, 0.05])
    grad = np.array([2.0, 1.0, -4.0])
    lr, mu = 0.1, 0.9
    where = f"theta = {theta.tolist()}, v = {v.tolist()}, grad = {grad.tolist()}, lr = {lr}, mu = {mu}"
    # copies: updating theta or v in place (theta += v) is fine, and must not change our expected values
    got = _call(fn, exercise, f"with {where}", theta.copy(), v.copy(), grad.copy(), lr, mu)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        what = "None" if got is None else type(got).__name__
        hint = "did your function forget to `return`?" if got is None else "return theta_new, v_new (two arrays)."
        return Feedback(exercise, False, f"returned {what}; expected (theta_new, v_new).", (where,), hint, "structure")
    theta_new, v_new = cast(Sequence[object], got)
    v_right = mu * v - lr * grad
    theta_right = theta + v_right
    checks: list[tuple[str, object, np.ndarray, list[tuple[np.ndarray, str]]]] = [
        (
            "v_new",
            v_new,
            v_right,
            [
                (-lr * grad, "the old velocity is missing: v_new = mu * v - lr * grad (mu * v is the momentum)."),
                (mu * v + lr * grad, "the gradient term has the wrong sign: descent moves against it, - lr * grad."),
                (v - lr * grad, "the old velocity must be scaled by mu (the friction), not kept whole."),
                (theta + v_right, "v_new and theta_new are swapped: return theta_new first, then v_new."),
            ],
        ),
        (
            "theta_new",
            theta_new,
            theta_right,
            [
                (theta + v, "theta moved with the *old* velocity: update v first, then theta = theta + v_new."),
                (theta - lr * grad, "that is plain gradient descent: theta moves by the new velocity, theta + v_new."),
                (theta - v_right, "theta = theta + v_new (v_new already holds the minus of the gradient step)."),
                (v_right, "v_new and theta_new are swapped: return theta_new first, then v_new."),
            ],
        ),
    ]
    for name, got_arr, right, mistakes in checks:
        fb = evaluate_answer(name, got_arr, right, tol=TOL, mistakes=mistakes, exercise=exercise)
        if not fb.passed:
            message = fb.message if fb.message != "not quite." else f"wrong {name}."
            return Feedback(exercise, False, message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(exercise, True, "theta_new and v_new are right.")


def check_momentum_step(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_momentum_step`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("momentum_step", lambda: evaluate_momentum_step(fn))
