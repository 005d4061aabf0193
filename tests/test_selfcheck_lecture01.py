"""Notebook 01's practice exercises: the reference answers pass, each common mistake gets its hint.

The "learner" functions are written out by hand here; expected values are hand-derived numbers
or central differences, not the check's own formulas.
"""

from __future__ import annotations

import math

import pytest

from backprop_course.gradcheck import numerical_derivative
from backprop_course.selfcheck import lecture01


def dy_dw(w, x, b):
    z = w * x + b
    return (1 - math.tanh(z) ** 2) * x


def test_dy_dw_reference_passes_and_agrees_with_nudging():
    assert lecture01.evaluate_dy_dw(dy_dw).passed
    # the notebook's point: z = 0.5, dy/dw = (1 - tanh(0.5)^2) * 2 = 1.5729 (hand value), and nudging agrees
    assert dy_dw(0.5, 2.0, -0.5) == pytest.approx(1.572895, abs=1e-6)
    assert dy_dw(0.5, 2.0, -0.5) == pytest.approx(numerical_derivative(lambda w: math.tanh(w * 2 - 0.5), 0.5), rel=1e-8)


@pytest.mark.parametrize(
    "wrong, mistake, words",
    [
        (lambda w, x, b: 1 - math.tanh(w * x + b) ** 2, "forgot_inner", "dz/dw = x"),
        (lambda w, x, b: x, "forgot_outer", "1 - tanh(z)^2"),
        (lambda w, x, b: (1 - (w * x + b) ** 2) * x, "z_for_tanh", "not 1 - z^2"),
        (lambda w, x, b: (1 - math.tanh(w * x + b) ** 2) * w, "w_for_x", "is x, the input"),
        (lambda w, x, b: -dy_dw(w, x, b), "sign", "sign"),
    ],
)
def test_dy_dw_mistakes_are_named(wrong, mistake, words):
    feedback = lecture01.evaluate_dy_dw(wrong)
    assert not feedback.passed and feedback.mistake == mistake
    assert words in str(feedback)


def test_dy_dw_stub_is_not_attempted_and_none_is_explained(capsys):
    def stub(w, x, b):
        raise NotImplementedError("compute dy/dw")

    lecture01.check_dy_dw(stub)
    assert "not attempted yet" in capsys.readouterr().out
    feedback = lecture01.evaluate_dy_dw(lambda w, x, b: None)
    assert feedback.mistake == "not_a_number" and "return" in str(feedback)


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_central_difference_reference_passes():
    assert lecture01.evaluate_central_difference(central_difference).passed
    # x^3 at 2 with h = 0.1: (2.1^3 - 1.9^3) / 0.2 = (9.261 - 6.859) / 0.2 = 12.01 (by hand)
    assert central_difference(lambda x: x**3, 2.0, 0.1) == pytest.approx(12.01)


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (lambda f, x, h: (f(x + h) - f(x - h)) / h, "no_half"),
        (lambda f, x, h: (f(x + h) - f(x)) / h, "forward"),
        (lambda f, x, h: (f(x) - f(x - h)) / h, "backward"),
        (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign"),
        (lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h, "precedence"),
    ],
)
def test_central_difference_mistakes_are_named(wrong, mistake):
    feedback = lecture01.evaluate_central_difference(wrong)
    assert not feedback.passed and feedback.mistake == mistake and feedback.hint


def test_central_difference_other_error_is_reported(capsys):
    def broken(f, x, h):
        return f(x) / 0.0

    with pytest.raises(ZeroDivisionError):
        lecture01.check_central_difference(broken)
    assert "central_difference raised ZeroDivisionError" in capsys.readouterr().out
