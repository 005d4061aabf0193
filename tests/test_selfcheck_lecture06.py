"""Lecture 06's self-checks: the reference answers pass, each classic mistake gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course import losses
from backprop_course.nn import MLP
from backprop_course.selfcheck import lecture06


def hidden_gradients(net, X, y):
    loss = losses.binary_cross_entropy([net(xi) for xi in X], y)
    net.zero_grad()
    loss.backward()
    return np.array([[p.grad for p in neuron.parameters()] for neuron in net.layers[0].neurons])


def no_zero_grad(net, X, y):
    losses.binary_cross_entropy([net(xi) for xi in X], y).backward()
    return np.array([[p.grad for p in neuron.parameters()] for neuron in net.layers[0].neurons])


def weights_not_grads(net, X, y):
    hidden_gradients(net, X, y)
    return np.array([[p.data for p in neuron.parameters()] for neuron in net.layers[0].neurons])


def flat(net, X, y):
    return hidden_gradients(net, X, y).ravel()


def test_hidden_gradients_reference_passes():
    fb = lecture06.evaluate_hidden_gradients(hidden_gradients)
    assert fb.passed, str(fb)


def test_constant_start_gives_identical_rows():
    # the symmetry argument of notebook 06, section 3, seen through the reference answer
    net = MLP(2, [3, 1], activation="tanh", init="constant", scale=0.5)
    X, y = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
    G = hidden_gradients(net, X, y)
    assert np.all(G == G[0]) and np.any(G != 0)


@pytest.mark.parametrize(
    ("fn", "words"),
    [(no_zero_grad, "zero_grad"), (weights_not_grads, "p.grad"), (flat, "one row per hidden unit")],
)
def test_hidden_gradients_mistakes_are_named(fn, words):
    fb = lecture06.evaluate_hidden_gradients(fn)
    assert not fb.passed
    assert words in (fb.hint or ""), str(fb)


def layer_gradient_factor(sigma_w, fan_in, h):
    return sigma_w * np.sqrt(fan_in) * np.sqrt(np.mean((1 - h**2) ** 2))


def test_layer_gradient_factor_reference_passes_and_hand_value():
    assert lecture06.evaluate_layer_gradient_factor(layer_gradient_factor).passed
    # h = 0 everywhere: tanh is linear there, phi' = 1, so the factor is sigma_w sqrt(n) = 0.125 * 8 = 1
    assert layer_gradient_factor(0.125, 64, np.zeros((5, 64))) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda s, n, h: s * np.sqrt(n) * np.mean(1 - h**2), "root-mean-square"),
        (lambda s, n, h: s * np.sqrt(n) * np.sqrt(np.mean(h**2)), "derivative"),
        (lambda s, n, h: s**2 * np.sqrt(n) * np.sqrt(np.mean((1 - h**2) ** 2)), "variance"),
        (lambda s, n, h: s * np.sqrt(np.mean((1 - h**2) ** 2)), "sqrt(fan_in)"),
        (lambda s, n, h: s * n * np.sqrt(np.mean((1 - h**2) ** 2)), "not n"),
        (lambda s, n, h: s * np.sqrt(n), "tanh is linear"),
        (lambda s, n, h: None, "return"),
    ],
)
def test_layer_gradient_factor_mistakes_are_named(fn, words):
    fb = lecture06.evaluate_layer_gradient_factor(fn)
    assert not fb.passed
    assert words in (fb.hint or ""), str(fb)


def count_dead_units(W, b, X):
    return int(np.sum(np.all(X @ W.T + b <= 0, axis=0)))


def test_count_dead_units_reference_and_hand_example():
    assert lecture06.evaluate_count_dead_units(count_dead_units).passed
    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    b = np.array([0.0, -5.0, 0.0])
    X = np.array([[1.0, 1.0], [2.0, 3.0]])
    # unit 1: z = 1, 2 (alive); unit 2: z = -4, -2 (dead); unit 3: z = -2, -5 (dead)
    assert count_dead_units(W, b, X) == 2


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda W, b, X: int(np.sum(np.any(X @ W.T + b <= 0, axis=0))), "*every* input"),
        (lambda W, b, X: int(np.sum(np.any(X @ W.T + b > 0, axis=0))), "live"),
        (lambda W, b, X: int(np.sum(np.all(X @ W.T <= 0, axis=0))), "bias"),
        (lambda W, b, X: np.all(X @ W.T + b <= 0, axis=0), "one integer"),
        (lambda W, b, X: int(np.sum(np.all(X @ W + b <= 0, axis=0))), "X @ W.T + b"),
    ],
)
def test_count_dead_units_mistakes_are_named(fn, words):
    fb = lecture06.evaluate_count_dead_units(fn)
    assert not fb.passed
    assert words in (fb.hint or ""), str(fb)


def test_untouched_stubs_say_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError("your code")

    lecture06.check_hidden_gradients(stub)
    lecture06.check_layer_gradient_factor(stub)
    lecture06.check_count_dead_units(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 3 and "Traceback" not in out
