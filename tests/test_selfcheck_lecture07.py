"""Lecture 07's self-checks: the reference answers pass, each named mistake gets its hint, a stub is "not attempted"."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course.selfcheck import lecture07


def stuck_fraction(final_losses, threshold):
    return float(np.mean(np.asarray(final_losses) > threshold))


def momentum_step(theta, v, grad, lr, mu):
    v = mu * v - lr * grad
    return theta + v, v


def stub(*args):
    raise NotImplementedError("write stuck_fraction")


def test_reference_stuck_fraction_passes():
    fb = lecture07.evaluate_stuck_fraction(stuck_fraction)
    assert fb.passed, str(fb)
    assert "3 of 10" in fb.message  # 0.1252, 0.25 and 0.1261 are above 0.1; 0.1 itself is not


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda L, t: float(np.sum(np.asarray(L) > t)), "divide by the number of runs"),
        (lambda L, t: float(np.mean(np.asarray(L) <= t)), "*solved*"),
        (lambda L, t: float(np.mean(np.asarray(L) >= t)), "use >, not >="),
        (lambda L, t: 100 * float(np.mean(np.asarray(L) > t)), "not a percentage"),
    ],
)
def test_stuck_fraction_mistakes_are_named(wrong, hint):
    fb = lecture07.evaluate_stuck_fraction(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_stuck_fraction_hardcoded_for_the_first_example_fails_on_the_second():
    fb = lecture07.evaluate_stuck_fraction(lambda L, t: 0.3)
    assert not fb.passed and "200 random" in fb.details[0], str(fb)


def test_reference_momentum_step_passes():
    fb = lecture07.evaluate_momentum_step(momentum_step)
    assert fb.passed, str(fb)


def test_momentum_by_hand():
    # v' = 0.9 * 0.3 - 0.1 * 2 = 0.07, theta' = 1.5 + 0.07 = 1.57 (first entry of the check's input)
    theta, v = momentum_step(np.array([1.5]), np.array([0.3]), np.array([2.0]), 0.1, 0.9)
    assert theta[0] == pytest.approx(1.57) and v[0] == pytest.approx(0.07)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda th, v, g, lr, mu: (th - lr * g, -lr * g), "old velocity is missing"),
        (lambda th, v, g, lr, mu: (th + mu * v + lr * g, mu * v + lr * g), "wrong sign"),
        (lambda th, v, g, lr, mu: (th + v, mu * v - lr * g), "*old* velocity"),
        (lambda th, v, g, lr, mu: (mu * v - lr * g, th + mu * v - lr * g), "swapped"),
        (lambda th, v, g, lr, mu: (th + v - lr * g, v - lr * g), "scaled by mu"),
    ],
)
def test_momentum_mistakes_are_named(wrong, hint):
    fb = lecture07.evaluate_momentum_step(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_momentum_returning_one_array_says_what_to_return():
    fb = lecture07.evaluate_momentum_step(lambda th, v, g, lr, mu: th + mu * v - lr * g)
    assert not fb.passed and fb.mistake == "structure" and "theta_new, v_new" in (fb.hint or "")


def test_untouched_stubs_say_not_attempted(capsys):
    lecture07.check_stuck_fraction(stub)
    lecture07.check_momentum_step(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "❌" not in out
