"""Lecture 09's self-checks: the reference answers pass, each named mistake gets its hint, a stub is "not attempted"."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course.selfcheck import lecture09


def mean_cross_entropy(logits, y):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def naive(logits, y):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.log(p[np.arange(len(y)), y]).mean())


def accuracy(logits, y):
    return float(np.mean(logits.argmax(axis=1) == y))


def stub(*args):
    raise NotImplementedError


def test_reference_mean_cross_entropy_passes():
    fb = lecture09.evaluate_mean_cross_entropy(mean_cross_entropy)
    assert fb.passed, str(fb)


def test_zero_logits_give_ln_k_by_hand():
    assert mean_cross_entropy(np.zeros((5, 3)), np.array([0, 1, 2, 0, 1])) == pytest.approx(math.log(3))


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, y: mean_cross_entropy(z, y) * len(y), "divide the sum by N"),
        (lambda z, y: mean_cross_entropy(z, y) / math.log(10), "not log10"),
        (lambda z, y: mean_cross_entropy(z, y) / math.log(2), "not log2"),
        (lambda z, y: -mean_cross_entropy(z, y), "minus sign"),
        (naive, "subtract each row's maximum"),
    ],
)
def test_mean_cross_entropy_mistakes_are_named(wrong, hint):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fb = lecture09.evaluate_mean_cross_entropy(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_mean_cross_entropy_indexing_a_whole_column_is_named():
    def columns(z, y):
        m = z.max(axis=1, keepdims=True)
        log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return float(-log_p[:, y].mean())

    fb = lecture09.evaluate_mean_cross_entropy(columns)
    assert not fb.passed and "np.arange(N)" in (fb.hint or ""), str(fb)


def test_reference_accuracy_passes():
    fb = lecture09.evaluate_accuracy(accuracy)
    assert fb.passed and "5 of 8" in fb.message, str(fb)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, y: float(np.sum(z.argmax(axis=1) == y)), "divide by the number of examples"),
        (lambda z, y: 100 * accuracy(z, y), "not a percentage"),
        (lambda z, y: 1 - accuracy(z, y), "error rate"),
        (lambda z, y: float(np.mean(z.argmin(axis=1) == y)), "argmax, not argmin"),
    ],
)
def test_accuracy_mistakes_are_named(wrong, hint):
    fb = lecture09.evaluate_accuracy(wrong)
    assert not fb.passed and hint in (fb.hint or ""), str(fb)


def test_untouched_stubs_say_not_attempted(capsys):
    lecture09.check_mean_cross_entropy(stub)
    lecture09.check_accuracy(stub)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "❌" not in out
