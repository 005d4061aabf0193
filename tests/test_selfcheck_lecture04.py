"""Lecture 04's self-checks: the reference answers pass, each classic mistake gets its own hint.

Every "learner" function is written out by hand; the expected paths are the checks' own
business, so the tests only assert the verdict and the recognised mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course.selfcheck import lecture04


def gradient_descent(grad_fn, w0, lr, steps):
    w = w0
    path = [w]
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        path.append(w)
    return path


def added(grad_fn, w0, lr, steps):
    w, path = w0, [w0]
    for _ in range(steps):
        w = w + lr * grad_fn(w)
        path.append(w)
    return path


def lr_twice(grad_fn, w0, lr, steps):
    w, path = w0, [w0]
    for _ in range(steps):
        w = w - lr * lr * grad_fn(w)
        path.append(w)
    return path


def no_lr(grad_fn, w0, lr, steps):
    w, path = w0, [w0]
    for _ in range(steps):
        w = w - grad_fn(w)
        path.append(w)
    return path


def no_start(grad_fn, w0, lr, steps):
    return gradient_descent(grad_fn, w0, lr, steps)[1:]


def one_short(grad_fn, w0, lr, steps):
    return gradient_descent(grad_fn, w0, lr, steps - 1)


def final_only(grad_fn, w0, lr, steps):
    return gradient_descent(grad_fn, w0, lr, steps)[-1]


def in_place(grad_fn, w0, lr, steps):
    w, path = w0, [w0]
    for _ in range(steps):
        w -= lr * grad_fn(w)
        path.append(w)
    return path


def no_return(grad_fn, w0, lr, steps):
    gradient_descent(grad_fn, w0, lr, steps)


def stub(grad_fn, w0, lr, steps):
    raise NotImplementedError("write the loop")


def test_reference_gradient_descent_passes():
    fb = lecture04.evaluate_gradient_descent(gradient_descent)
    assert fb.passed, str(fb)


def test_hand_computed_path_is_what_passes():
    # w_{t+1} - 2 = 0.6 (w_t - 2) from w0 = 0: 0, 0.8, 1.28, 1.568 (notebook 04, section 2)
    path = gradient_descent(lambda w: 40 * (w - 2), 0.0, 0.01, 3)
    assert np.allclose(path, [0.0, 0.8, 1.28, 1.568])


@pytest.mark.parametrize(
    ("fn", "mistake", "words"),
    [
        (added, "gradient_added", "subtract"),
        (lr_twice, "lr_twice", "twice"),
        (no_lr, "no_lr", "learning rate is missing"),
        (no_start, "no_start", "start with w0"),
        (one_short, "one_step_short", "missing"),
        (final_only, "final_only", "every iterate"),
        (in_place, "in_place", "w = w - lr * g"),
        (no_return, "none", "return"),
    ],
)
def test_gradient_descent_mistakes_are_named(fn, mistake, words):
    fb = lecture04.evaluate_gradient_descent(fn)
    assert not fb.passed
    assert fb.mistake == mistake, str(fb)
    assert words in (fb.hint or ""), str(fb)


def test_untouched_stub_says_not_attempted(capsys):
    lecture04.check_gradient_descent(stub)
    lecture04.check_largest_stable_lr(lambda x: stub(None, None, None, None))
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "Traceback" not in out


def largest_stable_lr(x):
    return 2 / (2 * np.mean(x**2))


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda x: 1 / (2 * np.mean(x**2)), "1/c"),
        (lambda x: 2 / np.mean(x**2), "forgot the 2"),
        (lambda x: 1 / np.sum(x**2), "np.sum"),
        (lambda x: 1 / np.var(x), "variance"),
    ],
)
def test_largest_stable_lr_mistakes_are_named(fn, words):
    fb = lecture04.evaluate_largest_stable_lr(fn)
    assert not fb.passed
    assert words in (fb.hint or ""), str(fb)


def test_reference_largest_stable_lr_passes_and_matches_hand_values():
    assert lecture04.evaluate_largest_stable_lr(largest_stable_lr).passed
    # the notebook's two data sets: 2/40 and 2/10
    assert largest_stable_lr(np.array([-6.0, -2, 2, 6])) == pytest.approx(0.05)
    assert largest_stable_lr(np.array([-3.0, -1, 1, 3])) == pytest.approx(0.2)


def test_a_wrong_type_gets_a_clear_message():
    fb = lecture04.evaluate_largest_stable_lr(lambda x: "0.05")
    assert not fb.passed and "number" in fb.message
