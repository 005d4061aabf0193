"""Losses: values against their formulas, gradients, stability, bad labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import losses
from backprop_course.engine import Value
from backprop_course.gradcheck import check_gradients


def test_mse_value_and_gradient():
    p = [Value(1.0), Value(3.0)]
    loss = losses.mse(p, [0.0, 1.0])
    assert loss.data == pytest.approx((1 + 4) / 2)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([2 * 1 / 2, 2 * 2 / 2])


def test_hinge_value_and_gradient():
    s = [Value(0.5), Value(-2.0), Value(3.0)]
    loss = losses.hinge(s, [1, 1, 1])
    assert loss.data == pytest.approx((0.5 + 3.0 + 0.0) / 3)
    loss.backward()
    assert [v.grad for v in s] == pytest.approx([-1 / 3, -1 / 3, 0.0])


def test_binary_cross_entropy_matches_formula_and_gradient_is_p_minus_y():
    z = [Value(0.3), Value(-1.2)]
    y = [1, 0]
    loss = losses.binary_cross_entropy(z, y)
    sig = [1 / (1 + math.exp(-v.data)) for v in z]
    expected = -(math.log(sig[0]) + math.log(1 - sig[1])) / 2
    assert loss.data == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx([(sig[0] - 1) / 2, (sig[1] - 0) / 2], rel=1e-10)


@pytest.mark.parametrize("z", [-800.0, 800.0])
def test_binary_cross_entropy_is_stable(z):
    loss = losses.binary_cross_entropy([Value(z)], [1 if z < 0 else 0])
    assert loss.data == pytest.approx(800.0)
    loss.backward()


def test_softmax_cross_entropy_gradient_is_p_minus_onehot():
    logits = [[Value(1.0), Value(2.0), Value(0.5)], [Value(-1.0), Value(0.0), Value(3.0)]]
    y = [1, 0]
    loss = losses.softmax_cross_entropy(logits, y)
    expected = 0.0
    for row, label in zip(logits, y):
        z = np.array([v.data for v in row])
        expected += np.log(np.exp(z).sum()) - z[label]
    assert loss.data == pytest.approx(expected / 2, rel=1e-12)
    loss.backward()
    for row, label in zip(logits, y):
        z = np.array([v.data for v in row])
        p = np.exp(z) / np.exp(z).sum()
        p[label] -= 1
        assert [v.grad for v in row] == pytest.approx(p / 2, rel=1e-10)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss = losses.softmax_cross_entropy([[Value(1000.0), Value(0.0)]], [1])
    assert loss.data == pytest.approx(1000.0)


def test_loss_gradients_against_finite_differences():
    r = check_gradients(lambda a, b, c: losses.softmax_cross_entropy([[a, b, c]], [2]), [0.2, -0.4, 1.1])
    assert r.passed, str(r)
    r = check_gradients(lambda a, b: losses.binary_cross_entropy([a, b], [1, 0]), [0.7, 0.2])
    assert r.passed, str(r)
    r = check_gradients(lambda a, b: losses.l2_penalty([a, b], 0.1), [0.7, -2.0])
    assert r.passed, str(r)


def test_bad_labels_and_sizes():
    with pytest.raises(ValueError, match=r"hinge needs labels -1 or \+1, got \[0.0\]; convert 0/1 labels"):
        losses.hinge([Value(1.0)], [0])
    with pytest.raises(ValueError, match="needs labels 0 or 1, got"):
        losses.binary_cross_entropy([Value(1.0)], [-1])
    with pytest.raises(ValueError, match="got 2 outputs but 1 labels"):
        losses.mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="label 3 is not a class index in 0..2"):
        losses.softmax_cross_entropy([[Value(0.0)] * 3], [3])
    with pytest.raises(TypeError, match="outputs must be Values"):
        losses.mse([1.0], [1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no outputs"):
        losses.mse([], [])
