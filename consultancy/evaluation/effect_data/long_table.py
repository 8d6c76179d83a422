"""The long table of answers: one row per case × unit × respondent × occasion × item,
read in chunks, and its variables (the fields of the codebook). Its variable names
(`LONG_COLUMNS`) are a contract with the evaluators' scripts."""
from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
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
from consultancy.security.pseudonyms import RESPONDENT_SEPARATOR, pseudonym
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
COPY_BLOCK_BYTES = 1 << 18  # of COPY's text parsed at a time: about 6,000 answers


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


def _raw_schema() -> pa.Schema:
    return pa.schema([("case", pa.int64()), ("unit", pa.int64()),
                      ("respondent_code", pa.string()), ("respondent_role", pa.string()),
                      ("occasion", pa.string()), ("item_id", pa.int64()),
                      ("value", pa.int32()), ("missing_code", pa.string()),
                      ("response_date", pa.string())])


class _CopyStream(io.RawIOBase):
    """The text of a `COPY … TO STDOUT` as a file that pyarrow's CSV reader reads."""

    def __init__(self, copy):
        self.copy = copy
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def empty(self) -> bool:
        """Whether COPY sent nothing (pyarrow refuses an empty file)."""
        if not self.pending:
            self.pending = memoryview(self.copy.read())
        return not self.pending

    def readinto(self, buffer) -> int:
        if not self.pending:
            self.pending = memoryview(self.copy.read())
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _copied(query: sa.Select) -> Iterator[pa.RecordBatch]:
    """The rows of `query` on PostgreSQL: `COPY (query) TO STDOUT` in CSV, parsed by
    pyarrow into batches of typed columns as it arrives (no Python object per row)."""
    connection = db.session.connection()
    compiled = query.compile(dialect=connection.dialect,
                             compile_kwargs={"render_postcompile": True})
    schema = _raw_schema()
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
            f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy:
        stream = _CopyStream(copy)
        if stream.empty():
            return
        reader = pa_csv.open_csv(
            io.BufferedReader(stream, COPY_BLOCK_BYTES),
            read_options=pa_csv.ReadOptions(column_names=RAW_COLUMNS, use_threads=False,
                                            block_size=COPY_BLOCK_BYTES),
            convert_options=pa_csv.ConvertOptions(
                column_types=schema, strings_can_be_null=True,
                quoted_strings_can_be_null=False))
        yield from reader


def _fetched(query: sa.Select, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """The rows of `query` elsewhere (SQLite): read in chunks through Core."""
    schema = _raw_schema()
    result = db.session.connection().execute(query.execution_options(yield_per=chunk_rows))
    try:
        for rows in result.partitions():
            yield pa.RecordBatch.from_arrays(
                [pa.array(column, type=field.type) for column, field in zip(zip(*rows), schema)],
                schema=schema)
    finally:
        result.close()


class _Coded:
    """A small table's column ready to be joined to the answers by position: its distinct
    values (`dictionary`) and each row's index into them (or -1, missing)."""

    def __init__(self, column: pd.Series, arrow_type=None):
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
        self.codes = codes.astype("int32")
        self.dictionary = pa.array(list(distinct), type=arrow_type)
        self.plain = arrow_type is not None  # numbers and booleans: their values, not codes

    def at(self, positions: np.ndarray) -> pa.Array:
        codes = self.codes[positions]
        indices = pa.array(codes, mask=codes < 0)
        if self.plain:
            return self.dictionary.take(indices)
        return pa.DictionaryArray.from_arrays(indices, self.dictionary)


class _Table:
    """A small table (cases, units or items) keyed by database id, its columns coded."""

    def __init__(self, frame: pd.DataFrame, types: dict):
        ids = frame.index.to_numpy(dtype="int64")
        self.position = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype="int64")
        self.position[ids] = np.arange(len(ids))
        self.columns = {name: _Coded(frame[name], types.get(name)) for name in frame.columns}

    def positions(self, ids: pa.Array) -> np.ndarray:
        return self.position[ids.to_numpy(zero_copy_only=False)]


class _Respondents:
    """Respondent pseudonyms from (case id, respondent code), each computed once."""

    def __init__(self, key: bytes):
        self.key = key
        self.known: dict[str, str] = {}

    def __call__(self, cases: pa.Array, codes: pa.Array) -> pa.DictionaryArray:
        values = pc.dictionary_encode(pc.binary_join_element_wise(
            pc.cast(cases, pa.string()), codes, RESPONDENT_SEPARATOR))
        names = [self.known.get(value) or self.known.setdefault(
            value, pseudonym("respondent", value, self.key))
            for value in values.dictionary.to_pylist()]
        return pa.DictionaryArray.from_arrays(values.indices, pa.array(names, pa.string()))


class _Joiner:
    """Turns batches of raw answers into batches of the long table: the small tables'
    columns joined by position as dictionary-encoded (or plain) Arrow columns."""

    def __init__(self, found: Lookups):
        self.cases = _Table(found.cases, {"municipality_code": pa.int32()})
        self.units = _Table(found.units, {})
        self.items = _Table(found.items, {"reverse_coded": pa.bool_(), "scale_min": pa.int32(),
                                          "scale_max": pa.int32()})
        self.respondents = _Respondents(found.key)

    def __call__(self, raw: pa.RecordBatch) -> pa.RecordBatch:
        at = {"case": self.cases.positions(raw.column("case")),
              "unit": self.units.positions(raw.column("unit")),
              "item": self.items.positions(raw.column("item_id"))}
        tables = {"case": self.cases, "unit": self.units, "item": self.items}
        columns = {}
        for name, table in (("engagement_id", "case"), ("engagement_type", "case"),
                            ("round", "case"), ("municipality_code", "case"),
                            ("unit_id", "unit"), ("unit_kind", "unit"),
                            ("unit_ownership", "unit"), ("dimension", "item"), ("item", "item"),
                            ("reverse_coded", "item"), ("scale_min", "item"),
                            ("scale_max", "item"), ("instrument_version", "item")):
            columns[name] = tables[table].columns[name].at(at[table])
        columns["respondent_id"] = self.respondents(raw.column("case"),
                                                    raw.column("respondent_code"))
        for name in ("respondent_role", "occasion", "missing_code"):
            columns[name] = pc.dictionary_encode(raw.column(name))
        columns["value"] = raw.column("value")
        columns["response_date"] = raw.column("response_date")
        return pa.RecordBatch.from_arrays([columns[name] for name in LONG_COLUMNS],
                                          names=LONG_COLUMNS)


def long_batches(filters: EffectFilters, found: Lookups | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    """The long table in Arrow batches (of about `chunk_rows` rows), ordered by case, unit,
    respondent, occasion and item (ordered by their database ids, which do not appear).
    Pseudonyms and the small tables' text are dictionary-encoded: each distinct value is
    held once per batch. On PostgreSQL the answers come by `COPY … TO STDOUT`."""
    # Arrow's own allocator (mimalloc) keeps what a batch frees for the next: over a
    # million rows, tens of MB more at the peak than the system's allocator.
    pa.set_memory_pool(pa.system_memory_pool())
    found = found or lookups(filters)
    join = _Joiner(found)
    query = _answers_query(filters)
    raw = _copied(query) if db.session.connection().dialect.name == "postgresql" \
        else _fetched(query, chunk_rows)
    for batch in raw:
        yield join(batch)


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
