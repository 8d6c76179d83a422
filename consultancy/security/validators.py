"""The one place that refuses what text must never hold: CPR numbers and control characters.

The base form adds both checks to every field holding text; the imports, sign-in and
query filters ask `text_problem` for the same messages.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from consultancy.rules.text import contains_cpr, has_control_characters, storable

CPR_MESSAGE = _l("Remove the personal identity number (CPR). It must never be stored here.")
CONTROL_MESSAGE = _l("Remove the invisible control character (such as NUL); it cannot be "
                     "stored.")


def no_cpr(_form, field) -> None:
    value = field.data
    if isinstance(value, str) and contains_cpr(value):
        raise ValidationError(CPR_MESSAGE)


def no_control_characters(_form, field) -> None:
    value = field.data
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_MESSAGE)


def text_problem(value: str | None):
    """Why the text may not be stored (a message), or None."""
    if has_control_characters(value):
        return CONTROL_MESSAGE
    if contains_cpr(value):
        return CPR_MESSAGE
    return None


def cell_problems(records: Sequence[Sequence[str]]) -> list[tuple[int, str, str]]:
    """(row, column, message) for every cell of an imported table that may not be stored;
    the header is row 1. A column is named by its header, or by its letter (A, B, ...)
    when the header cell itself may not be repeated. The value is never repeated."""
    from openpyxl.utils import get_column_letter  # openpyxl is loaded where it is used

    header = records[0] if records else []
    found = []
    for row, record in enumerate(records, start=1):
        for index, value in enumerate(record):
            message = text_problem(value)
            if message is None:
                continue
            name = str(header[index]).strip() if index < len(header) else ""
            column = name if row > 1 and name and storable(name) \
                else get_column_letter(index + 1)
            found.append((row, column, str(message)))
    return found


CHILDREN_NOTICE = _l("Write about practice, never about named children. CPR numbers are refused.")
