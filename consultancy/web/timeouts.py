"""The statement timeout of web requests: no statement a page runs may hold the database
(and the worker waiting for it) longer than STATEMENT_TIMEOUT_MS. A page that hits it is
rolled back and answers 503 with a message, in the user's language; the rest of the site
keeps answering. The CLI and the scheduler (no request) run without a limit.

PostgreSQL: `statement_timeout`, set for each transaction a request begins (transaction-
local, so it never outlives the request's transaction on a pooled connection). SQLite: a
progress handler that interrupts a statement running past the deadline.

A view that needs longer (a large export) names another setting with
`@statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")`.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from consultancy.extensions import db
from consultancy.web.errors import for_the_api, render_error

log = logging.getLogger("consultancy.timeouts")

DEFAULT_SETTING = "STATEMENT_TIMEOUT_MS"
# SQLite calls the progress handler every this many virtual machine instructions.
SQLITE_CHECK_EVERY = 10_000

View = TypeVar("View", bound=Callable)


def statement_timeout(setting: str) -> Callable[[View], View]:
    """Give a view the statement timeout of another setting (e.g. EXPORT_STATEMENT_TIMEOUT_MS)."""
    def mark(view: View) -> View:
        view.statement_timeout_setting = setting
        return view
    return mark


def request_timeout_ms() -> int | None:
    """The statement timeout of the current request in milliseconds; None outside a request
    (the CLI, the scheduler) or when the setting is 0 or unset."""
    if not has_request_context():
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "statement_timeout_setting", DEFAULT_SETTING)
    milliseconds = current_app.config.get(setting)
    return int(milliseconds) if milliseconds else None


def _postgresql_timeout(_session, _transaction, connection) -> None:
    """Every transaction a request begins on PostgreSQL gets the request's timeout."""
    if connection.dialect.name != "postgresql":
        return
    milliseconds = request_timeout_ms()
    if milliseconds:  # an int from the settings: SET takes no bound parameters
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(milliseconds)}")


def _sqlite_deadline(connection, _cursor, _statement, _parameters, _context, _many) -> None:
    """Every statement a request runs on SQLite is interrupted past the request's timeout;
    outside a request, none is."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):
        return
    milliseconds = request_timeout_ms()
    if not milliseconds:
        driver.set_progress_handler(None, 0)
        return
    deadline = time.monotonic() + milliseconds / 1000
    driver.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_CHECK_EVERY)


def timed_out(error: OperationalError) -> bool:
    """Whether the database stopped a statement for the timeout (PostgreSQL's
    query_canceled, 57014; SQLite's interrupt)."""
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return str(original) == "interrupted"
    return getattr(original, "sqlstate", None) == "57014"


def _database_error(error: OperationalError):
    if not timed_out(error):
        raise error
    db.session.rollback()
    log.warning("statement timeout", extra={"fields": {"path": request.path,
                                                       "timeout_ms": request_timeout_ms()}})
    if for_the_api():
        return render_error(503)  # the API's messages are in English
    return render_error(503, _(
        "The page took too long to prepare and was stopped, so that the rest of the site "
        "stays quick. Try again in a moment, or choose fewer cases (filters) if you can."))


def init_app(app) -> None:
    if not event.contains(Session, "after_begin", _postgresql_timeout):
        event.listen(Session, "after_begin", _postgresql_timeout)
    if not event.contains(sa.Engine, "before_cursor_execute", _sqlite_deadline):
        event.listen(sa.Engine, "before_cursor_execute", _sqlite_deadline)
    app.register_error_handler(OperationalError, _database_error)
