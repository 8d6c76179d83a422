"""Language choice and the formats users see: Danish first, English too."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date as babel_format_date
from flask import has_request_context, session
from flask_babel import (
    format_datetime as babel_format_datetime,
    format_decimal,
    get_locale,
    gettext as _,
)
from flask_login import current_user

from consultancy.extensions import babel
from consultancy.models import LANGUAGES

# Danish users read dates as DD-MM-YYYY; Babel's Danish default is dd.MM.y.
DATE_FORMATS = {"da": "dd-MM-yyyy", "en": "d MMM yyyy"}
LANGUAGE_NAMES = LANGUAGES


def select_locale() -> str | None:
    if not has_request_context():
        return None  # the CLI and the scheduler speak the default language
    if current_user and current_user.is_authenticated:
        return current_user.language
    return session.get("language", "da")


def current_language() -> str:
    return str(get_locale() or "da")


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, with_time=False)
    language = current_language()
    return babel_format_date(value, DATE_FORMATS[language], locale=language)


def format_datetime(value: datetime | None, with_time: bool = True) -> str:
    """An aware UTC timestamp shown in TIMEZONE (Flask-Babel's default zone)."""
    if value is None:
        return ""
    pattern = DATE_FORMATS[current_language()] + (" HH:mm" if with_time else "")
    return babel_format_datetime(value, pattern)


def format_number(value: int | float | Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def format_value(value) -> str:
    """A stored value as a reader expects it: yes/no for booleans, a dash for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):  # e.g. a case's goals, one per line in the form
        return "; ".join(format_value(item) for item in value) or "—"
    return str(value)


def choose_language(language: str) -> None:
    """Remember the language for this browser and, when signed in, on the user."""
    if language not in LANGUAGES:
        raise ValueError(language)
    session["language"] = language
    if current_user.is_authenticated:
        current_user.language = language


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, number=format_number, value=format_value,
    )
    app.jinja_env.globals.update(
        current_language=current_language, language_names=LANGUAGE_NAMES,
    )
