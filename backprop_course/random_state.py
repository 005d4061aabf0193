"""One way to turn a seed into a numpy random Generator, used by every module.

Every random draw in the course goes through a ``numpy.random.Generator`` made
here, so a run is reproduced by giving the same seed.
"""

from __future__ import annotations

import numbers

import numpy as np

SeedLike = int | np.random.Generator

__all__ = ["SeedLike", "as_generator"]


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return ``seed`` itself if it is a Generator, else ``np.random.default_rng(seed)``.

    Passing a Generator lets several objects draw from one stream in turn (an MLP
    hands its generator to each layer); passing an int gives an independent,
    reproducible stream.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise TypeError(
            f"seed must be a non-negative int or a numpy Generator, got {seed!r}. "
            "Every random draw in the course is seeded so runs can be reproduced; "
            "pick any number, e.g. seed=0."
        )
    return np.random.default_rng(int(seed))
