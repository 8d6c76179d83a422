"""Effect statistics of self-assessments and observations: what a summary shows of the
before/after pairs of units, from their sufficient statistics. Pure: no database, no Flask.

A unit is a daycare unit within one case. Its score at an occasion is the mean of its
respondents' means of their item values (reverse-coded items flipped, missing codes left
out); its score on a dimension the same over that dimension's items only. A unit measured
at baseline and at end is a matched pair; nothing is imputed for the others, they are
counted (and compared at baseline, the attrition line). The database computes the unit
scores and their moments (`evaluation.summary`); these functions turn the moments into what
the summary shows. (tests/statistics_oracle.py keeps the computation from the answers in
Python, which the database's must equal.)
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

# Standardised effects of fewer pairs than this are shown as not meaningful.
MIN_PAIRS_FOR_EFFECT_SIZES = 5
CONFIDENCE = 0.95
# A change this close to 0 counts as unchanged (floating point noise of means).
UNCHANGED_DIGITS = 9


@dataclass(frozen=True)
class EffectSummary:
    """What a summary shows for one instrument and one scope (overall or a dimension).
    Means before and after are over the matched pairs; None where undefined, and the
    standardised effects None below MIN_PAIRS_FOR_EFFECT_SIZES pairs."""
    n_matched: int
    n_before_only: int
    n_after_only: int
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None
    ci_low: float | None
    ci_high: float | None
    d_z: float | None
    d_av: float | None
    share_improved: float | None
    share_unchanged: float | None
    share_worse: float | None

    @property
    def effects_meaningful(self) -> bool:
        return self.n_matched >= MIN_PAIRS_FOR_EFFECT_SIZES

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}


SUMMARY_FIELDS = ("n_matched", "n_before_only", "n_after_only", "mean_before", "mean_after",
                  "mean_change", "ci_low", "ci_high", "d_z", "d_av", "share_improved",
                  "share_unchanged", "share_worse")


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class PairStatistics:
    """The sufficient statistics of one scope's unit scores, as the database aggregates
    them: the counts of units measured at both occasions or at one; over the matched pairs
    the means before, after and of the changes (after - before) and the sums of squared
    deviations from those means; the pairs whose change rounded to UNCHANGED_DIGITS is
    above, at or below 0; and the mean baseline of the units without an end."""
    n_matched: int
    n_before_only: int
    n_after_only: int
    mean_before: float | None = None
    mean_after: float | None = None
    mean_change: float | None = None
    squares_before: float | None = None
    squares_after: float | None = None
    squares_change: float | None = None
    n_improved: int = 0
    n_unchanged: int = 0
    n_worse: int = 0
    mean_before_only: float | None = None


def pooled_squares(n: int, own: float | None, spread: float | None, total: float | None,
                   centre: float) -> float | None:
    """The sum of squared deviations of n values from their mean, from groups of them: the
    groups' own squares about their means (`own`), the sum over the groups of their size
    times the squared distance of their mean from `centre` (`spread`), and the values'
    `total`. None without values."""
    if not n or own is None or spread is None or total is None:
        return None
    return own + spread - n * (total / n - centre) ** 2


def _sd(squares: float | None, n: int) -> float | None:
    """The sample standard deviation (n - 1) from the sum of squared deviations; None for
    fewer than two values."""
    if n < 2 or squares is None:
        return None
    return math.sqrt(squares / (n - 1))


def summarise(stats: PairStatistics) -> EffectSummary:
    """Counts, means over the matched pairs, the mean change with its 95 % t interval,
    d_z (mean change / SD of the changes), d_av (mean change / mean of the before and after
    SDs), and the shares of pairs improved, unchanged and worse."""
    n = stats.n_matched
    counts = dict(n_matched=n, n_before_only=stats.n_before_only,
                  n_after_only=stats.n_after_only)
    if n == 0:
        return EffectSummary(**counts, mean_before=None, mean_after=None, mean_change=None,
                             ci_low=None, ci_high=None, d_z=None, d_av=None,
                             share_improved=None, share_unchanged=None, share_worse=None)
    mean_change = stats.mean_change
    sd_change = _sd(stats.squares_change, n)
    if sd_change is None:
        ci_low = ci_high = None
    else:
        half = t_quantile(1 - (1 - CONFIDENCE) / 2, n - 1) * sd_change / math.sqrt(n)
        ci_low, ci_high = mean_change - half, mean_change + half
    d_z = d_av = None
    if n >= MIN_PAIRS_FOR_EFFECT_SIZES:
        d_z = _ratio(mean_change, sd_change)
        sd_before, sd_after = _sd(stats.squares_before, n), _sd(stats.squares_after, n)
        d_av = _ratio(mean_change, (sd_before + sd_after) / 2)
    return EffectSummary(
        **counts, mean_before=stats.mean_before, mean_after=stats.mean_after,
        mean_change=mean_change, ci_low=ci_low, ci_high=ci_high, d_z=d_z, d_av=d_av,
        share_improved=stats.n_improved / n, share_unchanged=stats.n_unchanged / n,
        share_worse=stats.n_worse / n)


@dataclass(frozen=True)
class Attrition:
    """Baseline scores of the units that were measured at the end too, against those that
    were not: did the units that dropped out start differently?"""
    n_with_end: int
    mean_with_end: float | None
    n_without_end: int
    mean_without_end: float | None

    def as_dict(self) -> dict:
        return {"n_with_end": self.n_with_end, "mean_with_end": self.mean_with_end,
                "n_without_end": self.n_without_end, "mean_without_end": self.mean_without_end}


def attrition(overall: PairStatistics) -> Attrition:
    return Attrition(overall.n_matched, overall.mean_before, overall.n_before_only,
                     overall.mean_before_only)


@dataclass(frozen=True)
class InstrumentSummary:
    overall: EffectSummary
    attrition: Attrition
    dimensions: dict[str, EffectSummary]


def summarise_scopes(overall: PairStatistics, dimensions: Mapping[str, PairStatistics],
                     codes: Iterable[str]) -> InstrumentSummary:
    """Overall, attrition and per-dimension summaries, the dimensions in the order of
    `codes` (those without statistics summarised as empty)."""
    empty = PairStatistics(0, 0, 0)
    return InstrumentSummary(
        overall=summarise(overall), attrition=attrition(overall),
        dimensions={code: summarise(dimensions.get(code, empty)) for code in codes})


def scales_poolable(scales: Iterable[tuple[int, int]]) -> bool:
    """Responses to versions with different scales (min, max) are not pooled."""
    return len(set(scales)) <= 1


# --- Student's t -------------------------------------------------------------------------------

def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, epsilon = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 1000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < epsilon:
            break
    return result


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2, 0.5)
    return 1 - tail if t > 0 else tail


@lru_cache(maxsize=256)  # found by bisection; the same few df recur for every dimension
def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (Student's t inverse CDF), by bisection on `t_cdf`."""
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1")
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if p == 0.5:
        return 0.0
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2
