"""Effect summaries of one instrument, for one case or across cases: the database sums
the moments of the unit scores that every case keeps (`CaseScore`, recomputed with its
answers by `evaluation.services.refresh_case_scores`) over the chosen cases; the pure
functions of `consultancy.rules.statistics` turn them into the summary.

Three queries whatever the number of cases and answers: the instrument's versions with
their dimensions, the versions answered in the chosen cases, and the moments (one row per
scope, from a row per case and scope). The page, the case page and `flask evaluation
summary` share the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.engagements.queries import case_years, starting_in
from consultancy.evaluation.services import OVERALL
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    Application,
    CaseScore,
    Dimension,
    Engagement,
    EngagementType,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Municipality,
    Occasion,
    Response,
    Round,
    VersionStatus,
)
from consultancy.rules.statistics import (
    SUMMARY_FIELDS,
    InstrumentSummary,
    PairStatistics,
    pooled_squares,
    scales_poolable,
    summarise_scopes,
)
from consultancy.services import Refusal

OCCASIONS = (Occasion.BASELINE, Occasion.END)
ATTRITION_FIELDS = ("n_with_end", "mean_with_end", "n_without_end", "mean_without_end")


class SummaryError(Refusal):
    """An instrument or a filter value that does not exist."""


@dataclass(frozen=True)
class Filters:
    """Which cases a summary covers; None: no restriction."""
    type_code: str | None = None
    round_id: int | None = None
    year: int | None = None
    municipality: int | None = None
    case_reference: str | None = None
    engagement_id: int | None = None


@dataclass(frozen=True)
class DimensionInfo:
    code: str
    name_da: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en


@dataclass(frozen=True)
class VersionInfo:
    id: int
    number: int
    scale_min: int
    scale_max: int
    published: bool


@dataclass(frozen=True)
class Summary:
    """One instrument's summary: `result` None when refused (`refusal` says why)."""
    instrument: Instrument
    label: str
    scale: tuple[int, int] | None
    dimensions: list[DimensionInfo]
    result: InstrumentSummary | None
    refusal: str | None = None

    def as_json(self) -> dict:
        """{"instrument", "overall", "attrition", "dimensions": {code: {...}}}."""
        if self.result is None:
            raise SummaryError(self.refusal or "")
        return {
            "instrument": self.label,
            "overall": self.result.overall.as_dict(),
            "attrition": self.result.attrition.as_dict(),
            "dimensions": {code: summary.as_dict()
                           for code, summary in self.result.dimensions.items()},
        }

    def rows(self) -> list[dict]:
        """One row per scope ("overall", then each dimension code) for a table file; the
        attrition figures on the overall row."""
        if self.result is None:
            raise SummaryError(self.refusal or "")
        attrition = self.result.attrition.as_dict()
        rows = [{"instrument": self.label, "scope": "overall",
                 **self.result.overall.as_dict(), **attrition}]
        for code, summary in self.result.dimensions.items():
            rows.append({"instrument": self.label, "scope": code, **summary.as_dict(),
                         **{name: None for name in ATTRITION_FIELDS}})
        return rows


COLUMNS = ("instrument", "scope", *SUMMARY_FIELDS, *ATTRITION_FIELDS)


# --- instruments ------------------------------------------------------------------------------

def instruments() -> list[Instrument]:
    """Every instrument, self-assessments first, for a select."""
    return list(db.session.scalars(sa.select(Instrument).order_by(
        Instrument.kind != InstrumentKind.SELF_ASSESSMENT, Instrument.code)))


def choose_instrument(code: str | None, among: list[Instrument] | None = None) -> Instrument:
    """The instrument with `code`, or without one the default self-assessment instrument."""
    if among is None:
        query = sa.select(Instrument)
        query = (query.where(Instrument.code == code) if code else
                 query.where(Instrument.kind == InstrumentKind.SELF_ASSESSMENT)
                 .order_by(Instrument.is_default.desc(), Instrument.code).limit(1))
        among = list(db.session.scalars(query))
    if code:
        found = next((i for i in among if i.code == code), None)
        if found is None:
            raise SummaryError(_("There is no instrument with the code %(code)s.", code=code),
                               "instrument")
        return found
    defaults = sorted((i for i in among if i.kind is InstrumentKind.SELF_ASSESSMENT),
                      key=lambda i: (not i.is_default, i.code))
    if not defaults:
        raise SummaryError(_("There is no self-assessment instrument yet."), "instrument")
    return defaults[0]


# --- loading ----------------------------------------------------------------------------------

def filter_choices() -> dict:
    """What the case filters offer (types, rounds, years, municipalities with cases), for
    the summary and export pages."""
    return dict(
        types=db.session.scalars(sa.select(EngagementType).order_by(EngagementType.id)).all(),
        rounds=db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc(),
                                                            Round.id.desc())).all(),
        years=case_years(),
        municipalities=db.session.scalars(
            sa.select(Municipality)
            .where(Municipality.code.in_(sa.select(Engagement.municipality_code)))
            .order_by(Municipality.name)).all())


def cases_matching(filters: Filters):
    """The ids of the cases `filters` choose (a subquery)."""
    query = sa.select(Engagement.id)
    if filters.type_code:
        query = query.where(Engagement.engagement_type_id.in_(
            sa.select(EngagementType.id).where(EngagementType.code == filters.type_code)))
    if filters.round_id:
        query = query.where(Engagement.application_id.in_(
            sa.select(Application.id).where(Application.round_id == filters.round_id)))
    if filters.year:
        query = query.where(starting_in(filters.year))
    if filters.municipality:
        query = query.where(Engagement.municipality_code == filters.municipality)
    if filters.case_reference:
        query = query.where(Engagement.reference == filters.case_reference)
    if filters.engagement_id:
        query = query.where(Engagement.id == filters.engagement_id)
    return query


def _versions(instrument: Instrument) -> tuple[dict[int, VersionInfo],
                                              list[tuple[int, DimensionInfo]]]:
    """The instrument's versions, and the dimensions of each (version id, dimension), the
    newest version's first, in their order. One query."""
    rows = db.session.execute(
        sa.select(InstrumentVersion.id, InstrumentVersion.number, InstrumentVersion.scale_min,
                  InstrumentVersion.scale_max, InstrumentVersion.status, Dimension.code,
                  Dimension.name_da, Dimension.name_en)
        .outerjoin(Dimension, Dimension.version_id == InstrumentVersion.id)
        .where(InstrumentVersion.instrument_id == instrument.id)
        .order_by(InstrumentVersion.number.desc(), Dimension.position)).all()
    versions: dict[int, VersionInfo] = {}
    dimensions: list[tuple[int, DimensionInfo]] = []
    for version_id, number, low, high, status, code, name_da, name_en in rows:
        versions.setdefault(version_id, VersionInfo(version_id, number, low, high,
                                                    status is VersionStatus.PUBLISHED))
        if code is not None:
            dimensions.append((version_id, DimensionInfo(code, name_da, name_en)))
    return versions, dimensions


def _dimensions_of(shown: list[int],
                   dimensions: list[tuple[int, DimensionInfo]]) -> list[DimensionInfo]:
    """The dimensions of the versions shown, by code: in the newest one's order and named
    as there, then those only older ones have."""
    found: dict[str, DimensionInfo] = {}
    for version_id, dimension in dimensions:
        if version_id in shown and dimension.code not in found:
            found[dimension.code] = dimension
    return list(found.values())


def _answered(version_ids: list[int], filters: Filters) -> list[int]:
    """The versions among `version_ids` with an answer at baseline or end in the chosen
    cases. One query."""
    answered = (sa.select(Response.id)
                .where(Response.instrument_version_id == InstrumentVersion.id,
                       Response.occasion.in_(OCCASIONS),
                       Response.engagement_id.in_(cases_matching(filters)),
                       sa.exists().where(Answer.response_id == Response.id)))
    return list(db.session.scalars(sa.select(InstrumentVersion.id).where(
        InstrumentVersion.id.in_(version_ids), answered.exists())))


def _moments(instrument: Instrument, filters: Filters,
             centre: float) -> dict[str, PairStatistics]:
    """The moments of the unit scores per scope (OVERALL, or a dimension code) over the
    chosen cases, from the cases' stored moments (`CaseScore`). One query, one pass over a
    row per case and scope.

    The squared deviations from the pooled mean M of N scores combine the cases' own (W)
    with their means' spread: W + sum(n (m - c)^2) - N (M - c)^2 for any c (Chan et al.);
    taking c near the scores (the scale's `centre`; 0 for changes) keeps the difference
    free of cancellation."""
    c = CaseScore
    query = sa.select(c.dimension).where(c.instrument_id == instrument.id)
    if filters != Filters():
        query = query.where(c.engagement_id.in_(cases_matching(filters)))

    def spread(total, around: float):
        # n (m - c)^2 of each case with matched pairs; divisions in double precision
        # (SQLAlchemy would divide by an integer in NUMERIC).
        gap = total / sa.cast(c.n_matched, sa.Float) - around
        return sa.func.sum(sa.case((c.n_matched > 0, c.n_matched * gap * gap)))

    rows = db.session.execute(query.add_columns(
        sa.func.sum(c.n_matched), sa.func.sum(c.n_before_only), sa.func.sum(c.n_after_only),
        sa.func.sum(c.sum_before), sa.func.sum(c.sum_after), sa.func.sum(c.sum_change),
        sa.func.sum(c.squares_before), sa.func.sum(c.squares_after),
        sa.func.sum(c.squares_change), spread(c.sum_before, centre),
        spread(c.sum_after, centre), spread(c.sum_change, 0.0),
        sa.func.sum(c.n_improved), sa.func.sum(c.n_unchanged), sa.func.sum(c.n_worse),
        sa.func.sum(c.sum_before_only)).group_by(c.dimension)).all()
    moments = {}
    for (dimension, n, before_only, after_only, before, after, change, own_before,
         own_after, own_change, spread_before, spread_after, spread_change, improved,
         unchanged, worse, sum_before_only) in rows:
        n = int(n)
        moments[dimension] = PairStatistics(
            n, int(before_only), int(after_only),
            mean_before=before / n if n else None, mean_after=after / n if n else None,
            mean_change=change / n if n else None,
            squares_before=pooled_squares(n, own_before, spread_before, before, centre),
            squares_after=pooled_squares(n, own_after, spread_after, after, centre),
            squares_change=pooled_squares(n, own_change, spread_change, change, 0.0),
            n_improved=int(improved), n_unchanged=int(unchanged), n_worse=int(worse),
            mean_before_only=sum_before_only / before_only if before_only else None)
    return moments


def _label(instrument: Instrument, numbers: list[int]) -> str:
    return "+".join(f"{instrument.code}-v{number}" for number in sorted(numbers))


def summarise(instrument: Instrument, filters: Filters) -> Summary:
    """The effect summary of `instrument` over the cases `filters` choose. Responses to
    different versions are pooled by dimension code, each scored against its own version's
    items and scale; versions with different scales are not pooled (refused)."""
    versions, all_dimensions = _versions(instrument)
    # The versions answered; without answers, the newest published one (else the newest).
    shown = sorted(_answered(list(versions), filters) if versions else [],
                   key=lambda v: versions[v].number)
    if not shown and versions:
        newest = max(versions.values(), key=lambda v: (v.published, v.number))
        shown = [newest.id]
    label = _label(instrument, [versions[v].number for v in shown]) or instrument.code
    dimensions = _dimensions_of(shown, all_dimensions)
    scales = {(versions[v].scale_min, versions[v].scale_max) for v in shown}
    if not scales_poolable(scales):
        return Summary(instrument, label, None, dimensions, None, _(
            "The answers were given on versions of the instrument with different scales "
            "(%(scales)s), which cannot be pooled. Choose fewer cases, or summarise the "
            "versions apart.",
            scales=", ".join(f"{low}–{high}" for low, high in sorted(scales))))
    low, high = next(iter(scales), (0, 0))
    moments = _moments(instrument, filters, (low + high) / 2)
    return Summary(instrument, label, next(iter(scales), None), dimensions,
                   summarise_scopes(moments.get(OVERALL, PairStatistics(0, 0, 0)),
                                    moments, [d.code for d in dimensions]))
