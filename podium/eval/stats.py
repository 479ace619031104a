"""The statistics of the eval: intervals, the exact McNemar test, percentiles (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.96  # the 97.5th percentile of the standard normal, rounded: two-sided 95 %
RESAMPLES = 10_000  # bootstrap resamples
SEED = 0  # bootstrap seed: the same runs always give the same interval


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials; None when n is 0."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes in {n} trials")
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p: the binomial test of b against c discordant cases at 1/2."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def _bootstrap(values: Sequence[float], resamples: int, seed: int) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the resampled means of values."""
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def bootstrap_mean(values: Sequence[float], *, resamples: int = RESAMPLES,
                   seed: int = SEED) -> tuple[float, float] | None:
    """A seeded percentile-bootstrap 95 % interval of the mean; None when there is no value."""
    return _bootstrap(values, resamples, seed) if values else None


def paired_bootstrap(first: Sequence[bool], second: Sequence[bool], *,
                     resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float] | None:
    """A 95 % interval of accuracy(second) - accuracy(first) over the same cases, resampling
    cases (pairs) with a seeded generator; None when there is no case."""
    if len(first) != len(second):
        raise ValueError("paired samples differ in length")
    diffs = [float(b) - float(a) for a, b in zip(first, second, strict=True)]
    return _bootstrap(diffs, resamples, seed) if diffs else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolating linearly between ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rounded(interval: tuple[float, float] | None, digits: int = 6) -> list[float] | None:
    """An interval as the JSON list [low, high], rounded; None stays None."""
    return None if interval is None else [round(interval[0], digits), round(interval[1], digits)]
