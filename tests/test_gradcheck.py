"""Gradient checking: finite differences, relative error, the report a student reads."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import gradcheck
from backprop_course.engine import Value


def test_central_difference_is_second_order_forward_first_order():
    f, x, true = math.sin, 1.0, math.cos(1.0)
    err_c = [abs(gradcheck.numerical_derivative(f, x, h) - true) for h in (1e-2, 1e-3)]
    err_f = [abs(gradcheck.numerical_derivative(f, x, h, "forward") - true) for h in (1e-2, 1e-3)]
    assert err_c[0] / err_c[1] == pytest.approx(100, rel=0.05)  # O(h^2)
    assert err_f[0] / err_f[1] == pytest.approx(10, rel=0.05)  # O(h)


def test_rel_error():
    assert gradcheck.rel_error(1.0, 1.0) == 0.0
    assert gradcheck.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert gradcheck.rel_error(0.0, 0.0) == 0.0
    assert gradcheck.rel_error(np.nan, 1.0) == math.inf
    with pytest.raises(ValueError, match=r"shapes differ, analytic \(2,\) vs numeric \(3,\)"):
        gradcheck.rel_error(np.zeros(2), np.zeros(3))


def test_report_names_the_worst_input_and_both_values():
    report = gradcheck.check_gradients(lambda a, b: a * b, [2.0, 3.0], names=["a", "b"])
    assert report.passed and bool(report)
    assert "PASSED" in str(report)
    bad = gradcheck.GradCheckReport(
        ["a", "b"], np.array([3.0, 1.0]), np.array([3.0, 2.0]), np.array([0.0, 1 / 3]), tol=1e-6
    )
    assert not bad.passed and bad.worst == 1
    text = str(bad)
    assert "FAILED" in text and "at b: analytic 1, numeric 2" in text and "1 of 2 inputs disagree" in text


def test_check_gradients_catches_a_wrong_backward_rule():
    from backprop_course.engine import custom_backward_rules

    def forgot_chain_factor(out: Value) -> None:
        (a,) = out.children
        a.grad += 1.0 - out.data**2  # missing * out.grad

    with custom_backward_rules({"tanh": forgot_chain_factor}):
        report = gradcheck.check_gradients(lambda x: (x * 3.0).tanh() * 2.0, [0.2])
    assert not report.passed
    assert report.analytic[0] == pytest.approx(report.numeric[0] / 2.0, rel=1e-6)


def test_numerical_gradient_array_matches_known_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    W = rng.normal(size=(4, 2))
    dout = rng.normal(size=(3, 2))
    numeric = gradcheck.numerical_gradient_array(lambda x: x @ W, x, dout)
    assert gradcheck.rel_error(dout @ W.T, numeric) < 1e-8


def test_check_array_gradient_sparse_and_full():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3))
    dout = rng.normal(size=(5, 3))
    good = gradcheck.check_array_gradient(np.tanh, x, dout * (1 - np.tanh(x) ** 2), dout)
    assert good.passed and good.numeric.size == 15
    wrong = gradcheck.check_array_gradient(np.tanh, x, dout * (1 - x**2), dout, num_checks=6, seed=0)
    assert not wrong.passed and wrong.numeric.size == 6 and wrong.names[wrong.worst].startswith("x[")


def test_numerical_gradient_requires_float_arrays():
    with pytest.raises(TypeError, match="float64 numpy array"):
        gradcheck.numerical_gradient(lambda x: float(x.sum()), np.array([1, 2]))
    with pytest.raises(ValueError, match="step h must be positive"):
        gradcheck.numerical_derivative(math.sin, 0.0, h=0.0)
