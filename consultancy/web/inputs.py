"""What a request may carry before any view reads it: integers the database can hold, no
NUL characters, named form parts.

- `<int:...>` in every route is the bounded converter below: an id past PostgreSQL's
  `integer` (2**31 - 1) is a page that does not exist (404), not an overflow (500).
- `int_arg` reads an integer from the query string; text, signs, other digits than 0-9
  and numbers past the bound count as not given, like a filter left empty. `page_arg`
  reads ?page= and answers 404 for a page that cannot exist.
- A NUL character (PostgreSQL's text types cannot hold one) in the path is a 404, in the
  query string a 400; in a form field that people type in, the form refuses it next to
  the field; in any other form value (a choice, a hidden field) the request is a 400.
- A multipart part without a name, or a field name with a NUL, is a 400 before the CSRF
  check reads the form.
"""
from __future__ import annotations

import re

from flask import abort, request
from flask_babel import format_decimal, lazy_gettext as _l
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1  # PostgreSQL's integer: every id, code and count column
DIGITS = re.compile(r"[0-9]{1,10}")
WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

BAD_QUERY = _l("The address contains characters that are not allowed. Go back and try again.")
BAD_FORM = _l("The form contained a value that is not allowed. Reload the page and try again.")


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` converter, bounded to what the database's integer columns hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_INT if max is None else max, signed=signed)


def whole_number(text) -> int | None:
    """A whole number written with the digits 0-9 and nothing else, within MAX_INT; else
    None (also for "²" or "٣", which str.isdigit accepts and int() does not or does)."""
    if isinstance(text, str) and DIGITS.fullmatch(text):
        number = int(text)
        if number <= MAX_INT:
            return number
    return None


def int_arg(name: str) -> int | None:
    """An integer of the query string, or None when absent or not a usable number."""
    return whole_number(request.args.get(name))


def page_arg() -> int:
    """?page=: 1 when absent or empty; 404 for anything that is not a page number."""
    text = request.args.get("page", "")
    if text == "":
        return 1
    page = whole_number(text)
    if not page:
        abort(404)
    return page


def megabytes(size: int) -> str:
    """A size in MB as the user writes numbers (5, 0,5)."""
    return format_decimal(size / 1024 / 1024, format="#,##0.#")


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


def _guard():
    if "\x00" in request.path:
        abort(404)
    args = request.args
    if _has_nul(args.keys()) or _has_nul(args.values()):
        abort(400, BAD_QUERY)
    if request.method in WRITING_METHODS:
        # Reading the form here parses the body once (the views reuse it); a body past
        # MAX_CONTENT_LENGTH raises 413 without being read.
        names = [*request.form.keys(), *request.files.keys()]
        if any(not name for name in names) or _has_nul(names):
            abort(400, BAD_FORM)


def init_app(app) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_guard)
