"""The effect summary as it was computed before the database aggregated it: every answer
loaded and scored in Python (`summary_from_answers`). Kept as the oracle the database's
computation (`consultancy.evaluation.summary`) must equal to 1e-12, and as the reference of
the hand-worked tests in test_rules_statistics.py. Not application code.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from consultancy.evaluation.summary import (
    OCCASIONS,
    Filters,
    _dimensions_of,
    _versions,
    cases_matching,
)
from consultancy.extensions import db
from consultancy.models import Answer, Dimension, Instrument, Item, Response
from consultancy.rules.statistics import (
    CONFIDENCE,
    MIN_PAIRS_FOR_EFFECT_SIZES,
    UNCHANGED_DIGITS,
    Attrition,
    EffectSummary,
    InstrumentSummary,
    PairStatistics,
    t_quantile,
)

BEFORE = "baseline"
AFTER = "end"


# --- scoring -----------------------------------------------------------------------------------

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


def attrition(pairs: Pairs) -> Attrition:
    with_end = [before for _unit, before, _after in pairs.matched]
    without_end = [before for _unit, before in pairs.before_only]
    return Attrition(len(with_end), _mean(with_end) if with_end else None,
                     len(without_end), _mean(without_end) if without_end else None)


def statistics_of(pairs: Pairs) -> PairStatistics:
    """The sufficient statistics of `pairs` as the database computes them, in Python."""
    before = [b for _unit, b, _a in pairs.matched]
    after = [a for _unit, _b, a in pairs.matched]
    changes = [a - b for b, a in zip(before, after)]
    without_end = [b for _unit, b in pairs.before_only]
    counts = (len(pairs.matched), len(pairs.before_only), len(pairs.after_only))
    if not changes:
        return PairStatistics(*counts, mean_before_only=_mean(without_end) if without_end
                              else None)

    def squares(values):
        mean = _mean(values)
        return math.fsum((v - mean) ** 2 for v in values)

    rounded = [round(change, UNCHANGED_DIGITS) for change in changes]
    return PairStatistics(
        *counts, mean_before=_mean(before), mean_after=_mean(after),
        mean_change=_mean(changes), squares_before=squares(before),
        squares_after=squares(after), squares_change=squares(changes),
        n_improved=sum(c > 0 for c in rounded), n_unchanged=sum(c == 0 for c in rounded),
        n_worse=sum(c < 0 for c in rounded),
        mean_before_only=_mean(without_end) if without_end else None)


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


# --- from the database, as the summary page computed it ---------------------------------------

def _answers(version_ids: list[int], filters: Filters):
    """(case, unit, occasion, respondent code, version, dimension code, reverse-coded,
    value) of every answer at baseline or end to the versions, in the chosen cases."""
    return db.session.execute(
        sa.select(Response.engagement_id, Response.unit_id, Response.occasion,
                  Response.respondent_code,
                  Response.instrument_version_id, Dimension.code, Item.reverse_coded,
                  Answer.value)
        .join(Answer.response).join(Answer.item)
        .join(Dimension, Dimension.id == Item.dimension_id)
        .where(Response.instrument_version_id.in_(version_ids),
               Response.occasion.in_(OCCASIONS),
               Response.engagement_id.in_(cases_matching(filters)))).all()


def summary_from_answers(instrument: Instrument, filters: Filters
                         ) -> tuple[list[int], InstrumentSummary | None]:
    """(the versions shown, the summary) of `instrument` over the cases `filters` choose,
    from every answer; the summary None where the scales of the versions differ."""
    versions, all_dimensions = _versions(instrument)
    rows = _answers(list(versions), filters) if versions else []
    shown = sorted({row[4] for row in rows}, key=lambda v: versions[v].number)
    if not shown and versions:
        newest = max(versions.values(), key=lambda v: (v.published, v.number))
        shown = [newest.id]
    dimensions = _dimensions_of(shown, all_dimensions)
    scales = {(versions[v].scale_min, versions[v].scale_max) for v in shown}
    if len(scales) > 1:
        return shown, None
    answers = [
        ScoredAnswer(unit=(case_id, unit_id), occasion=occasion.value, respondent=respondent,
                     dimension=dimension,
                     value=score_value(value, versions[version_id].scale_min,
                                       versions[version_id].scale_max, reverse))
        for case_id, unit_id, occasion, respondent, version_id, dimension, reverse, value
        in rows]
    return shown, summarise_answers(answers, [d.code for d in dimensions])
