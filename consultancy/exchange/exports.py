"""Tables written for spreadsheets and statistics programs, safe to open in Excel.

Every export goes through this module's writers: text that a spreadsheet would run as a
formula (OWASP "CSV injection") gets a leading quote; numbers are written as numbers. The
writers take a table in chunks and stream it (the effect data for evaluators, bundled with
a manifest); `write_table` hands them a small table whole (the staff's exports).

Every CSV file is UTF-8 with a header row and CRLF line ends, in one of three dialects
(`CSV_DIALECTS`), chosen by who opens the file:

- "csv-excel", the staff's tables (applications and rounds, sessions, self-assessments,
  effect summaries): commas and decimal points, which every program reads, and a byte
  order mark, without which Excel takes UTF-8 for its own code page and garbles æøå;
- "csv", effect data for R, Python, Stata and SPSS: no byte order mark, which R would
  read into the name of the first column;
- "csv-excel-da", effect data for Excel with Danish settings: semicolons and decimal
  commas, as Danish Excel splits and reads numbers, and the byte order mark.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
import mmap
import numbers
import os
import tempfile
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO, Literal, NamedTuple

import numpy as np
import pandas as pd

FORMULA_STARTS = frozenset("=+-@")
CONTROL_STARTS = frozenset("\t\r")
MAX_WIDTH = 60  # of a column in a workbook, in characters
WIDTH_SAMPLE = 1000  # the rows a column's width is taken from
# The formats of `write_table`.
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value):
    """Text that would start a formula, prefixed with `'`; anything else unchanged."""
    if isinstance(value, str) and (value[:1] in CONTROL_STARTS
                                   or value.lstrip()[:1] in FORMULA_STARTS):
        return "'" + value
    return value


def _text_columns(frame: pd.DataFrame) -> list:
    return [column for column in frame.columns
            if pd.api.types.is_object_dtype(frame[column])
            or pd.api.types.is_string_dtype(frame[column])]


def write_table(frame: pd.DataFrame, fmt: Literal["csv", "xlsx"], sheet: str = "data") -> bytes:
    """A small table, whole, as CSV ("csv-excel") or as XLSX (one sheet, header frozen)."""
    fields = [Field(str(column), _field_type(frame[column])) for column in frame.columns]
    buffer = io.BytesIO()
    if fmt == "csv":
        drain(write_csv([frame], fields, buffer, dialect="csv-excel"))
    elif fmt == "xlsx":
        drain(write_xlsx([(sheet, fields, [frame])], buffer))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def _field_type(column: pd.Series) -> str:
    """The Table Schema type of a column, from its dtype; dates stay objects (strings)."""
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_float_dtype(column):
        return "number"
    return "string"


def download(frame: pd.DataFrame, fmt: Literal["csv", "xlsx"], name: str, sheet: str = "data"):
    """A table as a file download (`name` without extension)."""
    from flask import current_app

    response = current_app.response_class(write_table(frame, fmt, sheet=sheet),
                                          mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- large exports: streamed in chunks, several formats, bundled with a manifest ------------
#
# The writers below take the table as an iterable of DataFrame chunks and its `fields`
# (name, type, label, coded values), write to a binary file object, and are generators:
# they yield after each chunk, so a caller can pass the bytes on (a streamed HTTP
# response) before the next chunk is read, and they return the number of rows written.
# `drain` runs one to the end for a file on disk. Text cells are neutralised in every
# format, as in `write_table`.

# The formats of the writers below.
FORMAT_MIMETYPES = {
    **MIMETYPES,
    "csv-excel-da": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "json": "application/json",
    "zip": "application/zip",
}
EXTENSIONS = {"csv": "csv", "csv-excel-da": "csv", "xlsx": "xlsx", "parquet": "parquet",
              "dta": "dta", "sav": "sav", "json": "json"}
WORKSHEET_MAX_ROWS = 1_048_576 - 1  # a worksheet's rows, less the header
Writing = Generator[None, None, int]
# A chunk of a table: a pandas DataFrame, or an Arrow RecordBatch (the long table).
Chunk = object


class CsvDialect(NamedTuple):
    separator: str
    decimal: str
    bom: bool


# Which is for whom, and why: the module's docstring.
CSV_DIALECTS = {
    "csv-excel": CsvDialect(",", ".", True),
    "csv": CsvDialect(",", ".", False),
    "csv-excel-da": CsvDialect(";", ",", True),
}


@dataclass(frozen=True)
class Field:
    """A column of an export: its `type` is a Frictionless Table Schema type (string,
    integer, number, boolean, date); `values` the allowed codes with their labels, for a
    coded column (value labels in Stata and SPSS, categories in datapackage.json)."""
    name: str
    type: str
    label: str = ""
    description: str = ""
    values: dict | None = None


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell neutralised; looks at each distinct value once."""
    changed = {}
    for column in _text_columns(frame):
        distinct = pd.unique(frame[column].dropna())
        replace = {value: neutralise(value) for value in distinct
                   if isinstance(value, str) and neutralise(value) != value}
        if replace:
            changed[column] = frame[column].replace(replace)
    return frame.assign(**changed) if changed else frame


def drain(writing: Writing) -> int:
    """Run a writer to its end; its row count."""
    while True:
        try:
            next(writing)
        except StopIteration as done:
            return done.value


class _WriteOnlyFile:
    """What writers (csv, ZipFile, pyarrow, pyreadstat's copy) ask of a binary file that is
    only written to, front to back; subclasses say where the bytes go (`_take`)."""

    def __init__(self):
        self.size = 0
        self.closed = False

    def _take(self, data: bytes) -> None:
        raise NotImplementedError

    def write(self, data) -> int:
        data = bytes(data)
        self._take(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        return None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


class Digest(_WriteOnlyFile):
    """Passes writes on to `out` while counting and hashing them."""

    def __init__(self, out: BinaryIO):
        super().__init__()
        self.out = out
        self.sha256 = hashlib.sha256()

    def _take(self, data: bytes) -> None:
        self.out.write(data)
        self.sha256.update(data)


def _csv_cells(frame: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """Booleans as true/false (as in the codebook), the rest as they are."""
    booleans = {f.name: frame[f.name].map({True: "true", False: "false"})
                for f in fields if f.type == "boolean"}
    return frame.assign(**booleans) if booleans else frame


def write_csv(frames: Iterable[Chunk], fields: list[Field], out: BinaryIO,
              dialect: str = "csv") -> Writing:
    """A CSV file in `dialect` (CSV_DIALECTS), header first; empty cells are missing."""
    separator, decimal, bom = CSV_DIALECTS[dialect]
    names = [f.name for f in fields]
    header = separator.join(neutralise(name) for name in names) + "\r\n"
    out.write((("\ufeff" if bom else "") + header).encode("utf-8"))
    rows = 0
    for frame in frames:
        if isinstance(frame, pd.DataFrame):
            frame = _csv_cells(neutralise_frame(frame[names]), fields)
            out.write(frame.to_csv(index=False, header=False, sep=separator, decimal=decimal,
                                   lineterminator="\r\n").encode("utf-8"))
        else:
            out.write(_arrow_csv(frame, names, separator))
        rows += len(frame)
        yield
    return rows


def _csv_text(value: str, separator: str, alone: bool) -> str:
    """A text cell as pandas (Python's csv module) writes it: quoted where it holds the
    separator, a quote or a line break, or where it is the row's only cell and empty."""
    if any(special in value for special in (separator, '"', "\r", "\n")) or (alone and not value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _arrow_csv(batch, names: list[str], separator: str):
    """An Arrow batch as CSV lines, byte for byte as `DataFrame.to_csv` writes the same
    table: text looked at once per distinct value (neutralised, quoted where needed),
    numbers as digits, booleans as true/false, missing as empty; the lines joined by
    pyarrow's compute kernels, with no Python object per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    alone = len(names) == 1
    cells = []
    for name in names:
        column = batch.column(name)
        if pa.types.is_boolean(column.type):
            column = pc.if_else(column, "true", "false")
        elif _is_text(column):
            column = _neutralised(column, lambda value: _csv_text(value, separator, alone))
            column = column.dictionary.take(column.indices)
        else:
            column = pc.cast(column, pa.string())
        cells.append(column.fill_null('""' if alone else ""))
    lines = pc.binary_join_element_wise(*cells, separator)
    lines = pc.binary_join_element_wise(lines, "", "\r\n")
    whole = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()),
                                                    lines), "")
    return whole[0].as_buffer() if len(lines) else b""


def _is_text(column) -> bool:
    import pyarrow as pa

    return (pa.types.is_dictionary(column.type) or pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type))


def _neutralised(column, render: Callable[[str], str] = str):
    """A text column (Arrow, plain or dictionary-encoded) dictionary-encoded, each distinct
    value neutralised (and rendered by `render`) once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    values = [render(neutralise(value)) for value in encoded.dictionary.to_pylist()]
    return pa.DictionaryArray.from_arrays(encoded.indices, pa.array(values, pa.string()))


def plain_frame(chunk, names: list[str]) -> pd.DataFrame:
    """A chunk as a pandas DataFrame of plain columns (Arrow: text as str, whole numbers
    as Int64, booleans as boolean), for the writers that go row by row."""
    if isinstance(chunk, pd.DataFrame):
        return chunk[names]
    import pyarrow as pa

    plain = {pa.int8(): pd.Int64Dtype(), pa.int16(): pd.Int64Dtype(),
             pa.int32(): pd.Int64Dtype(), pa.int64(): pd.Int64Dtype(),
             pa.bool_(): pd.BooleanDtype()}
    columns = [chunk.column(name) for name in names]
    columns = [column.dictionary.take(column.indices)
               if pa.types.is_dictionary(column.type) else column for column in columns]
    return pa.Table.from_arrays(columns, names=names).to_pandas(types_mapper=plain.get)


def write_json(frames: Iterable[Chunk], fields: list[Field], out: BinaryIO) -> Writing:
    """A JSON array of one object per row; missing values are null."""
    names = [f.name for f in fields]
    out.write(b"[")
    rows = 0
    for frame in frames:
        if len(frame) == 0:
            continue
        text = neutralise_frame(plain_frame(frame, names)).to_json(orient="records",
                                                              force_ascii=False)
        out.write(((",\n" if rows else "\n") + text[1:-1]).encode("utf-8"))
        rows += len(frame)
        yield
    out.write(b"\n]\n")
    return rows


def _typed(frame: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """Dates from their ISO text to datetimes, for formats with a date type."""
    dates = {f.name: pd.to_datetime(frame[f.name], format="%Y-%m-%d")
             for f in fields if f.type == "date"}
    return frame.assign(**dates) if dates else frame


PARQUET_GROUP_ROWS = 50_000
ARROW_TYPES = {"string": "string", "integer": "int32", "number": "float64",
               "boolean": "bool_", "date": "date32"}


def arrow_schema(fields: list[Field]):
    import pyarrow as pa

    return pa.schema([
        pa.field(f.name, getattr(pa, ARROW_TYPES[f.type])(), nullable=True,
                 metadata={"label": f.label, "description": f.description})
        for f in fields])


def write_parquet(frames: Iterable[Chunk], fields: list[Field], out: BinaryIO) -> Writing:
    """A Parquet file (zstd), a row group per PARQUET_GROUP_ROWS rows or more (whole
    chunks); the labels in the field metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(fields)
    names = [f.name for f in fields]
    rows, pending = 0, []
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for frame in frames:
            if isinstance(frame, pd.DataFrame):
                frame = _typed(neutralise_frame(frame[names]), fields)
                table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            else:
                table = pa.Table.from_arrays([_arrow_column(frame.column(field.name), field)
                                              for field in schema], schema=schema)
            pending.append(table)
            if sum(len(part) for part in pending) >= PARQUET_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending))
                pending.clear()
            rows += len(frame)
            yield
        if pending:
            writer.write_table(pa.concat_tables(pending))
    return rows


def _arrow_column(column, field):
    """An Arrow column as `field` (of `arrow_schema`) types it: text neutralised."""
    import pyarrow.compute as pc

    if _is_text(column):
        column = _neutralised(column)
    return pc.cast(column, field.type)


def _xlsx_columns(frame: Chunk, fields: list[Field]) -> list[list]:
    """A chunk's columns as lists of cells for `write_xlsx`: text neutralised, dates as
    dates, missing as None."""
    frame = neutralise_frame(plain_frame(frame, [f.name for f in fields]))
    dates = [f.name for f in fields if f.type == "date"]
    if dates:
        frame = frame.assign(**{name: pd.to_datetime(frame[name], format="%Y-%m-%d").dt.date
                                for name in dates})
    return [frame[f.name].astype(object).where(frame[f.name].notna(), None).tolist()
            for f in fields]


XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_TIME_FORMAT = "yyyy-mm-dd h:mm:ss"


def _xlsx_cell(worksheet, dated, timed, row: int, column: int, value, _style) -> None:
    """A cell of a text column, written as its value's type."""
    if isinstance(value, str):
        worksheet.write_string(row, column, value)
    elif isinstance(value, datetime.datetime):
        worksheet.write_datetime(row, column, value, timed)
    elif isinstance(value, datetime.date):
        worksheet.write_datetime(row, column, value, dated)
    elif isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, numbers.Number):
        worksheet.write_number(row, column, value)
    else:
        worksheet.write_string(row, column, str(value))


def write_xlsx(sheets: list[tuple[str, list[Field], Iterable[Chunk]]],
               out: BinaryIO) -> Generator[None, None, dict[str, int]]:
    """A workbook with a sheet per (name, fields, frames), written row by row by
    xlsxwriter in its constant-memory mode (each row goes to a temporary file as soon as
    the next begins); header row bold and frozen, each column as wide as its name and the
    values of the first rows. Returns rows per sheet."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    dated = workbook.add_format({"num_format": XLSX_DATE_FORMAT})
    timed = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
    counts = {}
    for name, fields, frames in sheets:
        worksheet = workbook.add_worksheet(name)
        worksheet.freeze_panes(1, 0)
        first, chunks = _peek(frames)
        # Measured on the first rows: the widths are written before the rows.
        sample = None if first is None else neutralise_frame(
            plain_frame(first[:WIDTH_SAMPLE], [f.name for f in fields]))
        for index, f in enumerate(fields):
            values = [] if sample is None else sample[f.name].dropna().astype(str)
            longest = max([len(neutralise(f.name)), *(len(value) for value in values)])
            worksheet.set_column(index, index, min(max(longest, 8) + 2, MAX_WIDTH))
        for index, f in enumerate(fields):
            worksheet.write_string(0, index, neutralise(f.name), bold)
        # Each column's cells by their type: text as text, never as a formula or a link.
        typed = [(worksheet.write_datetime, dated) if f.type == "date"
                 else (worksheet.write_boolean, None) if f.type == "boolean"
                 else (worksheet.write_number, None) if f.type in ("integer", "number")
                 else (worksheet.write_string, None) for f in fields]
        # A DataFrame's text columns may hold dates, times or numbers too (the staff's
        # tables): each cell by its value's type.
        loose = [(partial(_xlsx_cell, worksheet, dated, timed), None)
                 if f.type == "string" else cell for f, cell in zip(fields, typed)]
        rows = 0
        for frame in chunks:
            if rows + len(frame) > WORKSHEET_MAX_ROWS:
                raise ValueError(f"sheet {name} has more rows than a worksheet holds")
            cells = loose if isinstance(frame, pd.DataFrame) else typed
            for row, values in enumerate(zip(*_xlsx_columns(frame, fields)), start=rows + 1):
                for column, (value, (write, style)) in enumerate(zip(values, cells)):
                    if value is not None:
                        write(row, column, value, style)
            rows += len(frame)
            yield
        counts[name] = rows
    workbook.close()
    return counts


def _value_labels(fields: list[Field]) -> dict:
    """The value labels of Stata and SPSS: coded text as numbers 1, 2, … labelled with
    their codes, booleans as 0/1, coded numbers with their labels."""
    labels = {}
    for f in fields:
        if f.type == "boolean":
            labels[f.name] = {0: "false", 1: "true"}
        elif f.values is not None and f.type == "string":
            labels[f.name] = {number: str(code) for number, code in enumerate(f.values, start=1)}
        elif f.values is not None:
            labels[f.name] = {int(code): str(label) for code, label in f.values.items()}
    return labels


def _encoded(frame: pd.DataFrame, fields: list[Field]) -> tuple[pd.DataFrame, dict]:
    """Coded text columns as numbers 1, 2, … in the order of their values (booleans 0/1),
    each number labelled with its code, so that Stata and SPSS show (and pandas reads
    back) the same codes as the CSV; coded numbers keep their value and get labels."""
    frame = _typed(frame, fields)
    columns = {}
    for f in fields:
        column = frame[f.name]
        if f.type == "boolean":
            columns[f.name] = column.map({False: 0, True: 1}).astype("float64")
        elif f.values is not None and f.type == "string":
            codes = pd.Categorical(column, categories=list(f.values)).codes
            unknown = (codes == -1) & column.notna().to_numpy()
            if unknown.any():
                raise ValueError(f"{f.name}: values without a code: "
                                 f"{sorted(set(column[unknown]))}")
            columns[f.name] = np.where(codes == -1, np.nan, codes + 1.0)
        if f.type in ("integer", "number") and f.name not in columns:
            columns[f.name] = column.astype("float64")  # missing as Stata's . / SPSS sysmis
    return frame.assign(**columns), _value_labels(fields)


def _small_numbers(frame: pd.DataFrame, fields: list[Field]) -> dict:
    """The narrowest Stata integer type for each whole-number column."""
    types = {}
    for f in fields:
        if f.type in ("integer", "boolean") or (f.values is not None and f.type == "string"):
            top = frame[f.name].abs().max()
            types[f.name] = "int8" if pd.isna(top) or top < 100 else \
                "int16" if top < 32_000 else "int32"
    return types


def write_stata(frames: Iterable[Chunk], fields: list[Field], out: BinaryIO) -> Writing:
    """A Stata 14+ file (version 118, Unicode) with variable labels and value labels,
    written by pandas into a temporary file (the writer goes back to fill in its map), then
    copied to `out`. pandas chunks are gathered and written whole; Arrow chunks are
    gathered compactly (`_Gathered`) and their rows written a slice at a time."""
    first, frames = _peek(frames)
    options = dict(write_index=False, version=118,
                   convert_dates={f.name: "td" for f in fields if f.type == "date"},
                   variable_labels={f.name: f.label[:80] for f in fields},
                   value_labels=_value_labels(fields))
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "data.dta")
        if first is not None and not isinstance(first, pd.DataFrame):
            gathered = _Gathered(fields, frames)
            rows = gathered.rows
            gathered.write_stata(path, options)
        else:
            frame, _labels = _gathered_encoded(frames, fields)
            integers = _small_numbers(frame, fields)
            frame = frame.astype({name: kind for name, kind in integers.items()
                                  if frame[name].notna().all()})
            strings = {f.name: frame[f.name].astype(object).where(frame[f.name].notna(), "")
                       for f in fields if f.type == "string" and f.values is None}
            frame = frame.assign(**strings)
            rows = len(frame)
            frame.to_stata(path, **options)
        yield from _copy(path, out)
    return rows


def _peek(chunks: Iterable[Chunk]) -> tuple[Chunk | None, Iterator[Chunk]]:
    """The first chunk (None: there is none), and all of them."""
    chunks = iter(chunks)
    first = next(chunks, None)
    return first, itertools.chain([first], chunks) if first is not None else chunks


def _copy(path: str, out: BinaryIO) -> Iterator[None]:
    with open(path, "rb") as written:
        while block := written.read(1 << 20):
            out.write(block)
            yield


def write_sav(frames: Iterable[Chunk], fields: list[Field], out: BinaryIO) -> Writing:
    """An SPSS file with variable labels, value labels and measurement levels. pyreadstat
    writes to a path: the file is made in a temporary directory and copied to `out`.
    Arrow chunks are gathered compactly (`_Gathered`) and handed over as they are held."""
    import pyreadstat

    first, frames = _peek(frames)
    if first is not None and not isinstance(first, pd.DataFrame):
        frame = _Gathered(fields, frames).sav_frame()
    else:
        frame, _labels = _gathered_encoded(frames, fields)
        frame = frame.assign(**{f.name: frame[f.name].astype(object)
                                for f in fields if f.type == "string" and f.values is None})
    value_labels = _value_labels(fields)
    measure = {f.name: "nominal" if f.name in value_labels or f.type == "string"
               else "scale" for f in fields}
    formats = {f.name: SAV_DATE_FORMAT if f.type == "date" else SAV_NUMBER_FORMAT
               for f in fields if f.type == "date" or pd.api.types.is_integer_dtype(frame[f.name])}
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "data.sav")
        pyreadstat.write_sav(frame, path, column_labels={f.name: f.label for f in fields},
                             variable_value_labels=value_labels, variable_measure=measure,
                             variable_format=formats)
        yield from _copy(path, out)
    return len(frame)


def _gathered_encoded(frames: Iterable[pd.DataFrame], fields: list[Field]
                      ) -> tuple[pd.DataFrame, dict]:
    """The chunks neutralised and coded (`_encoded`) one by one, then put together: coded
    as numbers before they are gathered, a million rows take a third of the memory."""
    names = [f.name for f in fields]
    parts, value_labels = [], {}
    for chunk in frames:
        part, value_labels = _encoded(neutralise_frame(chunk[names]), fields)
        parts.append(part)
    if not parts:
        return _encoded(pd.DataFrame({name: pd.Series(dtype=object) for name in names}), fields)
    return pd.concat(parts, ignore_index=True), value_labels


SPSS_EPOCH_SECONDS = 12_219_379_200  # from 1582-10-14 to 1970-01-01
SAV_DATE_FORMAT = "DATETIME20"
SAV_NUMBER_FORMAT = "F8.2"  # pyreadstat's for a float column; an integer one would get F8.0
MISSING_INTEGER = np.iinfo(np.int32).min  # a missing whole number or date, gathered
STATA_SLICE_ROWS = 50_000


GATHER_BLOCK_ROWS = 1 << 17


def _compact_dtype(f: Field) -> str:
    """How `_Gathered` holds a field's values."""
    if f.type == "string" and f.values is not None:
        return "int8" if len(f.values) < 127 else "int16"
    if f.type == "string":
        return "int32"
    return {"boolean": "int8", "number": "float64"}.get(f.type, "int32")


def _mapped(rows: int, dtype: str) -> np.ndarray:
    """An array in memory of its own (an anonymous memory map), given back to the system
    when it is let go of: malloc would place it in the heap among the small objects
    allocated meanwhile, where freed it stays part of the process."""
    dtype = np.dtype(dtype)
    if rows == 0:
        return np.empty(0, dtype)
    return np.frombuffer(mmap.mmap(-1, rows * dtype.itemsize), dtype)


class _Growing:
    """A column gathered in blocks of GATHER_BLOCK_ROWS values, each in memory of its own
    (`_mapped`)."""

    def __init__(self, dtype: str):
        self.dtype = dtype
        self.blocks: list[np.ndarray] = []
        self.used = GATHER_BLOCK_ROWS  # of the last block

    def extend(self, values: np.ndarray) -> None:
        start = 0
        while start < len(values):
            if self.used == GATHER_BLOCK_ROWS:
                self.blocks.append(_mapped(GATHER_BLOCK_ROWS, self.dtype))
                self.used = 0
            taken = min(len(values) - start, GATHER_BLOCK_ROWS - self.used)
            self.blocks[-1][self.used:self.used + taken] = values[start:start + taken]
            self.used += taken
            start += taken

    def array(self) -> np.ndarray:
        """The values in one array; the blocks are let go of one by one."""
        rows = (len(self.blocks) - 1) * GATHER_BLOCK_ROWS + self.used if self.blocks else 0
        whole = _mapped(rows, self.dtype)
        self.blocks.reverse()
        position = 0
        while self.blocks:
            block = self.blocks.pop()
            part = block if self.blocks else block[:self.used]
            whole[position:position + len(part)] = part
            position += len(part)
        return whole


class _Gathered:
    """Arrow chunks of a table gathered for the writers that take it whole (Stata, SPSS),
    in as little memory as the values allow, coded as `_encoded` codes them: coded text
    as its number (int8 or int16, 0: missing), other text as an index into its distinct
    values (int32, -1: missing; each value held once, neutralised), booleans as 0/1 (int8,
    -1: missing), whole numbers and dates (days) as int32, other numbers as float64."""

    def __init__(self, fields: list[Field], batches: Iterable):
        self.fields = fields
        self.texts: dict[str, dict[str, int]] = {}
        growing = {f.name: _Growing(_compact_dtype(f)) for f in fields}
        for batch in batches:
            for f in fields:
                growing[f.name].extend(self._compact(batch.column(f.name), f))
        self.columns = {name: growing.pop(name).array() for name in list(growing)}
        self.rows = len(self.columns[fields[0].name]) if fields else 0
        self.values = {name: np.array(list(texts), dtype=object)
                       for name, texts in self.texts.items()}

    def _compact(self, column, f: Field) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        if f.type == "date":
            return pc.fill_null(column.cast(pa.date32()).cast(pa.int32()),
                                MISSING_INTEGER).to_numpy()
        if f.type == "boolean":
            return pc.fill_null(column.cast(pa.int8()), -1).to_numpy()
        if f.type == "integer":
            return pc.fill_null(column.cast(pa.int32()), MISSING_INTEGER).to_numpy()
        if f.type == "number":
            return pc.fill_null(column.cast(pa.float64()), np.nan).to_numpy()
        column = _neutralised(column)
        if f.values is not None:
            numbers = {code: number for number, code in enumerate(f.values, start=1)}
            unknown = sorted(set(column.dictionary.to_pylist()) - set(numbers))
            if unknown:
                raise ValueError(f"{f.name}: values without a code: {unknown}")
            coded = pa.array([numbers[value] for value in column.dictionary.to_pylist()],
                             pa.from_numpy_dtype(np.dtype(_compact_dtype(f))))
            return pc.fill_null(coded.take(column.indices), 0).to_numpy()
        known = self.texts.setdefault(f.name, {})
        indices = pa.array([known.setdefault(value, len(known))
                            for value in column.dictionary.to_pylist()], pa.int32())
        return pc.fill_null(indices.take(column.indices), -1).to_numpy()

    def _missing(self, f: Field, values: np.ndarray) -> np.ndarray:
        if f.type in ("integer", "date"):
            return values == MISSING_INTEGER
        if f.type == "boolean" or (f.values is None and f.type == "string"):
            return values == -1
        if f.type == "string":
            return values == 0
        return np.isnan(values)

    def _texts(self, name: str, indices: np.ndarray, missing) -> pd.Series:
        """Text as objects, each distinct value one object that every row refers to."""
        texts = np.append(self.values[name], missing)[indices]  # index -1: `missing`
        return pd.Series(texts, dtype=object, copy=False)  # not inferred as str

    def _numbers(self, f: Field, values: np.ndarray, dtype) -> np.ndarray:
        """Numbers (and codes) as `dtype`, missing as NaN."""
        numbers = values.astype(dtype)
        numbers[self._missing(f, values)] = np.nan
        return numbers

    def _dates(self, f: Field, values: np.ndarray) -> np.ndarray:
        dates = (values.astype("int64") * 86_400_000_000).view("datetime64[us]")
        dates[self._missing(f, values)] = np.datetime64("NaT")
        return dates

    def sav_frame(self) -> pd.DataFrame:
        """For pyreadstat: codes, booleans and whole numbers as the integers they are
        gathered in (missing values masked: pandas' nullable integers), which pyreadstat
        writes as it writes the same numbers as floats, if told their format
        (SAV_NUMBER_FORMAT); other numbers float64; text as objects (one per distinct value;
        pyreadstat copies categoricals), dates as SPSS's seconds since 1582-10-14
        (SAV_DATE_FORMAT, as pyreadstat writes a datetime column; given as datetimes,
        pyreadstat would copy the whole frame to convert them)."""
        columns = {}
        for f in self.fields:
            values = self.columns.pop(f.name)
            if f.type == "date":
                columns[f.name] = self._numbers(f, values, "float64") * 86_400 \
                    + SPSS_EPOCH_SECONDS
            elif f.values is None and f.type == "string":
                columns[f.name] = self._texts(f.name, values, missing=np.nan)
            elif f.type == "number":
                columns[f.name] = values
            else:
                missing = self._missing(f, values)
                columns[f.name] = pd.arrays.IntegerArray(values, missing) \
                    if missing.any() else values
        return pd.DataFrame(columns, copy=False)

    def _stata_types(self) -> dict:
        """Each numeric column's type as the whole-frame path gives it: the narrowest
        integer (`_small_numbers`) where nothing is missing, float64 otherwise."""
        types = {}
        for f in self.fields:
            values = self.columns[f.name]
            if f.type == "date" or (f.type == "string" and f.values is None):
                continue
            missing = self._missing(f, values)
            if f.type == "number" or missing.any():
                types[f.name] = "float64"
            else:
                top = np.abs(values.astype("int64")).max(initial=0)
                types[f.name] = "int8" if top < 100 else "int16" if top < 32_000 else "int32"
        return types

    def _stata_slice(self, rows: slice, types: dict) -> pd.DataFrame:
        columns = {}
        for f in self.fields:
            values = self.columns[f.name][rows]
            if f.type == "date":
                columns[f.name] = self._dates(f, values)
            elif f.type == "string" and f.values is None:
                columns[f.name] = self._texts(f.name, values, missing="")
            elif types[f.name] == "float64":
                columns[f.name] = self._numbers(f, values, "float64")
            else:
                columns[f.name] = values.astype(types[f.name])
        return pd.DataFrame(columns, copy=False)

    def _text_widths(self) -> dict[str, int]:
        """Each text column's width in bytes (UTF-8), over the values it holds."""
        widths = {}
        for name, values in self.values.items():
            used = np.unique(self.columns[name])
            widths[name] = max([len(values[index].encode("utf-8"))
                                for index in used[used >= 0]], default=0)
        return widths

    def write_stata(self, path: str, options: dict) -> None:
        """The rows a slice at a time through pandas' own writer: the file's header comes
        from the first slice (with the whole table's row count and text widths), each
        slice's rows are prepared by a writer of their own."""
        from pandas.io.stata import StataWriterUTF8

        types = self._stata_types()
        slices = [slice(start, start + STATA_SLICE_ROWS)
                  for start in range(0, self.rows, STATA_SLICE_ROWS)] or [slice(0, 0)]
        gathered = self

        class SlicedWriter(StataWriterUTF8):
            def _prepare_data(self):
                return None

            def _write_data(self, records) -> None:
                self._update_map("data")
                self._write_bytes(b"<data>")
                for rows in slices:
                    part = StataWriterUTF8(io.BytesIO(), gathered._stata_slice(rows, types),
                                           **options)
                    part.typlist = self.typlist
                    part.fmtlist = self.fmtlist
                    self._write_bytes(part._prepare_data().tobytes())
                self._write_bytes(b"</data>")

        writer = SlicedWriter(path, self._stata_slice(slices[0], types), **options)
        writer.nobs = self.rows
        widths = self._text_widths()
        for index, name in enumerate(writer.varlist):
            if name in widths:
                writer.typlist[index] = max(widths[name], 1)
                writer.fmtlist[index] = f"%{max(widths[name], 1)}s"
        writer.write_file()


def table_writer(fmt: str) -> Callable[[Iterable[Chunk], list[Field], BinaryIO], Writing]:
    """The writer of one table in `fmt` (not xlsx, which writes several sheets)."""
    if fmt in CSV_DIALECTS:
        return lambda frames, fields, out: write_csv(frames, fields, out, dialect=fmt)
    return {"parquet": write_parquet, "dta": write_stata, "sav": write_sav,
            "json": write_json}[fmt]


def datapackage_schema(fields: list[Field], dialect: str = "csv") -> dict:
    """A Frictionless Table Schema of `fields`, coded fields with their categories."""
    decimal = CSV_DIALECTS[dialect].decimal
    described = []
    for f in fields:
        entry = {"name": f.name, "type": f.type, "title": f.label, "description": f.description}
        if f.type == "boolean":
            entry.update(trueValues=["true"], falseValues=["false"])
        if f.type == "number" and decimal != ".":
            entry["decimalChar"] = decimal
        if f.type == "date":
            entry["format"] = "%Y-%m-%d"
        if f.values is not None:
            entry["categories"] = [{"value": code, "label": str(label)}
                                   for code, label in f.values.items()]
            entry["constraints"] = {"enum": list(f.values)}
        described.append(entry)
    return {"fields": described, "missingValues": [""]}


def csv_dialect_descriptor(dialect: str) -> dict:
    separator, _decimal, _bom = CSV_DIALECTS[dialect]
    return {"delimiter": separator, "lineTerminator": "\r\n", "header": True}


def json_bytes(document) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- bundles: several files and a manifest, as a streamed ZIP or as files -------------------

@dataclass
class BundleFile:
    """A file of a bundle: `write(out)` is a writer generator (its return value: rows)."""
    name: str
    write: Callable[[BinaryIO], Generator]
    description: str = ""
    compress: bool = True


@dataclass
class WrittenFile:
    name: str
    rows: int | dict | None
    size: int
    sha256: str
    description: str = ""

    def manifest_entry(self) -> dict:
        return {"name": self.name, "description": self.description, "rows": self.rows,
                "bytes": self.size, "sha256": self.sha256}


# ZipInfo's compression level: `compress_level` from Python 3.13, `_compresslevel` before.
ZIP_LEVEL_ATTRIBUTE = "compress_level" if "compress_level" in zipfile.ZipInfo.__slots__ \
    else "_compresslevel"


class _Pipe(_WriteOnlyFile):
    """Where a streamed writer writes: collects the bytes until the response takes them."""

    def __init__(self):
        super().__init__()
        self.parts: list[bytes] = []

    def _take(self, data: bytes) -> None:
        self.parts.append(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_zip(files: Iterable[BundleFile],
               manifest: Callable[[list[WrittenFile]], dict]) -> Iterator[bytes]:
    """The files as a ZIP, streamed: bytes are handed on after each chunk of each file, and
    `manifest.json` is written last, from `manifest(written_files)`."""
    pipe = _Pipe()
    written: list[WrittenFile] = []
    with zipfile.ZipFile(pipe, "w") as archive:
        for bundled in files:
            info = zipfile.ZipInfo(bundled.name, date_time=_zip_time())
            info.compress_type = zipfile.ZIP_DEFLATED if bundled.compress else zipfile.ZIP_STORED
            # Fast deflate: the CSV of a million rows shrinks to a fifth at level 1 too.
            setattr(info, ZIP_LEVEL_ATTRIBUTE, 1 if bundled.compress else None)
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as entry:
                digest = Digest(entry)
                writing = bundled.write(digest)
                while True:
                    try:
                        next(writing)
                    except StopIteration as done:
                        rows = done.value
                        break
                    if pipe.parts:
                        yield pipe.take()
            written.append(WrittenFile(bundled.name, rows, digest.size,
                                       digest.sha256.hexdigest(), bundled.description))
            yield pipe.take()
        info = zipfile.ZipInfo("manifest.json", date_time=_zip_time())
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, json_bytes(manifest(written)))
    yield pipe.take()


def write_bundle(files: Iterable[BundleFile], paths: dict[str, str],
                 manifest: Callable[[list[WrittenFile]], dict], manifest_path: str) -> dict:
    """The files of a bundle written to `paths[name]`, then the manifest; returns it."""
    written = []
    for bundled in files:
        path = paths[bundled.name]
        with open(path, "wb") as handle:
            digest = Digest(handle)
            rows = drain(bundled.write(digest))
        written.append(WrittenFile(os.path.basename(path), rows, digest.size,
                                   digest.sha256.hexdigest(), bundled.description))
    document = manifest(written)
    with open(manifest_path, "wb") as handle:
        handle.write(json_bytes(document))
    return document


def _zip_time() -> tuple:
    from consultancy.services.clock import utcnow

    return utcnow().timetuple()[:6]


def stream_download(chunks: Iterable[bytes], fmt: str, filename: str):
    """A streamed file download: the body is produced while it is sent."""
    from flask import current_app, stream_with_context

    response = current_app.response_class(stream_with_context(chunks),
                                          mimetype=FORMAT_MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def streamed(writing_of: Callable[[BinaryIO], Generator]) -> Iterator[bytes]:
    """The bytes a writer generator writes, handed on after each chunk."""
    pipe = _Pipe()
    writing = writing_of(pipe)
    while True:
        try:
            next(writing)
        except StopIteration:
            break
        if pipe.parts:
            yield pipe.take()
    if pipe.parts:
        yield pipe.take()
