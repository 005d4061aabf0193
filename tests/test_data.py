"""Synthetic data sets: shapes, labels, seeding, and the properties the notebooks rely on."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course import data


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda s: data.moons(60, seed=s), 2),
        (lambda s: data.circles(60, seed=s), 2),
        (lambda s: data.blobs(60, centers=3, seed=s), 3),
        (lambda s: data.spirals(90, classes=3, seed=s), 3),
    ],
)
def test_classification_sets(make, classes):
    X, y = make(0)
    assert X.dtype == np.float64 and X.shape == (len(y), 2)
    assert sorted(np.unique(y).tolist()) == list(range(classes))
    X2, y2 = make(0)
    X3, _ = make(1)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, X3)


def test_boolean_gates():
    X, y = data.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert data.and_gate()[1].tolist() == [0, 0, 0, 1]
    assert data.or_gate()[1].tolist() == [0, 1, 1, 1]


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.moons(50, noise=0.0)
    upper = X[y == 0]
    lower = X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)


def test_circles_radii():
    X, y = data.circles(40, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_regression_1d():
    X, y = data.regression_1d(30, noise=0.0)
    assert X.shape == (30, 1) and np.allclose(y, np.sin(3 * X[:, 0]))


def test_to_pm1():
    assert data.to_pm1(np.array([0, 1, 1])).tolist() == [-1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="expects labels 0 or 1"):
        data.to_pm1(np.array([2]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        data.moons(1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        data.moons(10, noise=-1.0)
    with pytest.raises(ValueError, match="factor is the inner radius"):
        data.circles(10, factor=2.0)
