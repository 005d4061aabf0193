"""Small synthetic data sets, generated with numpy from a seed (nothing is downloaded).

Every function returns ``(X, y)``: ``X`` a float64 array of shape ``(n, d)`` and
``y`` of shape ``(n,)``, int class labels ``0..K-1`` for classification, floats
for regression. Use :func:`to_pm1` for the -1/+1 labels of the hinge loss.
"""

from __future__ import annotations

import numpy as np

from .random_state import SeedLike, as_generator

__all__ = [
    "and_gate",
    "blobs",
    "circles",
    "moons",
    "or_gate",
    "regression_1d",
    "spirals",
    "to_pm1",
    "xor",
]

Dataset = tuple[np.ndarray, np.ndarray]

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _check_n(n: int, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"n must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(noise: float) -> float:
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def xor() -> Dataset:
    """The four corners of the unit square, label 1 where exactly one input is 1.

    Not linearly separable: no line puts (0,1), (1,0) on one side and (0,0), (1,1)
    on the other.
    """
    return _CORNERS.copy(), np.array([0, 1, 1, 0])


def and_gate() -> Dataset:
    """The four corners, label 1 only at (1, 1). Linearly separable."""
    return _CORNERS.copy(), np.array([0, 0, 0, 1])


def or_gate() -> Dataset:
    """The four corners, label 1 unless both inputs are 0. Linearly separable."""
    return _CORNERS.copy(), np.array([0, 1, 1, 1])


def moons(n: int = 100, noise: float = 0.1, seed: SeedLike = 0) -> Dataset:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), plus Gaussian noise."""
    n = _check_n(n, 2)
    rng = as_generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    X = X + rng.normal(0.0, _check_noise(noise), X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: SeedLike = 0) -> Dataset:
    """A small circle (label 1, radius ``factor``) inside a large one (label 0, radius 1)."""
    n = _check_n(n, 2)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor is the inner radius and must be in (0, 1), got {factor!r}")
    rng = as_generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    X = X + rng.normal(0.0, _check_noise(noise), X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def blobs(n: int = 100, centers: int | np.ndarray = 2, std: float = 0.5, seed: SeedLike = 0) -> Dataset:
    """Gaussian clusters, one class each. ``centers``: a count (placed on a circle of radius 2) or a (K, 2) array."""
    n = _check_n(n)
    rng = as_generator(seed)
    if isinstance(centers, (int, np.integer)):
        k = _check_n(int(centers))
        angles = 2 * np.pi * np.arange(k) / k
        C = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or len(C) == 0:
            raise ValueError(f"centers must be a count or a (K, d) array, got shape {C.shape}")
    y = np.arange(n) % len(C)
    X = C[y] + rng.normal(0.0, _check_noise(std), (n, C.shape[1]))
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: SeedLike = 0) -> Dataset:
    """``classes`` interleaved spiral arms (the CS231n toy set), ``n`` points in all."""
    n = _check_n(n, classes)
    k = _check_n(classes, 2)
    rng = as_generator(seed)
    y = np.arange(n) % k
    r = np.empty(n)
    for c in range(k):
        idx = np.flatnonzero(y == c)
        r[idx] = np.linspace(0.0, 1.0, len(idx))
    theta = y * (2 * np.pi / k) + r * 4.0 + rng.normal(0.0, _check_noise(noise), n)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def regression_1d(n: int = 50, noise: float = 0.1, seed: SeedLike = 0) -> Dataset:
    """Noisy samples of :math:`y = \\sin(3x)` on :math:`x \\in [-1, 1]`; ``X`` has shape ``(n, 1)``."""
    n = _check_n(n)
    rng = as_generator(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    y = np.sin(3.0 * x) + rng.normal(0.0, _check_noise(noise), n)
    return x[:, None], y


def to_pm1(y: np.ndarray) -> np.ndarray:
    """Map 0/1 labels to -1/+1 (for the hinge loss)."""
    y = np.asarray(y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"to_pm1 expects labels 0 or 1, got values {np.unique(y)[:5].tolist()}")
    return (2 * y - 1).astype(np.float64)
