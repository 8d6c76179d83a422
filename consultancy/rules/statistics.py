"""Effect statistics of self-assessments and observations: unit scores from answers, the
before/after pairs of units, and what a summary shows of them. Pure: no database, no Flask.

A unit is a daycare unit within one case. Its score at an occasion is the mean of its
respondents' means of their item values (reverse-coded items flipped, missing codes left
out); its score on a dimension the same over that dimension's items only. A unit measured
at baseline and at end is a matched pair; nothing is imputed for the others, they are
counted (and compared at baseline, the attrition line).
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

BEFORE = "baseline"
AFTER = "end"
# Standardised effects of fewer pairs than this are shown as not meaningful.
MIN_PAIRS_FOR_EFFECT_SIZES = 5
CONFIDENCE = 0.95
# A change this close to 0 counts as unchanged (floating point noise of means).
UNCHANGED_DIGITS = 9


# --- scoring ---------------------------------------------------------------------------------

def score_value(value: int | None, scale_min: int, scale_max: int,
                reverse: bool) -> float | None:
    """An answer's value as scored: flipped (min + max - value) for a reverse-coded item;
    None for a missing code (no value)."""
    if value is None:
        return None
    return float(scale_min + scale_max - value if reverse else value)


@dataclass(frozen=True)
class ScoredAnswer:
    """One answer ready to score: whose (unit, occasion, respondent), on which dimension,
    and its value after `score_value` (None when the respondent gave a missing code)."""
    unit: Hashable
    occasion: str
    respondent: Hashable
    dimension: str
    value: float | None


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def unit_scores(answers: Iterable[ScoredAnswer],
                dimension: str | None = None) -> dict[tuple[Hashable, str], float]:
    """Score per (unit, occasion): the mean of its respondents' means over their valued
    answers, on `dimension` only when given, else over all items. A respondent without a
    value in scope does not count; a unit without such a respondent has no score."""
    per_respondent: dict[tuple[Hashable, str], dict[Hashable, list[float]]] = {}
    for answer in answers:
        if answer.value is None or (dimension is not None and answer.dimension != dimension):
            continue
        per_respondent.setdefault((answer.unit, answer.occasion), {}) \
            .setdefault(answer.respondent, []).append(answer.value)
    return {key: _mean([_mean(values) for values in respondents.values()])
            for key, respondents in per_respondent.items()}


# --- pairing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pairs:
    """Units measured at both occasions (unit, before, after), and those measured once."""
    matched: list[tuple[Hashable, float, float]] = field(default_factory=list)
    before_only: list[tuple[Hashable, float]] = field(default_factory=list)
    after_only: list[tuple[Hashable, float]] = field(default_factory=list)


def _order(unit: Hashable) -> str:
    return repr(unit)


def pair_scores(scores: Mapping[tuple[Hashable, str], float], before: str = BEFORE,
                after: str = AFTER) -> Pairs:
    """Pair each unit's `before` score with its `after` score; other occasions are ignored."""
    units = sorted({unit for unit, occasion in scores if occasion in (before, after)},
                   key=_order)
    pairs = Pairs()
    for unit in units:
        first, last = scores.get((unit, before)), scores.get((unit, after))
        if first is not None and last is not None:
            pairs.matched.append((unit, first, last))
        elif first is not None:
            pairs.before_only.append((unit, first))
        else:
            pairs.after_only.append((unit, last))
    return pairs


# --- the numbers -------------------------------------------------------------------------------

def sample_sd(values: list[float]) -> float | None:
    """The sample standard deviation (n - 1); None for fewer than two values."""
    if len(values) < 2:
        return None
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


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


def summarise(pairs: Pairs) -> EffectSummary:
    """Counts, means over the matched pairs, the mean change with its 95 % t interval,
    d_z (mean change / SD of the changes), d_av (mean change / mean of the before and after
    SDs), and the shares of pairs improved, unchanged and worse."""
    n = len(pairs.matched)
    counts = dict(n_matched=n, n_before_only=len(pairs.before_only),
                  n_after_only=len(pairs.after_only))
    if n == 0:
        return EffectSummary(**counts, mean_before=None, mean_after=None, mean_change=None,
                             ci_low=None, ci_high=None, d_z=None, d_av=None,
                             share_improved=None, share_unchanged=None, share_worse=None)
    before = [b for _unit, b, _a in pairs.matched]
    after = [a for _unit, _b, a in pairs.matched]
    changes = [a - b for b, a in zip(before, after)]
    mean_change = _mean(changes)
    sd_change = sample_sd(changes)
    if sd_change is None:
        ci_low = ci_high = None
    else:
        half = t_quantile(1 - (1 - CONFIDENCE) / 2, n - 1) * sd_change / math.sqrt(n)
        ci_low, ci_high = mean_change - half, mean_change + half
    d_z = d_av = None
    if n >= MIN_PAIRS_FOR_EFFECT_SIZES:
        d_z = _ratio(mean_change, sd_change)
        sd_before, sd_after = sample_sd(before), sample_sd(after)
        d_av = _ratio(mean_change, (sd_before + sd_after) / 2)
    rounded = [round(change, UNCHANGED_DIGITS) for change in changes]
    return EffectSummary(
        **counts, mean_before=_mean(before), mean_after=_mean(after), mean_change=mean_change,
        ci_low=ci_low, ci_high=ci_high, d_z=d_z, d_av=d_av,
        share_improved=sum(c > 0 for c in rounded) / n,
        share_unchanged=sum(c == 0 for c in rounded) / n,
        share_worse=sum(c < 0 for c in rounded) / n)


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


def attrition(pairs: Pairs) -> Attrition:
    with_end = [before for _unit, before, _after in pairs.matched]
    without_end = [before for _unit, before in pairs.before_only]
    return Attrition(len(with_end), _mean(with_end) if with_end else None,
                     len(without_end), _mean(without_end) if without_end else None)


@dataclass(frozen=True)
class InstrumentSummary:
    overall: EffectSummary
    attrition: Attrition
    dimensions: dict[str, EffectSummary]


def summarise_answers(answers: Iterable[ScoredAnswer],
                      dimensions: Iterable[str]) -> InstrumentSummary:
    """Overall, attrition and per-dimension summaries of scored answers, the dimensions in
    the order given (those without answers summarised as empty)."""
    answers = list(answers)
    overall = pair_scores(unit_scores(answers))
    return InstrumentSummary(
        overall=summarise(overall), attrition=attrition(overall),
        dimensions={code: summarise(pair_scores(unit_scores(answers, code)))
                    for code in dimensions})


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
