"""What an export of the effect data covers: the filters (cases as the effect summaries
choose them, and an instrument), the conditions they put on the responses, the rows they
choose and the instrument versions those rows were answered against."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from consultancy.evaluation.summary import Filters, cases_matching
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    EngagementType,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Municipality,
    Response,
    Round,
    VersionStatus,
)
from consultancy.security.validators import text_problem
from consultancy.services import Refusal
from consultancy.web.inputs import whole_number


class ExportError(Refusal):
    """A filter that names nothing, or a format that cannot hold the data."""


@dataclass(frozen=True)
class EffectFilters:
    """The cases (`cases`, as the effect summaries choose them) and the instrument (its
    code; None: every instrument) an export covers."""
    cases: Filters = Filters()
    instrument: str | None = None

    def as_dict(self) -> dict:
        """The filters given, by their option names (for the manifest and the audit)."""
        values = {"type": self.cases.type_code, "round": self.cases.round_id,
                  "year": self.cases.year, "municipality": self.cases.municipality,
                  "instrument": self.instrument}
        return {name: value for name, value in values.items() if value is not None}


def parse_filters(values: Mapping[str, object]) -> EffectFilters:
    """Filters from the page's query string, the API's or the command line's options:
    `type` (code), `round` (id), `year`, `municipality` (code), `instrument` (code). Empty
    means no restriction; a value that names nothing is refused (ExportError, with the
    filter's name as `field`), rather than exporting nothing or everything."""
    def text(name: str) -> str | None:
        value = values.get(name)
        value = str(value).strip() if value is not None else ""
        if problem := text_problem(value):  # neither queried nor audited, nor repeated
            raise ExportError(str(problem), name)
        return value or None

    def number(name: str, low: int, high: int, message) -> int | None:
        value = text(name)
        if value is None:
            return None
        number = whole_number(value)
        if number is None or not low <= number <= high:
            raise ExportError(str(message) % {"value": value}, name)
        return number

    type_code, instrument = text("type"), text("instrument")
    round_id = number("round", 1, 2**31 - 1, _l("%(value)s is not the id of a round."))
    year = number("year", 1901, 2999, _l("%(value)s is not a year (YYYY)."))
    municipality = number("municipality", 100, 999,
                          _l("%(value)s is not a three-digit municipality code."))
    checks = [
        (type_code, EngagementType.code, "type",
         _l("There is no type of course with the code %(value)s.")),
        (round_id, Round.id, "round", _l("There is no round with the id %(value)s.")),
        (municipality, Municipality.code, "municipality",
         _l("There is no municipality with the code %(value)s.")),
        (instrument, Instrument.code, "instrument",
         _l("There is no instrument with the code %(code)s.")),
    ]
    for value, column, name, message in checks:
        if value is not None and db.session.scalar(
                sa.select(sa.func.count()).where(column == value)) == 0:
            raise ExportError(str(message) % {"value": value, "code": value}, name)
    return EffectFilters(Filters(type_code=type_code, round_id=round_id, year=year,
                                 municipality=municipality), instrument)


def _version_ids(filters: EffectFilters):
    """The instrument versions of the chosen instrument (a subquery), or None for all."""
    if filters.instrument is None:
        return None
    return (sa.select(InstrumentVersion.id).join(Instrument)
            .where(Instrument.code == filters.instrument))


def response_conditions(filters: EffectFilters) -> list:
    """Conditions on Response for the chosen cases and instrument."""
    conditions = []
    if filters.cases != Filters():
        conditions.append(Response.engagement_id.in_(cases_matching(filters.cases)))
    versions = _version_ids(filters)
    if versions is not None:
        conditions.append(Response.instrument_version_id.in_(versions))
    return conditions


def count_rows(filters: EffectFilters) -> int:
    """The rows of the long table (answers) the filters choose."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Answer)
        .join(Response, Answer.response_id == Response.id)
        .where(*response_conditions(filters)))


def versions_covered(filters: EffectFilters) -> list[InstrumentVersion]:
    """The versions answered in the chosen cases, and every published version of the chosen
    instrument (of every instrument without one), so that the codebook describes the items
    also when nothing has been answered yet."""
    answered = (sa.select(Response.instrument_version_id)
                .where(*response_conditions(filters)).distinct())
    published = sa.select(InstrumentVersion.id).where(
        InstrumentVersion.status == VersionStatus.PUBLISHED)
    versions = _version_ids(filters)
    if versions is not None:
        published = published.where(InstrumentVersion.id.in_(versions))
    return list(db.session.scalars(
        sa.select(InstrumentVersion).join(Instrument)
        .where(sa.or_(InstrumentVersion.id.in_(answered), InstrumentVersion.id.in_(published)))
        .order_by(Instrument.kind != InstrumentKind.SELF_ASSESSMENT, Instrument.code,
                  InstrumentVersion.number)))
