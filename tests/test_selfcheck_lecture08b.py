"""Lecture 08b's self-checks: the reference answers pass, each named mistake gets its hint, a stub is not attempted."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course.selfcheck import lecture08b


def central_difference_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def forward_difference_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - base) / h
        x[i] = old
    return grad


def over_h(f, x, h=1e-5):
    return 2 * central_difference_gradient(f, x, h)


def not_restored(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        grad[i] = (up - f(x)) / (2 * h)  # forgets x[i] = old
    return grad


def first_axis_only(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)  # for a 2-D x this nudges a whole row at once
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def stub(*args):
    raise NotImplementedError


def test_reference_central_difference_passes():
    fb = lecture08b.evaluate_central_difference_gradient(central_difference_gradient)
    assert fb.passed, str(fb)


def test_central_difference_of_a_quadratic_by_hand():
    # f(x) = x0^2 + 3 x1: gradient (2 x0, 3), exact for central differences up to round-off
    got = central_difference_gradient(lambda v: v[0] ** 2 + 3 * v[1], np.array([1.5, -2.0]))
    assert np.allclose(got, [3.0, 3.0], rtol=1e-8)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (forward_difference_gradient, "forward difference"),
        (over_h, "divide by 2h"),
        (not_restored, "put its old value back"),
        (first_axis_only, "np.ndindex"),
    ],
)
def test_central_difference_mistakes_are_named(wrong, hint):
    fb = lecture08b.evaluate_central_difference_gradient(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_reference_relative_error_passes():
    fb = lecture08b.evaluate_relative_error(relative_error)
    assert fb.passed, str(fb)


def test_relative_error_by_hand():
    # |2 - 2.2| / (2 + 2.2) = 0.2 / 4.2
    assert relative_error(np.array([2.0, 1.0]), np.array([2.2, 1.0])) == pytest.approx(0.2 / 4.2)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda a, b: float(np.max(np.abs(a - b))), "absolute error"),
        (lambda a, b: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))), "np.max"),
        (lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))), "not by |a| alone"),
        (
            lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b))))),
            "not by the larger",
        ),
        (lambda a, b: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))), "max(1e-8, |a| + |b|)"),
    ],
)
def test_relative_error_mistakes_are_named(wrong, hint):
    with np.errstate(divide="ignore", invalid="ignore"):
        fb = lecture08b.evaluate_relative_error(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_untouched_stubs_say_not_attempted(capsys):
    lecture08b.check_central_difference_gradient(stub)
    lecture08b.check_relative_error(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "❌" not in out
