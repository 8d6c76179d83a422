"""Scoring an application against a criteria set, and ranking a round."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

MAX_SCORE = 3
DISAGREEMENT = 2  # reviewers this far apart on a criterion should talk


@dataclass(frozen=True)
class CriterionRule:
    code: str
    weight: int
    minimum: int


def criterion_means(scores: Iterable[tuple[str, int]]) -> dict[str, float]:
    """Mean score per criterion code from (criterion code, value) pairs of submitted reviews."""
    totals: dict[str, list[int]] = {}
    for code, value in scores:
        totals.setdefault(code, []).append(value)
    return {code: sum(values) / len(values) for code, values in totals.items()}


def weighted_total(criteria: Sequence[CriterionRule], means: Mapping[str, float]) -> float | None:
    """The weighted mean score as 0-100; None until every criterion has a score."""
    if not criteria or any(c.code not in means for c in criteria):
        return None
    weights = sum(c.weight for c in criteria)
    return round(sum(c.weight * means[c.code] for c in criteria) / weights / MAX_SCORE * 100, 1)


def minimums_met(criteria: Sequence[CriterionRule], means: Mapping[str, float]) -> bool | None:
    if not criteria or any(c.code not in means for c in criteria):
        return None
    return all(means[c.code] >= c.minimum for c in criteria)


def disagreements(scores_by_reviewer: Mapping[int, Mapping[str, int]]) -> list[str]:
    """Criterion codes on which two reviewers differ by DISAGREEMENT or more."""
    codes: dict[str, list[int]] = {}
    for scores in scores_by_reviewer.values():
        for code, value in scores.items():
            codes.setdefault(code, []).append(value)
    return sorted(code for code, values in codes.items()
                  if len(values) > 1 and max(values) - min(values) >= DISAGREEMENT)


@dataclass(frozen=True)
class Prescreen:
    """A hint for reviewers from what the form says; never a score."""
    highest_share: Decimal | None
    units_at_or_above: int
    units: int
    threshold: Decimal

    @property
    def high(self) -> bool:
        return self.units > 0 and self.units_at_or_above == self.units


def prescreen(shares: Sequence[Decimal], threshold: Decimal) -> Prescreen:
    return Prescreen(
        highest_share=max(shares) if shares else None,
        units_at_or_above=sum(1 for share in shares if share >= threshold),
        units=len(shares),
        threshold=threshold,
    )


@dataclass(frozen=True)
class Candidate:
    application_id: int
    total: float | None
    tie_breaker: float | None
    submitted_order: float  # earlier arrivals first


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Highest total first; ties by the tie-breaking criterion, then by arrival.

    Applications without a complete score come last, in arrival order.
    """
    def key(candidate: Candidate):
        scored = candidate.total is not None
        return (not scored, -(candidate.total or 0), -(candidate.tie_breaker or 0),
                candidate.submitted_order)
    return sorted(candidates, key=key)

