"""Effect data for external evaluators: the answers as a tidy long table, the activity per
case, the codebook, and the bundle of files with its manifest.

The long table has one row per case × unit × respondent × occasion × item, its variable
names (`LONG_COLUMNS`) are a contract with the evaluators' scripts. Case, unit and
respondent are pseudonyms (`consultancy.pseudonyms`); nothing else identifies anyone: no
names of people, units or applicants, no contacts, no free text, no database ids, no
respondent codes.

Set-based: a handful of queries for the small tables (cases, units, items), then the
answers in one query read in chunks of `CHUNK_ROWS` (a server-side cursor on PostgreSQL),
each chunk turned into a DataFrame and handed to the writer before the next is read, so
memory stays flat however many rows there are. The file writers are in
`consultancy.exports`.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l

from consultancy.evaluation.summary import Filters, cases_matching
from consultancy.exports import (
    CSV_DIALECTS, EXTENSIONS, XLSX_MAX_ROWS, BundleFile, Field, WrittenFile,
    csv_dialect_descriptor, datapackage_schema, json_bytes, table_writer, write_csv,
    write_xlsx,
)
from consultancy.extensions import db
from consultancy.i18n import current_language
from consultancy.inputs import whole_number
from consultancy.models import (
    Answer, Application, DaycareUnit, Dimension, Engagement, EngagementSession, EngagementType,
    Instrument, InstrumentKind, InstrumentVersion, Item, MissingCode, Municipality, Occasion,
    Ownership, RespondentRole, Response, Round, SessionFormat, SessionStatus, UnitKind,
    VersionStatus,
)
from consultancy.pseudonyms import (
    DIGITS, key_id, key_source, pseudonym, pseudonymisation_key, respondent_value,
)
from consultancy.services import Refusal
from consultancy.services.clock import utcnow
from consultancy.validators import text_problem

LONG_COLUMNS = [
    "engagement_id", "unit_id", "respondent_id", "respondent_role", "occasion", "dimension",
    "item", "value", "missing_code", "reverse_coded", "scale_min", "scale_max",
    "instrument_version", "engagement_type", "round", "municipality_code", "unit_kind",
    "unit_ownership", "response_date",
]
CASE_COLUMNS = ["engagement_id", "engagement_type", "round", "municipality_code"]
ACTIVITY_COLUMNS = CASE_COLUMNS + ["sessions_total", "hours_total"] + [
    f"{measure}_{session_format.value}" for session_format in SessionFormat
    for measure in ("sessions", "hours")]
PSEUDONYMISED = ["engagement_id", "unit_id", "respondent_id"]
FORMATS = ["csv", "csv-excel-da", "xlsx", "parquet", "dta", "sav"]
API_FORMATS = ["csv", "parquet", "json"]
CHUNK_ROWS = 50_000
OCCASION_ORDER = {occasion.value: position for position, occasion in enumerate(Occasion)}
# What never leaves in an export (the manifest says so).
DROPPED = [
    _l("names of people, of daycare units and of applicants"),
    _l("contact persons, e-mail addresses and phone numbers"),
    _l("free text: session summaries and next steps, goals, notes, application texts"),
    _l("database ids and respondent codes (replaced by pseudonyms)"),
    _l("who entered the responses, and when"),
]


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


# --- what the export covers ---------------------------------------------------------------

def _version_ids(filters: EffectFilters):
    """The instrument versions of the chosen instrument (a subquery), or None for all."""
    if filters.instrument is None:
        return None
    return (sa.select(InstrumentVersion.id).join(Instrument)
            .where(Instrument.code == filters.instrument))


def _responses(filters: EffectFilters) -> list:
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
        .join(Response, Answer.response_id == Response.id).where(*_responses(filters)))


def _versions_covered(filters: EffectFilters) -> list[InstrumentVersion]:
    """The versions answered in the chosen cases, and every published version of the chosen
    instrument (of every instrument without one), so that the codebook describes the items
    also when nothing has been answered yet."""
    answered = sa.select(Response.instrument_version_id).where(*_responses(filters)).distinct()
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


@dataclass
class Lookups:
    """The small tables, keyed by database id, that the chunks of answers are joined to in
    memory: cases (pseudonym, type, round, municipality), units (pseudonym, kind,
    ownership) and items (dimension, code, reverse-coded, scale, version label)."""
    cases: pd.DataFrame
    units: pd.DataFrame
    items: pd.DataFrame
    versions: list[InstrumentVersion]
    key: bytes


def _pseudonyms(kind: str, values, key: bytes) -> list[str]:
    return [pseudonym(kind, value, key) for value in values]


def _cases(filters: EffectFilters, key: bytes) -> pd.DataFrame:
    query = (sa.select(Engagement.id, EngagementType.code, Round.name,
                       Engagement.municipality_code)
             .join(EngagementType, Engagement.engagement_type_id == EngagementType.id)
             .outerjoin(Application, Engagement.application_id == Application.id)
             .outerjoin(Round, Application.round_id == Round.id)
             .order_by(Engagement.id))
    if filters.cases != Filters():
        query = query.where(Engagement.id.in_(cases_matching(filters.cases)))
    rows = db.session.execute(query).all()
    ids = [row[0] for row in rows]
    return pd.DataFrame({
        "engagement_id": pd.array(_pseudonyms("engagement", ids, key), dtype="str"),
        "engagement_type": pd.array([row[1] for row in rows], dtype="str"),
        "round": pd.array([row[2] for row in rows], dtype="str"),
        "municipality_code": pd.array([row[3] for row in rows], dtype="Int64"),
    }, index=pd.Index(ids, name="id"))


def _units(filters: EffectFilters, key: bytes) -> pd.DataFrame:
    answered = sa.select(Response.unit_id).where(*_responses(filters)).distinct()
    rows = db.session.execute(
        sa.select(DaycareUnit.id, sa.type_coerce(DaycareUnit.kind, sa.String),
                  sa.type_coerce(DaycareUnit.ownership, sa.String))
        .where(DaycareUnit.id.in_(answered)).order_by(DaycareUnit.id)).all()
    ids = [row[0] for row in rows]
    return pd.DataFrame({
        "unit_id": pd.array(_pseudonyms("unit", ids, key), dtype="str"),
        "unit_kind": pd.array([row[1] for row in rows], dtype="str"),
        "unit_ownership": pd.array([row[2] for row in rows], dtype="str"),
    }, index=pd.Index(ids, name="id"))


def _items(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = db.session.execute(
        sa.select(Item.id, Dimension.code, Item.code, Item.reverse_coded, Item.version_id)
        .join(Dimension, Item.dimension_id == Dimension.id)
        .where(Item.version_id.in_([v.id for v in versions]))).all()
    by_id = {v.id: v for v in versions}
    return pd.DataFrame({
        "dimension": pd.array([row[1] for row in rows], dtype="str"),
        "item": pd.array([row[2] for row in rows], dtype="str"),
        "reverse_coded": pd.array([bool(row[3]) for row in rows], dtype="boolean"),
        "scale_min": pd.array([by_id[row[4]].scale_min for row in rows], dtype="Int64"),
        "scale_max": pd.array([by_id[row[4]].scale_max for row in rows], dtype="Int64"),
        "instrument_version": pd.array([by_id[row[4]].label for row in rows], dtype="str"),
    }, index=pd.Index([row[0] for row in rows], name="id"))


def lookups(filters: EffectFilters) -> Lookups:
    key = pseudonymisation_key()
    versions = _versions_covered(filters)
    return Lookups(_cases(filters, key), _units(filters, key), _items(versions), versions, key)


# --- the long table -------------------------------------------------------------------------

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
            .where(*_responses(filters))
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


def long_frame(filters: EffectFilters = EffectFilters()) -> pd.DataFrame:
    """The whole long table as one DataFrame (for tests and small exports)."""
    frames = list(long_frames(filters))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LONG_COLUMNS)


# --- the activity per case --------------------------------------------------------------------

def activity_frame(filters: EffectFilters, found: Lookups | None = None) -> pd.DataFrame:
    """One row per chosen case (whether or not it has answers): held sessions and their
    hours in all and per format. Planned sessions do not count. The instrument filter does
    not apply here."""
    found = found or lookups(filters)
    cases = found.cases
    query = (sa.select(EngagementSession.engagement_id,
                       sa.type_coerce(EngagementSession.format, sa.String),
                       sa.func.count(), sa.func.sum(EngagementSession.hours))
             .where(EngagementSession.status == SessionStatus.HELD)
             .group_by(EngagementSession.engagement_id, EngagementSession.format))
    if filters.cases != Filters():
        query = query.where(EngagementSession.engagement_id.in_(cases_matching(filters.cases)))
    counts = pd.DataFrame(db.session.execute(query).all(),
                          columns=["id", "format", "sessions", "hours"])
    frame = cases[CASE_COLUMNS].copy()
    sessions = {}
    for session_format in SessionFormat:
        chosen = counts[counts["format"] == session_format.value].set_index("id")
        sessions[f"sessions_{session_format.value}"] = (
            chosen["sessions"].reindex(cases.index).fillna(0).astype("int64").to_numpy())
        sessions[f"hours_{session_format.value}"] = (
            chosen["hours"].astype("float64").reindex(cases.index).fillna(0.0).to_numpy())
    frame = frame.assign(**sessions)
    frame["sessions_total"] = sum(sessions[f"sessions_{f.value}"] for f in SessionFormat) \
        if len(frame) else pd.Series(dtype="int64")
    frame["hours_total"] = sum(sessions[f"hours_{f.value}"] for f in SessionFormat) \
        if len(frame) else pd.Series(dtype="float64")
    return frame[ACTIVITY_COLUMNS].reset_index(drop=True)


# --- the variables (fields), the codebook ------------------------------------------------------

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


def activity_fields() -> list[Field]:
    by_name = {f.name: f for f in long_fields([])}
    fields = [by_name[name] for name in CASE_COLUMNS]
    fields += [
        Field("sessions_total", "integer", _("Sessions held"), _(
            "The number of sessions held on the case (planned ones do not count).")),
        Field("hours_total", "number", _("Hours held"), _(
            "The hours of the sessions held on the case.")),
    ]
    for session_format in SessionFormat:
        name = session_format.label
        fields += [
            Field(f"sessions_{session_format.value}", "integer",
                  _("Sessions: %(format)s", format=name),
                  _("The number of sessions held in the format %(format)s.", format=name)),
            Field(f"hours_{session_format.value}", "number",
                  _("Hours: %(format)s", format=name),
                  _("The hours of the sessions held in the format %(format)s.", format=name)),
        ]
    return fields


CODEBOOK_FIELDS_NAMES = ["file", "variable", "type", "label", "description", "allowed_values",
                         "value_labels", "stata_spss_codes"]
ITEM_COLUMNS = ["instrument_version", "instrument_kind", "dimension", "dimension_da",
                "dimension_en", "item", "position", "wording_da", "wording_en",
                "reverse_coded", "scale_min", "scale_max", "anchors_da", "anchors_en",
                "themes"]
SEPARATOR = " | "


def codebook_fields() -> list[Field]:
    return [
        Field("file", "string", _("File"), _("The file the variable is in: data or activity.")),
        Field("variable", "string", _("Variable"), _("The variable's name.")),
        Field("type", "string", _("Type"), _(
            "string, integer, number (with decimals), boolean (true/false) or date.")),
        Field("label", "string", _("Label"), _("A short label (the variable label in Stata "
                                               "and SPSS).")),
        Field("description", "string", _("Description"), _("What the variable holds.")),
        Field("allowed_values", "string", _("Allowed values"), _(
            "The values the variable takes, separated by |; empty for free values.")),
        Field("value_labels", "string", _("Value labels"), _(
            "What each value means (value = label), separated by |.")),
        Field("stata_spss_codes", "string", _("Codes in Stata and SPSS"), _(
            "In the DTA and SAV files coded text variables are numbers labelled with the "
            "codes: number = code, separated by |.")),
    ]


def item_fields() -> list[Field]:
    names = {
        "instrument_version": (_("Instrument and version"), "string"),
        "instrument_kind": (_("Kind of instrument: self_assessment or observation"), "string"),
        "dimension": (_("Dimension code"), "string"),
        "dimension_da": (_("Dimension (Danish)"), "string"),
        "dimension_en": (_("Dimension (English)"), "string"),
        "item": (_("Item code"), "string"),
        "position": (_("Position in the version"), "integer"),
        "wording_da": (_("Wording (Danish)"), "string"),
        "wording_en": (_("Wording (English)"), "string"),
        "reverse_coded": (_("Reverse-coded"), "boolean"),
        "scale_min": (_("Lowest point of the scale"), "integer"),
        "scale_max": (_("Highest point of the scale"), "integer"),
        "anchors_da": (_("Labels of the scale points (Danish)"), "string"),
        "anchors_en": (_("Labels of the scale points (English)"), "string"),
        "themes": (_("Theme codes, separated by ;"), "string"),
    }
    return [Field(name, kind, label, label) for name, (label, kind) in names.items()]


def _variables_rows(file: str, fields: list[Field]) -> list[list]:
    rows = []
    for f in fields:
        allowed = value_labels = codes = ""
        if f.values is not None:
            allowed = SEPARATOR.join(str(code) for code in f.values)
            value_labels = SEPARATOR.join(f"{code} = {label}" for code, label in f.values.items())
            if f.type == "string":
                codes = SEPARATOR.join(f"{number} = {code}"
                                       for number, code in enumerate(f.values, start=1))
        elif f.type == "boolean":
            allowed = "true | false"
            codes = "0 = false | 1 = true"
        rows.append([file, f.name, f.type, f.label, f.description, allowed, value_labels, codes])
    return rows


def variables_frame(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = _variables_rows("data", long_fields(versions)) + \
        _variables_rows("activity", activity_fields())
    return pd.DataFrame(rows, columns=CODEBOOK_FIELDS_NAMES)


def _anchors(version: InstrumentVersion, language: str) -> str:
    anchors = version.anchors or {}
    return SEPARATOR.join(f"{point} = {anchors[str(point)][language]}"
                          for point in range(version.scale_min, version.scale_max + 1)
                          if str(point) in anchors and language in anchors[str(point)])


def items_frame(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = []
    for version in versions:
        dimensions = {d.id: d for d in version.dimensions}
        for item in version.items:
            dimension = dimensions[item.dimension_id]
            rows.append([
                version.label, version.instrument.kind.value, dimension.code, dimension.name_da,
                dimension.name_en, item.code, item.position, item.text_da, item.text_en,
                bool(item.reverse_coded), version.scale_min, version.scale_max,
                _anchors(version, "da"), _anchors(version, "en"),
                ";".join(t.theme.code for t in item.themes)])
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    return frame.astype({"position": "int64", "scale_min": "int64", "scale_max": "int64",
                         "reverse_coded": "bool"})


def codebook_versions(instrument: str | None = None) -> list[InstrumentVersion]:
    return _versions_covered(EffectFilters(instrument=instrument))


# --- the bundle: files and manifest ---------------------------------------------------------------

@lru_cache(maxsize=1)
def software() -> dict:
    """The package version and, in a git checkout, the commit."""
    try:
        version = metadata.version("consultancy")
    except metadata.PackageNotFoundError:
        version = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"name": "consultancy", "version": version, "commit": commit}


def _file_names(fmt: str, stem: str = "") -> dict[str, str]:
    """The names of the files of a download (in the ZIP) or beside FILE (CLI, `stem`)."""
    extension = EXTENSIONS[fmt]
    prefix = f"{stem}_" if stem else ""
    names = {"data": f"{stem or 'effect_data'}.{extension}"}
    if fmt != "xlsx":
        names["activity"] = f"{prefix}activity.{extension}"
    if fmt in CSV_DIALECTS:
        names["codebook"] = f"{prefix}codebook.csv"
        names["items"] = f"{prefix}items.csv"
        names["datapackage"] = "datapackage.json"
    elif fmt != "xlsx":
        names["codebook"] = f"{prefix}codebook.xlsx"
    names["manifest"] = "manifest.json"
    return names


@dataclass
class Export:
    """One export of the effect data: its files (written in this order) and its manifest."""
    fmt: str
    filters: EffectFilters
    names: dict[str, str]
    files: list[BundleFile]
    rows: int
    versions: list[str]
    created_at: datetime

    def manifest(self, written: list[WrittenFile]) -> dict:
        return {
            "export": "effect-data",
            "format": self.fmt,
            "created_at": self.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "filters": self.filters.as_dict(),
            "rows": {"data": self.rows},
            "instrument_versions": self.versions,
            "files": [file.manifest_entry() for file in written],
            "pseudonymised": {
                "variables": PSEUDONYMISED,
                "method": f"HMAC-SHA256 of kind and id, first {DIGITS} hex digits",
                "key_id": key_id(),
                "key_from": key_source(),
                "note": str(_("Files made with the same key id can be linked by these "
                              "variables; the pseudonyms cannot be turned back into ids.")),
            },
            "dropped": [str(reason) for reason in DROPPED],
            "software": software(),
        }


def codebook_sheets(versions: list[InstrumentVersion]
                    ) -> list[tuple[str, list[Field], list[pd.DataFrame]]]:
    """The codebook as (sheet, fields, frames), for `write_xlsx` or a CSV file per sheet:
    every variable (sheet "codebook"), then the items with their wording ("items")."""
    return [("codebook", codebook_fields(), [variables_frame(versions)]),
            ("items", item_fields(), [items_frame(versions)])]


def build_export(fmt: str, filters: EffectFilters, stem: str = "") -> Export:
    """The files of an export in `fmt` (FORMATS), to stream (ZIP) or write; counts the rows
    first (refusing XLSX beyond a worksheet's rows). The answers are read while writing."""
    if fmt not in FORMATS:
        raise ExportError(_("Choose one of the formats %(formats)s.",
                            formats=", ".join(FORMATS)), "format")
    rows = count_rows(filters)
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        raise ExportError(_(
            "%(rows)s rows are more than an Excel worksheet holds. Choose CSV or Parquet, or "
            "narrow the filters.", rows=f"{rows:,}".replace(",", ".")), "format")
    found = lookups(filters)
    names = _file_names(fmt, stem)
    fields = long_fields(found.versions)
    activity = activity_fields()
    versions = [v.label for v in found.versions]
    describe = {"data": _("One row per case, unit, respondent, occasion and item."),
                "activity": _("One row per case: sessions held and hours, per format."),
                "codebook": _("Every variable: type, description, allowed values, labels."),
                "items": _("The items of each instrument version, with their wording."),
                "datapackage": _("Frictionless Data Package: the CSV files' table schemas.")}
    files: list[BundleFile] = []
    if fmt == "xlsx":
        sheets = [("data", fields, long_frames(filters, found)),
                  ("activity", activity, [activity_frame(filters, found)]),
                  *codebook_sheets(found.versions)]
        files.append(BundleFile(names["data"], lambda out: write_xlsx(sheets, out),
                                _("Sheets: data, activity, codebook, items.")))
    else:
        writer = table_writer(fmt)
        files.append(BundleFile(names["data"],
                                lambda out: writer(long_frames(filters, found), fields, out),
                                describe["data"], compress=fmt not in ("parquet",)))
        files.append(BundleFile(names["activity"],
                                lambda out: writer([activity_frame(filters, found)], activity,
                                                   out),
                                describe["activity"], compress=fmt not in ("parquet",)))
        if fmt in CSV_DIALECTS:
            for sheet, sheet_fields, frames in codebook_sheets(found.versions):
                files.append(BundleFile(names[sheet], partial(
                    write_csv, frames, sheet_fields, dialect=fmt), describe[sheet]))
            package = datapackage(fmt, names, fields, activity)
            files.append(BundleFile(names["datapackage"], lambda out: _write_bytes(
                json_bytes(package), out), describe["datapackage"]))
        else:
            sheets = codebook_sheets(found.versions)
            files.append(BundleFile(names["codebook"], lambda out: write_xlsx(sheets, out),
                                    describe["codebook"]))
    return Export(fmt, filters, names, files, rows, versions,
                  utcnow())


def _write_bytes(data: bytes, out):
    out.write(data)
    yield
    return None


def datapackage(fmt: str, names: dict[str, str], fields: list[Field],
                activity: list[Field]) -> dict:
    """A Frictionless Data Package describing the CSV files of a download."""
    dialect = csv_dialect_descriptor(fmt)
    encoding = "utf-8-sig" if CSV_DIALECTS[fmt].bom else "utf-8"

    def resource(name: str, path: str, schema_fields: list[Field], title: str) -> dict:
        return {"name": name, "path": path, "profile": "tabular-data-resource",
                "title": title, "format": "csv", "mediatype": "text/csv",
                "encoding": encoding, "dialect": dialect,
                "schema": datapackage_schema(schema_fields, fmt)}

    return {
        "profile": "tabular-data-package",
        "name": "effect-data",
        "title": str(_("Effect data of the practice consultants' courses")),
        "created": utcnow().isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "resources": [
            resource("data", names["data"], fields, str(_("Answers"))),
            resource("activity", names["activity"], activity, str(_("Activity per case"))),
            resource("codebook", names["codebook"], codebook_fields(), str(_("Codebook"))),
            resource("items", names["items"], item_fields(), str(_("Items"))),
        ],
    }
