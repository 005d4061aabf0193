"""Notebook 02's practice exercises: the reference answers pass, each common mistake gets its hint."""

from __future__ import annotations

import math

import pytest

from backprop_course.engine import Value
from backprop_course.selfcheck import lecture02


def neuron_backward(x1, w1, x2, w2, b):
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    dn = 1 - o**2
    return x1 * dn, x2 * dn, dn


def test_neuron_backward_reference_passes_and_matches_the_engine():
    assert lecture02.evaluate_neuron_backward(neuron_backward).passed
    # the notebook's neuron: dw1 = x1 * 0.5 = 1, dw2 = 0, db = 0.5 (by hand); the engine agrees
    assert neuron_backward(2.0, -3.0, 0.0, 1.0, 6.8813735870195432) == pytest.approx((1.0, 0.0, 0.5))
    x1, w1, x2, w2, b = (Value(v) for v in (0.5, 1.2, -1.5, 0.4, 0.3))
    (x1 * w1 + x2 * w2 + b).tanh().backward()
    assert neuron_backward(0.5, 1.2, -1.5, 0.4, 0.3) == pytest.approx((w1.grad, w2.grad, b.grad), rel=1e-12)


def _tanh_slope(x1, w1, x2, w2, b):
    return 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (lambda x1, w1, x2, w2, b: (x1, x2, 1.0), "forgot_tanh"),
        (lambda x1, w1, x2, w2, b: tuple(v * _tanh_slope(x1, w1, x2, w2, b) for v in (w1, w2, 1.0)), "other_input"),
        (
            lambda x1, w1, x2, w2, b: (x1 * _tanh_slope(x1, w1, x2, w2, b), x2 * _tanh_slope(x1, w1, x2, w2, b), 0.0),
            "bias_zero",
        ),
        (
            lambda x1, w1, x2, w2, b: (x1 * _tanh_slope(x1, w1, x2, w2, b), x2 * _tanh_slope(x1, w1, x2, w2, b), 1.0),
            "bias_skips_tanh",
        ),
    ],
)
def test_neuron_backward_mistakes_are_named(wrong, mistake):
    feedback = lecture02.evaluate_neuron_backward(wrong)
    assert not feedback.passed and feedback.mistake == mistake and feedback.hint


def test_neuron_backward_wrong_shape():
    feedback = lecture02.evaluate_neuron_backward(lambda *args: 1.0)
    assert feedback.mistake == "not_three" and "return dw1, dw2, db" in str(feedback)


def mul_backward(self, other, out):
    self.grad += other.data * out.grad
    other.grad += self.data * out.grad


def test_mul_backward_reference_passes():
    feedback = lecture02.evaluate_mul_backward(mul_backward)
    assert feedback.passed, str(feedback)


def test_mul_backward_assign_instead_of_add_is_caught_on_a_reused_node():
    def assigns(self, other, out):
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad

    feedback = lecture02.evaluate_mul_backward(assigns)
    assert not feedback.passed and feedback.mistake == "assign" and "+=" in feedback.hint


@pytest.mark.parametrize(
    "wrong, mistake",
    [
        (
            lambda s, o, out: (
                setattr(s, "grad", s.grad + s.data * out.grad),
                setattr(o, "grad", o.grad + o.data * out.grad),
            ),
            "swapped",
        ),
        (lambda s, o, out: (setattr(s, "grad", s.grad + o.data), setattr(o, "grad", o.grad + s.data)), "forgot_out"),
        (lambda s, o, out: (o.data * out.grad, s.data * out.grad), "returned"),
    ],
)
def test_mul_backward_mistakes_are_named(wrong, mistake):
    feedback = lecture02.evaluate_mul_backward(wrong)
    assert not feedback.passed and feedback.mistake == mistake


def test_mul_backward_that_only_works_on_distinct_nodes_fails_on_x_times_x():
    # a rule that reads self.grad before writing: right for distinct nodes, wrong for x * x
    def reads_first(self, other, out):
        g_self, g_other = self.grad, other.grad
        self.grad = g_self + other.data * out.grad
        other.grad = g_other + self.data * out.grad

    feedback = lecture02.evaluate_mul_backward(reads_first)
    assert not feedback.passed and "x * x" in str(feedback)


def test_backward_order(capsys):
    assert lecture02.evaluate_backward_order(lambda: "b").passed
    assert lecture02.evaluate_backward_order(lambda: "a").mistake == "wrong_choice"
    assert "reverse" in lecture02.evaluate_backward_order(lambda: "c").hint

    def stub():
        raise NotImplementedError

    lecture02.check_backward_order(stub)
    assert "not attempted yet" in capsys.readouterr().out
