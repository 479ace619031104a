"""Interval, McNemar and percentile arithmetic against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from podium.eval.stats import (
    bootstrap_mean,
    mcnemar_exact,
    paired_bootstrap,
    percentile,
    rounded,
    wilson,
)

Z2 = 1.96**2  # 3.8416


def test_wilson_with_no_successes_starts_at_zero() -> None:
    # p = 0: centre and half-width are both z²/(2n)/(1 + z²/n); the high end is z²/(n + z²).
    assert wilson(0, 10) == (0.0, pytest.approx(Z2 / (10 + Z2)))
    assert wilson(0, 10) == (0.0, pytest.approx(0.277540, abs=1e-6))


def test_wilson_with_all_successes_ends_at_one() -> None:
    # p = 1: the low end is n/(n + z²).
    assert wilson(10, 10) == (pytest.approx(10 / (10 + Z2)), 1.0)
    assert wilson(10, 10) == (pytest.approx(0.722460, abs=1e-6), 1.0)
    assert wilson(1, 1) == (pytest.approx(1 / (1 + Z2)), 1.0)


def test_wilson_at_one_half_is_symmetric() -> None:
    # p = 1/2: centre 1/2, half-width z / (2 * sqrt(n + z²)).
    half = 1.96 / (2 * math.sqrt(10 + Z2))
    assert half == pytest.approx(0.263411, abs=1e-6)
    low, high = wilson(5, 10) or (0.0, 0.0)
    assert (low, high) == (pytest.approx(0.5 - half), pytest.approx(0.5 + half))


def test_wilson_38_of_50() -> None:
    # p = 0.76, n = 50: centre (0.76 + 3.8416/100) / (1 + 3.8416/50) = 0.798416 / 1.076832
    # = 0.741449; half = 1.96 / 1.076832 * sqrt(0.76 * 0.24 / 50 + 3.8416 / 10000)
    # = 1.820154 * 0.063499 = 0.115579.
    assert rounded(wilson(38, 50), 4) == [0.6259, 0.857]


def test_wilson_of_nothing_is_none_and_bad_counts_raise() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(3, 2)


@pytest.mark.parametrize(("b", "c", "p"), [
    (0, 0, 1.0),                # no discordant case: no evidence either way
    (5, 1, 2 * (1 + 6) / 64),   # the 5 lost against 1 won: 0.21875
    (1, 5, 0.21875),            # two-sided: the same either way round
    (0, 6, 2 / 64),             # all discordant cases one way: 2 * (1/2)^6
    (17, 0, 2 / 2**17),
    (3, 3, 1.0),                # 2 * 42/64 > 1: capped at 1
    (0, 1, 1.0),
    (2, 8, 2 * (1 + 10 + 45) / 1024),
])
def test_mcnemar_exact(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p)


def test_paired_bootstrap_when_every_case_moves_the_same_way() -> None:
    assert paired_bootstrap([False] * 6, [True] * 6) == (1.0, 1.0)
    assert paired_bootstrap([True] * 6, [False] * 6) == (-1.0, -1.0)
    assert paired_bootstrap([True, False, True], [True, False, True]) == (0.0, 0.0)
    assert paired_bootstrap([], []) is None


def test_paired_bootstrap_is_seeded_and_brackets_the_difference() -> None:
    first = [True] * 2 + [False] * 8
    second = [True, False] + [True] * 6 + [False] * 2  # 6 won, 1 lost: +0.5
    interval = paired_bootstrap(first, second)
    assert interval == paired_bootstrap(first, second)
    assert interval is not None
    low, high = interval
    assert -1.0 <= low < 0.5 < high <= 1.0
    with pytest.raises(ValueError):
        paired_bootstrap([True], [True, False])


def test_bootstrap_mean() -> None:
    assert bootstrap_mean([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert bootstrap_mean([]) is None
    low, high = bootstrap_mean([0.0, 1.0] * 10) or (0.0, 0.0)
    assert low < 0.5 < high


def test_percentile_and_rounding() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 95) is None
    assert rounded((0.12345678, 0.9)) == [0.123457, 0.9]
    assert rounded(None) is None
