"""The long table of answers: one row per case × unit × respondent × occasion × item,
read in chunks, and its variables (the fields of the codebook). Its variable names
(`LONG_COLUMNS`) are a contract with the evaluators' scripts."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.evaluation.effect_data.filters import EffectFilters, response_conditions
from consultancy.evaluation.effect_data.lookups import Lookups, lookups
from consultancy.exchange.exports import Field
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    EngagementType,
    InstrumentVersion,
    Item,
    MissingCode,
    Municipality,
    Occasion,
    Ownership,
    RespondentRole,
    Response,
    UnitKind,
)
from consultancy.security.pseudonyms import pseudonym, respondent_value
from consultancy.web.i18n import current_language

LONG_COLUMNS = [
    "engagement_id", "unit_id", "respondent_id", "respondent_role", "occasion", "dimension",
    "item", "value", "missing_code", "reverse_coded", "scale_min", "scale_max",
    "instrument_version", "engagement_type", "round", "municipality_code", "unit_kind",
    "unit_ownership", "response_date",
]
CHUNK_ROWS = 50_000
OCCASION_ORDER = {occasion.value: position for position, occasion in enumerate(Occasion)}


RAW_COLUMNS = ["case", "unit", "respondent_code", "respondent_role", "occasion", "item_id",
               "value", "missing_code", "response_date"]


def _answers_query(filters: EffectFilters) -> sa.Select:
    occasion_order = sa.case(OCCASION_ORDER, value=sa.type_coerce(Response.occasion, sa.String))
    return (sa.select(Response.engagement_id, Response.unit_id, Response.respondent_code,
                      sa.type_coerce(Response.respondent_role, sa.String),
                      sa.type_coerce(Response.occasion, sa.String), Answer.item_id,
                      Answer.value, sa.type_coerce(Answer.missing_code, sa.String),
                      # as text, YYYY-MM-DD: no date object per row
                      sa.cast(Response.responded_on, sa.String))
            .select_from(Answer).join(Response, Answer.response_id == Response.id)
            .join(Item, Answer.item_id == Item.id)
            .where(*response_conditions(filters))
            .order_by(Response.engagement_id, Response.unit_id, Response.respondent_code,
                      occasion_order, Response.instrument_version_id, Item.position))


class _RespondentPseudonyms:
    """Respondent pseudonyms from (case id, respondent code), each computed once."""

    def __init__(self, key: bytes):
        self.key = key
        self.known: dict[str, str] = {}

    def __call__(self, cases: pd.Series, codes: pd.Series) -> np.ndarray:
        keys = respondent_value(cases.astype("str"), codes.astype("str"))
        positions, distinct = pd.factorize(keys)
        names = np.array([self.known.get(value) or self.known.setdefault(
            value, pseudonym("respondent", value, self.key)) for value in distinct],
            dtype=object)
        return names[positions] if len(names) else np.array([], dtype=object)


def _long_frame(raw: pd.DataFrame, found: Lookups, respondents: _RespondentPseudonyms
                ) -> pd.DataFrame:
    cases = found.cases.reindex(raw["case"].to_numpy())
    units = found.units.reindex(raw["unit"].to_numpy())
    items = found.items.reindex(raw["item_id"].to_numpy())
    return pd.DataFrame({
        "engagement_id": cases["engagement_id"].to_numpy(),
        "unit_id": units["unit_id"].to_numpy(),
        "respondent_id": pd.array(respondents(raw["case"], raw["respondent_code"]),
                                  dtype="str"),
        "respondent_role": pd.array(raw["respondent_role"], dtype="str"),
        "occasion": pd.array(raw["occasion"], dtype="str"),
        "dimension": items["dimension"].to_numpy(),
        "item": items["item"].to_numpy(),
        "value": pd.array(raw["value"], dtype="Int64"),
        "missing_code": pd.array(raw["missing_code"], dtype="str"),
        "reverse_coded": items["reverse_coded"].to_numpy(),
        "scale_min": items["scale_min"].to_numpy(),
        "scale_max": items["scale_max"].to_numpy(),
        "instrument_version": items["instrument_version"].to_numpy(),
        "engagement_type": cases["engagement_type"].to_numpy(),
        "round": cases["round"].to_numpy(),
        "municipality_code": cases["municipality_code"].to_numpy(),
        "unit_kind": units["unit_kind"].to_numpy(),
        "unit_ownership": units["unit_ownership"].to_numpy(),
        "response_date": pd.array(raw["response_date"], dtype="str"),
    }, columns=LONG_COLUMNS)


def long_frames(filters: EffectFilters, found: Lookups | None = None,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The long table in chunks of `chunk_rows` rows, ordered by case, unit, respondent,
    occasion and item (ordered by their database ids, which do not appear)."""
    found = found or lookups(filters)
    respondents = _RespondentPseudonyms(found.key)
    # Core, not the ORM session: these are plain columns, and the ORM's row loading would
    # cost a quarter of the export's time.
    result = db.session.connection().execute(
        _answers_query(filters).execution_options(yield_per=chunk_rows))
    try:
        for rows in result.partitions():
            # column by column: DataFrame.from_records inspects every Row, at twice the cost
            raw = pd.DataFrame(dict(zip(RAW_COLUMNS, zip(*rows))), columns=RAW_COLUMNS)
            yield _long_frame(raw, found, respondents)
    finally:
        result.close()


def _labels(members) -> dict:
    return {member.value: member.label for member in members}


def _municipalities() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Municipality.code, Municipality.name)
                                   .order_by(Municipality.code)).all())


def _types() -> dict[str, str]:
    language = current_language()
    return {t.code: t.name(language) for t in db.session.scalars(
        sa.select(EngagementType).order_by(EngagementType.id))}


def _newest_first(versions: list[InstrumentVersion]) -> list[InstrumentVersion]:
    return sorted(versions, key=lambda v: -v.number)


def long_fields(versions: list[InstrumentVersion]) -> list[Field]:
    """The variables of the long table, with the codes of `versions` (dimensions, items)."""
    language = current_language()
    dimensions, items = {}, {}
    for version in _newest_first(versions):
        for dimension in version.dimensions:
            dimensions.setdefault(dimension.code, dimension.name(language))
        for item in version.items:
            items.setdefault(item.code, item.text(language))
    ordered_versions = {v.label: _("%(instrument)s, version %(number)d",
                                   instrument=v.instrument.name(language), number=v.number)
                        for v in versions}
    return [
        Field("engagement_id", "string", _("Case (pseudonym)"), _(
            "The case (forløb), pseudonymised with a keyed hash: the same case has the same "
            "id in every file and every export made with the same key; it cannot be turned "
            "back into the case.")),
        Field("unit_id", "string", _("Daycare unit (pseudonym)"), _(
            "The daycare unit, pseudonymised like engagement_id.")),
        Field("respondent_id", "string", _("Respondent (pseudonym)"), _(
            "The respondent, pseudonymised from the case and the generated respondent code: "
            "the same person at two occasions has the same id. Never a name.")),
        Field("respondent_role", "string", _("Respondent's role"), _(
            "The role the respondent answered in."), _labels(RespondentRole)),
        Field("occasion", "string", _("Occasion"), _(
            "When the self-assessment or observation was made: baseline (before the course), "
            "midway, end (after the course) or follow-up."), _labels(Occasion)),
        Field("dimension", "string", _("Dimension"), _(
            "The code of the item's dimension (see the items sheet)."), dimensions),
        Field("item", "string", _("Item"), _(
            "The item's code, stable across versions of the instrument: the same code is "
            "the same question (see the items sheet for the wording)."), items),
        Field("value", "integer", _("Answer on the scale"), _(
            "The answer as given on the instrument's scale, from scale_min to scale_max, "
            "not flipped for reverse-coded items; empty where a missing code was given.")),
        Field("missing_code", "string", _("Missing code"), _(
            "Why there is no value: not relevant or don't know; empty where a value was "
            "given."), _labels(MissingCode)),
        Field("reverse_coded", "boolean", _("Reverse-coded item"), _(
            "true where agreement means a worse state: flip the value as scale_min + "
            "scale_max − value before scoring.")),
        Field("scale_min", "integer", _("Lowest point of the scale"), _(
            "The lowest point of the instrument version's scale.")),
        Field("scale_max", "integer", _("Highest point of the scale"), _(
            "The highest point of the instrument version's scale (5 to 7).")),
        Field("instrument_version", "string", _("Instrument and version"), _(
            "The instrument and the version the answer was given against, e.g. "
            "egenvurdering-v1."), ordered_versions),
        Field("engagement_type", "string", _("Type of course"), _(
            "The case's type of course."), _types()),
        Field("round", "string", _("Application round"), _(
            "The name of the application round the case came from; empty for cases from "
            "continuous intake or without an application.")),
        Field("municipality_code", "integer", _("Municipality"), _(
            "The official three-digit code of the case's municipality."), _municipalities()),
        Field("unit_kind", "string", _("Kind of daycare unit"), _(
            "The kind of daycare unit."), _labels(UnitKind)),
        Field("unit_ownership", "string", _("Ownership of the unit"), _(
            "Municipal, self-owned or private."), _labels(Ownership)),
        Field("response_date", "date", _("Date of the response"), _(
            "The day the respondent answered (YYYY-MM-DD).")),
    ]
