"""Lecture 05's self-checks: the reference answers pass, each classic mistake gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course.selfcheck import lecture05


def compose_linear(W1, b1, W2, b2):
    return W2 @ W1, W2 @ b1 + b2


def xor_relu_weights():
    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])
    b1 = np.array([0.0, -1.0])
    W2 = np.array([[1.0, -2.0]])
    b2 = np.array([0.0])
    return W1, b1, W2, b2


def test_reference_answers_pass():
    assert lecture05.evaluate_compose_linear(compose_linear).passed
    assert lecture05.evaluate_xor_relu_weights(xor_relu_weights).passed


def test_hand_built_xor_is_xor():
    # h1 = relu(x1 + x2), h2 = relu(x1 + x2 - 1), z = h1 - 2 h2: worked out by hand
    z = lecture05.relu_network(*xor_relu_weights(), np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]))
    assert z.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_other_correct_xor_networks_pass():
    # |x1 - x2| = relu(x1 - x2) + relu(x2 - x1), no biases; W2 as a flat vector, b2 a scalar
    fb = lecture05.evaluate_xor_relu_weights(
        lambda: (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), np.array([1.0, 1.0]), 0.0)
    )
    assert fb.passed, str(fb)


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda W1, b1, W2, b2: (W1 @ W2, W2 @ b1 + b2), "reversed"),
        (lambda W1, b1, W2, b2: (W2 @ W1, b2), "hidden biases"),
        (lambda W1, b1, W2, b2: (W2 @ W1, W2 @ b1), "own bias"),
        (lambda W1, b1, W2, b2: (W2 @ W1, b1 + b2), "only through W2"),
        (lambda W1, b1, W2, b2: (W2 @ W1, (W2 @ b1 + b2)[:, None]), "one-dimensional"),
        (lambda W1, b1, W2, b2: W2 @ W1, "return W, b"),
    ],
)
def test_compose_mistakes_are_named(fn, words):
    fb = lecture05.evaluate_compose_linear(fn)
    assert not fb.passed
    assert words in (fb.hint or ""), str(fb)


def test_compose_shape_error_gets_a_hint():
    # right on the square case, a shape error on the 3 -> 4 -> 2 one
    def wrong(W1, b1, W2, b2):
        return (W1 @ W2 if W1.shape == W2.shape else W1 @ W2), W2 @ b1 + b2

    fb = lecture05.evaluate_compose_linear(wrong)
    assert not fb.passed and fb.mistake == "known", str(fb)


@pytest.mark.parametrize(
    ("weights", "mistake"),
    [
        ((np.ones((2, 2)), np.zeros(2), np.array([[0.5, 0.5]]), np.zeros(1)), "sum"),  # relu(x1+x2): 0,1,1,2
        ((np.ones((2, 2)), np.array([1.0, 2.0]), np.array([[1.0, -1.0]]), np.zeros(1)), "no_bend"),
        ((np.ones((2, 3)), np.zeros(2), np.ones((1, 2)), np.zeros(1)), "shape"),
        ((np.ones((2, 2)), np.zeros(3), np.ones((1, 2)), np.zeros(1)), "shape"),
        ((np.ones((2, 2)), np.zeros(2), np.ones((2, 1)), np.zeros(1)), "shape"),
    ],
)
def test_xor_mistakes_are_named(weights, mistake):
    fb = lecture05.evaluate_xor_relu_weights(lambda: weights)
    assert not fb.passed and fb.mistake == mistake, str(fb)


def test_xor_failure_shows_the_four_points():
    fb = lecture05.evaluate_xor_relu_weights(
        lambda: (np.ones((2, 2)), np.array([0.0, -1.0]), np.array([[1.0, -1.0]]), np.zeros(1))
    )
    text = str(fb)
    assert not fb.passed and "x = (1, 1): expected 0, got 1" in text and "<- wrong" in text


def test_untouched_stubs_say_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError("your code")

    lecture05.check_compose_linear(stub)
    lecture05.check_xor_relu_weights(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "Traceback" not in out
