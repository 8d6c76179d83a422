"""Uploaded spreadsheets (CSV or XLSX bytes) to rows of text: bounded, and never silent.

The one reader of every import. An upload is refused, with a message naming the row or the
cell and never repeating a cell's content, when

- it is larger than IMPORT_MAX_BYTES, has more than IMPORT_MAX_ROWS rows or a row with
  more than MAX_COLUMNS cells;
- an XLSX workbook would unpack past IMPORT_MAX_UNPACKED_BYTES: the sizes its ZIP
  directory declares are checked first, then what each member really unpacks to is counted
  while reading it, before the workbook is parsed (a zip bomb is refused in well under a
  second);
- an XLSX part declares a DTD or entities (billion laughs, external entities): spreadsheets
  have none, and defusedxml refuses them in the parser as well;
- a cell holds a formula: its cached value may be stale or missing, so the file must hold
  values;
- a CSV row's quotation marks do not pair up (a stray `"` would read the rest of the file
  into one cell), or a row runs over several lines where the importer expects none.

What the cells may hold (no CPR number, no control character) the importers check with
the forms' own validators (consultancy.security.validators).
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from consultancy.web.inputs import megabytes

log = logging.getLogger(__name__)

FORMATS = (".csv", ".xlsx")
MAX_COLUMNS = 500  # far more than any import has; a cell at column XFD is refused
MAX_ZIP_MEMBERS = 1000  # an XLSX workbook has a few dozen parts
CHUNK = 64 * 1024
DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class SpreadsheetError(ValueError):
    """The file is refused as a whole; `messages` says why, each naming the row or cell."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    unpacked_bytes: int
    rows: int  # below the header

    @classmethod
    def configured(cls) -> Limits:
        config = current_app.config
        return cls(config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_UNPACKED_BYTES"],
                   config["IMPORT_MAX_ROWS"])


@dataclass
class Sheet:
    name: str | None  # None for a CSV file
    rows: list[list[str]]  # the first is the header


def first_sheet(names: Sequence[str]) -> list[str]:
    return list(names[:1])


def cell_name(row: int, column: int) -> str:
    """A cell as a spreadsheet names it: row 7, column 2 is B7."""
    from openpyxl.utils import get_column_letter  # openpyxl is loaded where it is used

    return f"{get_column_letter(column)}{row}"


def read(data: bytes, filename: str, *,
         sheets: Callable[[Sequence[str]], list[str]] = first_sheet,
         cell_text: Callable | None = None, line_breaks: bool = False,
         limits: Limits | None = None) -> list[Sheet]:
    """The sheets of an uploaded file as rows of text; a CSV file is one sheet.

    `sheets` picks the sheets of a workbook to read from its sheet names; `cell_text` turns
    an openpyxl cell into text (by default its value as text). `line_breaks`: whether a
    CSV cell may hold line breaks (free text may; codes and numbers may not, and there a
    line break means a quotation mark that is not closed). Raises SpreadsheetError.
    """
    limits = limits or Limits.configured()
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise SpreadsheetError([_("The file is not a .csv or .xlsx file.")])
    if len(data) > limits.file_bytes:
        raise SpreadsheetError([_("The file is larger than %(size)s MB. Split it into smaller "
                                  "files.", size=megabytes(limits.file_bytes))])
    if suffix == ".csv":
        return [Sheet(None, _csv_rows(data, limits, line_breaks))]
    return _xlsx_sheets(data, limits, sheets, cell_text or _value_text)


# --- CSV ------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1252 as Excel in Danish
    Windows writes "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _csv_rows(data: bytes, limits: Limits, line_breaks: bool) -> list[list[str]]:
    text = _decode(data)
    delimiter = _delimiter(text)
    # strict: a quotation mark that is never closed, or text after a closing one, is an
    # error instead of being read silently into the cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    ended = 0  # the physical line the previous row ended on
    try:
        for record in reader:
            number = len(rows) + 1
            _check_count(number, len(record), limits)
            if reader.line_num - ended > 1 and (
                    not line_breaks or _swallows_rows(record, delimiter, len(rows[0]) if rows
                                                      else len(record))):
                raise SpreadsheetError([_unpaired_quote(number)])
            ended = reader.line_num
            rows.append(record)
    except csv.Error as error:
        raise SpreadsheetError([_unpaired_quote(len(rows) + 1)]) from error
    return rows


def _swallows_rows(record: list[str], delimiter: str, columns: int) -> bool:
    """A cell whose line breaks hold what reads as whole rows: a quotation mark left open
    swallowed them (an ordinary text with a line break does not look like a row)."""
    return columns > 1 and any(
        line.count(delimiter) >= columns - 1
        for cell in record for line in cell.splitlines()[1:])


def _unpaired_quote(row: int) -> str:
    return _("Row %(row)d: the quotation marks do not pair up. A cell that begins with \" "
             "must end with \"; otherwise the rows after it are read into that cell. Remove "
             "the stray quotation mark or close it, and import the file again.", row=row)


def _check_count(number: int, width: int, limits: Limits) -> None:
    if number > limits.rows + 1:
        raise SpreadsheetError([_("The file has more than %(max)d rows. Split it into smaller "
                                  "files.", max=limits.rows)])
    if width > MAX_COLUMNS:
        raise SpreadsheetError([_("Row %(row)d has more than %(max)d columns.", row=number,
                                  max=MAX_COLUMNS)])


# --- XLSX -----------------------------------------------------------------------------------

def _unreadable() -> SpreadsheetError:
    return SpreadsheetError([_("The file cannot be read as an XLSX workbook. Save it again "
                               "from the spreadsheet program as .xlsx or as CSV.")])


def check_archive(data: bytes, limit: int) -> None:
    """Refuse a ZIP archive that unpacks past `limit` bytes, or whose XML declares a DTD,
    before anything parses it."""
    too_large = SpreadsheetError([_("The workbook unpacks to more than %(size)s MB. Save it "
                                    "without images and other sheets, or as CSV.",
                                    size=megabytes(limit))])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _unreadable() from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS or any(
                member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                for member in members):
            # bzip2 and LZMA members decompress a whole chunk at once, unbounded
            raise _unreadable()
        if sum(member.file_size for member in members) > limit:
            raise too_large
        # The directory's sizes are the sender's word: count what each part really gives.
        unpacked = 0
        for member in members:
            try:
                with archive.open(member) as part:
                    start = b""
                    while chunk := part.read(CHUNK):
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_large
                        if len(start) < 4096:
                            start += chunk[:4096]
                    if _declares_dtd(start):
                        raise SpreadsheetError([_(
                            "The workbook contains a document type declaration (DTD), which "
                            "spreadsheets do not have, and is refused for safety. Save it "
                            "again from the spreadsheet program.")])
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError,
                    NotImplementedError) as error:
                raise _unreadable() from error


def _declares_dtd(start: bytes) -> bool:
    """Whether the beginning of an XML part (UTF-8 or UTF-16) declares a DTD or entities;
    markup only, as the same characters in a cell's text are escaped."""
    texts = [start]
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in start[:4]:
        texts += [start.decode(encoding, errors="ignore").encode("utf-8", errors="ignore")
                  for encoding in ("utf-16-le", "utf-16-be")]
    return any(DECLARATION.search(text) for text in texts)


def _value_text(cell) -> str:
    return "" if cell.value is None else str(cell.value).strip()


def _xlsx_sheets(data: bytes, limits: Limits, sheets, cell_text) -> list[Sheet]:
    check_archive(data, limits.unpacked_bytes)
    try:
        from openpyxl import load_workbook

        # Formulas as formulas (not their cached values), so they can be refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except SpreadsheetError:
        raise
    except Exception as error:  # noqa: BLE001 - a hostile file may fail openpyxl anywhere
        log.info("unreadable workbook: %s", type(error).__name__)
        raise _unreadable() from error
    try:
        names = sheets(workbook.sheetnames)
        # With several sheets, a cell is named with its sheet, as in a formula: units!E2.
        return [Sheet(name, _sheet_rows(workbook[name], limits, cell_text,
                                        f"{name}!" if len(names) > 1 else ""))
                for name in names]
    except SpreadsheetError:
        raise
    except Exception as error:  # noqa: BLE001
        log.info("unreadable worksheet: %s", type(error).__name__)
        raise _unreadable() from error
    finally:
        workbook.close()


def _sheet_rows(worksheet, limits: Limits, cell_text, sheet: str) -> list[list[str]]:
    # The declared dimension is the sender's word too: A1:XFD1048576 would pad every row
    # to 16384 cells and the sheet to a million rows.
    worksheet.reset_dimensions()
    rows: list[list[str]] = []
    formulas: list[str] = []
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        _check_count(number, len(row), limits)
        formulas += [sheet + cell_name(number, column)
                     for column, cell in enumerate(row, start=1)
                     if getattr(cell, "data_type", None) == "f"]
        rows.append([cell_text(cell) for cell in row])
    if formulas:
        shown = ", ".join(formulas[:10]) + (" …" if len(formulas) > 10 else "")
        raise SpreadsheetError([_("Cell %(cells)s holds a formula. Imports take values only: "
                                  "copy the cells and paste them as values, then import the "
                                  "file again.", cells=shown) if len(formulas) == 1 else
                                _("Cells %(cells)s hold formulas. Imports take values only: "
                                  "copy the cells and paste them as values, then import the "
                                  "file again.", cells=shown)])
    return rows
