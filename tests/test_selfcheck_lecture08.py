"""Lecture 08's self-checks: the reference answers pass, each named mistake gets its hint, a stub is "not attempted"."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course.selfcheck import lecture08


def linear_backward(dout, cache):
    x, W, b = cache
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def softmax_ce_gradient(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def naive_softmax(logits):
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def stub(*args):
    raise NotImplementedError


def test_reference_linear_backward_passes():
    assert lecture08.evaluate_linear_backward(linear_backward, seed=8).passed


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda d, c: (d @ c[1], d.T @ c[0], d.mean(axis=0)), "sum"),
        (lambda d, c: (d @ c[1], d.T @ c[0], d), "sums dout over the batch"),
        (lambda d, c: (d @ c[1], c[0].T @ d, d.sum(axis=0)), "dW = dout.T @ x"),
        (lambda d, c: (d @ c[1], d.T @ c[0] / len(d), d.sum(axis=0)), "do not divide by N"),
    ],
)
def test_linear_backward_mistakes_are_named(wrong, hint, capsys):
    lecture08.check_linear_backward(wrong)
    out = capsys.readouterr().out
    assert "❌" in out and hint in out, out


def test_reference_softmax_ce_gradient_passes():
    fb = lecture08.evaluate_softmax_ce_gradient(softmax_ce_gradient)
    assert fb.passed, str(fb)


def test_softmax_ce_gradient_by_hand():
    # zero logits, K = 2, y = [0, 1]: p = 1/2 everywhere, (p - e_y) / 2 = [[-1/4, 1/4], [1/4, -1/4]]
    got = softmax_ce_gradient(np.zeros((2, 2)), np.array([0, 1]))
    assert np.allclose(got, [[-0.25, 0.25], [0.25, -0.25]])


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, y: softmax_ce_gradient(z, y) * len(y), "divided by N"),
        (lambda z, y: naive_softmax(z - z.max(axis=1, keepdims=True)) / len(y), "subtract the one-hot"),
        (lambda z, y: -softmax_ce_gradient(z, y), "sign is flipped"),
        (
            lambda z, y: (np.exp(z) / np.exp(z).sum(axis=0, keepdims=True) - np.eye(z.shape[1])[y]) / len(y),
            "axis=1, not axis=0",
        ),
        (lambda z, y: softmax_ce_gradient(z, y) * len(y) / z.shape[1], "not the number of classes"),
        (lambda z, y: (naive_softmax(z) - np.eye(z.shape[1])[y]) / len(y), "subtract each row's maximum"),
    ],
)
def test_softmax_ce_gradient_mistakes_are_named(wrong, hint):
    with np.errstate(over="ignore", invalid="ignore"):
        fb = lecture08.evaluate_softmax_ce_gradient(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_untouched_stubs_say_not_attempted(capsys):
    lecture08.check_linear_backward(stub)
    lecture08.check_softmax_ce_gradient(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "❌" not in out
