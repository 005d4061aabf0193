"""Self-checks of lecture 08, backprop in matrix form: a linear layer's and the softmax loss's backward on a batch.

- :func:`check_linear_backward`: ``linear_backward(dout, cache) -> (dx, dW, db)`` for
  ``out = x @ W.T + b`` on a batch (rows are examples); the same check as homework 3's,
  with its hints (db not summed over the batch, a transposed product, a stray 1/N);
- :func:`check_softmax_ce_gradient`: ``softmax_ce_gradient(logits, y)``, the gradient of the
  *mean* softmax cross-entropy over a batch, :math:`(P - E_y)/N` (a missing 1/N, the one-hot not
  subtracted, a flipped sign, a softmax over the wrong axis, an overflowing exp).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .feedback import TOL, Feedback, _call, evaluate_answer, run_exercise_check
from .hw3 import evaluate_linear_backward


def check_linear_backward(fn: Callable[..., object]) -> None:
    """Print the feedback of homework 3's linear-layer check ("not attempted yet" for the untouched stub)."""
    run_exercise_check("linear_backward", lambda: evaluate_linear_backward(fn, seed=8))


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def evaluate_softmax_ce_gradient(fn: Callable[..., object]) -> Feedback:
    """Check ``softmax_ce_gradient(logits, y) -> dlogits`` for :math:`L = \\frac1N \\sum_n -\\log p_{n, y_n}`.

    The right answer is :math:`\\nabla_Z L = (P - E_y) / N`, with :math:`P` the row-wise softmax
    and :math:`E_y` the one-hot labels. A second batch has logits near 1000, where ``np.exp``
    without subtracting the row maximum overflows.
    """
    exercise = "softmax_ce_gradient"
    rng = np.random.default_rng(8)
    N, K = 5, 3
    logits = rng.normal(size=(N, K)) * 2
    y = np.array([0, 2, 1, 2, 0])
    P = _softmax_rows(logits)
    E = np.eye(K)[y]
    expected = (P - E) / N
    where = f"logits of shape {logits.shape} (N = {N} examples, K = {K} classes), y = {y.tolist()}"
    got = _call(fn, exercise, f"with {where}", logits.copy(), y.copy())
    col_softmax = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    mistakes = [
        (P - E, "the loss is the mean over the batch, so every row is divided by N: (P - E_y) / N."),
        (P / N, "subtract the one-hot labels: the right class's entry gets p_y - 1 (then divide by N)."),
        ((E - P) / N, "the sign is flipped: the gradient is P - E_y, so that descent raises the right class's score."),
        (
            (col_softmax - E) / N,
            "the softmax normalises each row (one example's K scores): sum over axis=1, not axis=0.",
        ),
        ((P - E) / K, "divide by the number of examples N (the rows), not the number of classes K."),
    ]
    fb = evaluate_answer("dlogits", got, expected, tol=TOL, mistakes=mistakes, exercise=exercise)
    if not fb.passed:
        return Feedback(exercise, False, fb.message, (where, *fb.details), fb.hint, fb.mistake)
    big = logits + 1000.0  # same softmax, same gradient; exp(1000) overflows
    with np.errstate(over="ignore", invalid="ignore"):
        got_big = _call(fn, exercise, "with the same logits + 1000", big, y.copy())
    fb_big = evaluate_answer("dlogits", got_big, expected, tol=TOL, exercise=exercise)
    if not fb_big.passed:
        return Feedback(
            exercise,
            False,
            "wrong for large logits (the same logits + 1000, which have the same softmax).",
            (f"logits + 1000, y = {y.tolist()}: {fb_big.message}", *fb_big.details),
            "np.exp(1000) overflows to inf: subtract each row's maximum before exp, "
            "z - z.max(axis=1, keepdims=True); the softmax does not change.",
            "overflow",
        )
    return Feedback(exercise, True, f"dlogits is right ({N} x {K}), also for logits near 1000.")


def check_softmax_ce_gradient(fn: Callable[..., object]) -> None:
    """Print :func:`evaluate_softmax_ce_gradient`'s feedback ("not attempted yet" for the untouched stub)."""
    run_exercise_check("softmax_ce_gradient", lambda: evaluate_softmax_ce_gradient(fn))
