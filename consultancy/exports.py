"""Tables written for spreadsheets and statistics programs, safe to open in Excel.

Every export goes through `write_table`: text that a spreadsheet would run as a formula
(OWASP "CSV injection") gets a leading quote; numbers are written as numbers.
"""
from __future__ import annotations

import io
from typing import Literal

import pandas as pd
from openpyxl.utils import get_column_letter

FORMULA_STARTS = frozenset("=+-@")
CONTROL_STARTS = frozenset("\t\r")
MAX_WIDTH = 60
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
    """CSV (UTF-8 with BOM, comma, decimal point) or XLSX (frozen header row)."""
    frame = frame.copy()
    for column in _text_columns(frame):
        frame[column] = frame[column].map(neutralise)
    frame.columns = [neutralise(str(column)) for column in frame.columns]
    if fmt == "csv":
        # The BOM makes Excel read UTF-8 (æøå); R, Stata and SPSS skip it.
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    if fmt != "xlsx":
        raise ValueError(f"unknown format {fmt!r}")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        for index, cells in enumerate(worksheet.iter_cols(), start=1):
            width = max(len(str(cell.value)) if cell.value is not None else 0 for cell in cells)
            worksheet.column_dimensions[get_column_letter(index)].width = \
                min(max(width, 8) + 2, MAX_WIDTH)
    return buffer.getvalue()


def download(frame: pd.DataFrame, fmt: Literal["csv", "xlsx"], name: str, sheet: str = "data"):
    """A table as a file download (`name` without extension)."""
    from flask import current_app

    response = current_app.response_class(write_table(frame, fmt, sheet=sheet),
                                          mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
