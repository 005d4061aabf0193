"""Self-checks of lecture 09, training end to end: the loss to expect before training, and accuracy.

- :func:`check_mean_cross_entropy`: ``mean_cross_entropy(logits, y)``, the mean softmax
  cross-entropy :math:`\\frac1N \\sum_n (\\log \\sum_k e^{z_{nk}} - z_{n y_n})`, the number to
  compare with :math:`\\ln K` before training (a sum instead of the mean, ``p[:, y]`` instead of
  one entry per row, the wrong logarithm, an overflowing exp);
- :func:`check_accuracy`: ``accuracy(logits, y)``, the fraction of rows whose largest score is the
  label (a count instead of a fraction, a percentage, the error rate, argmin).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .feedback import TOL, Feedback, _call, evaluate_answer, run_exercise_check


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def evaluate_mean_cross_entropy(fn: Callable[..., object]) -> Feedback:
    """Check ``mean_cross_entropy(logits, y) -> float`` on zero logits (the answer is ln K), random ones, huge ones."""
    exercise = "mean_cross_entropy"
    rng = np.random.default_rng(9)
    N, K = 6, 4
    y = np.array([0, 3, 1, 2, 3, 0])
    cases = [
        (np.zeros((N, K)), "all-zero logits (every class equally likely: the answer is ln 4)"),
        (rng.normal(size=(N, K)) * 1.5, "random logits"),
        (rng.normal(size=(N, K)) * 1.5 + 800.0, "logits near 800 (exp(800) overflows in float64)"),
    ]
    for logits, label in cases:
        where = f"{label}, shape {logits.shape}, y = {y.tolist()}"
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            got = _call(fn, exercise, f"with {where}", logits.copy(), y.copy())
        logp = _log_softmax(logits)
        per_example = -logp[np.arange(N), y]
        expected = float(per_example.mean())
        mistakes = [
            (float(per_example.sum()), "the loss is the *mean* over the N examples: divide the sum by N."),
            (
                float(-logp[:, y].mean()),
                "logp[:, y] picks every label's column for every row (an N x N array): take one entry per row, "
                "logp[np.arange(N), y].",
            ),
            (float(per_example.mean() / np.log(10)), "use the natural logarithm np.log, not log10."),
            (float(per_example.mean() / np.log(2)), "use the natural logarithm np.log, not log2."),
            (-expected, "the loss is -log p_y (positive): the minus sign is missing."),
        ]
        fb = evaluate_answer("loss", got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
        if not fb.passed:
            hint = fb.hint
            if fb.mistake == "not_a_number" and "800" in label:
                hint = (
                    "np.exp(800) is inf in float64: subtract each row's maximum first, "
                    "log sum exp(z) = m + log sum exp(z - m) with m = z.max(axis=1, keepdims=True)."
                )
            return Feedback(exercise, False, fb.message, (where, *fb.details), hint, fb.mistake)
    return Feedback(exercise, True, f"correct on {len(cases)} batches; all-zero logits give ln {K} = {np.log(K):.4f}.")


def check_mean_cross_entropy(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_mean_cross_entropy`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("mean_cross_entropy", lambda: evaluate_mean_cross_entropy(fn))


def evaluate_accuracy(fn: Callable[..., object]) -> Feedback:
    """Check ``accuracy(logits, y) -> float``: the fraction of rows n with argmax_k logits[n, k] == y[n]."""
    exercise = "accuracy"
    rng = np.random.default_rng(10)
    N, K = 8, 3
    logits = rng.normal(size=(N, K))
    predicted = logits.argmax(axis=1)
    y = predicted.copy()
    lowest = logits.argmin(axis=1)
    y[[1, 4]] = lowest[[1, 4]]  # three wrong (5 of 8 right): two labels are the row's smallest score,
    y[6] = 3 - predicted[6] - lowest[6]  # one the middle one, so argmin and the error rate give different answers
    where = f"logits of shape {logits.shape} (N = {N} examples, K = {K} classes), y = {y.tolist()}"
    got = _call(fn, exercise, f"with {where}", logits.copy(), y.copy())
    expected = float(np.mean(predicted == y))
    mistakes = [
        (float(np.sum(predicted == y)), f"that is the number right; divide by the number of examples ({N})."),
        (100 * expected, "give a fraction between 0 and 1, not a percentage."),
        (1 - expected, "that is the error rate: count the rows where the prediction *equals* the label."),
        (
            float(np.mean(logits.argmin(axis=1) == y)),
            "the prediction is the class with the *largest* score: argmax, not argmin.",
        ),
    ]
    fb = evaluate_answer("accuracy", got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
    if not fb.passed:
        return Feedback(exercise, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    return Feedback(exercise, True, f"correct: {int(expected * N)} of {N} rows right ({expected:.1%}).")


def check_accuracy(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_accuracy`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("accuracy", lambda: evaluate_accuracy(fn))
