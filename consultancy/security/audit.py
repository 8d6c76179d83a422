"""The audit trail: one session listener records every change to a domain record.

Entries are written on the flush's own connection, so they commit or roll back
with the change they describe. Authentication events, which change no record,
go through `record_event`; every export or download of data through `record_export`.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context, has_request_context, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.session import Session
from sqlalchemy import event, inspect
from sqlalchemy.orm import ColumnProperty

from consultancy.extensions import db
from consultancy.models import AuditEntry
from consultancy.web.i18n import format_number

REDACTED = "***"

ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in refused"),
    "login_throttled": _l("Sign-in blocked (too many attempts)"),
    "logout": _l("Signed out"),
    "password_check_failed": _l("Current password wrong (password change)"),
    "password_check_throttled": _l("Password change blocked (too many attempts)"),
    "export": _l("Export"),
}

# Every export and download of data, by the kind `record_export` is given.
EXPORT_LABELS = {
    "applications": _l("Applications with scores and decisions"),
    "sessions": _l("Sessions of the cases"),
    "effect-data": _l("Effect data"),
    "activity": _l("Activity per case"),
    "codebook": _l("Codebook"),
    "import-template": _l("Import template with the case's units"),
}
FILTER_LABELS = {
    "round": _l("Round"), "type": _l("Type of course"), "year": _l("Year"),
    "municipality": _l("Municipality"), "instrument": _l("Instrument"),
    "from": _l("From"), "to": _l("To"), "case": _l("Case"),
}
CHANNEL_LABELS = {"web": _l("web page"), "cli": _l("command line"), "api": _l("API")}


def set_actor(user_id: int | None) -> None:
    """Name the user on whose behalf the current request or command changes data."""
    g.audit_actor_id = user_id


def _actor_id() -> int | None:
    if not has_app_context():
        return None
    if "audit_actor_id" not in g and has_request_context() and current_user \
            and current_user.is_authenticated:
        g.audit_actor_id = current_user.id  # a signed-in user acting on a public page
    return g.get("audit_actor_id")


def _client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):  # a JSON column, such as a case's goals
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    return str(value)


def _is_audited(obj: Any) -> bool:
    return getattr(obj, "__audited__", True)


def _columns(obj: Any):
    mapper = inspect(obj).mapper
    ignored = getattr(obj, "__audit_ignored__", frozenset())
    for prop in mapper.iterate_properties:
        # The version counter is bookkeeping: every change that moves it is recorded.
        if isinstance(prop, ColumnProperty) and prop.key not in ignored \
                and prop.columns[0] is not mapper.version_id_col:
            yield prop.key


def _shown(obj: Any, key: str, value: Any) -> Any:
    if key in getattr(obj, "__audit_redacted__", frozenset()):
        return REDACTED
    return _json_value(value)


def _snapshot(obj: Any) -> dict[str, list]:
    """Every loaded column of a new record as [None, value]."""
    state = inspect(obj)
    return {key: [None, _shown(obj, key, state.dict[key])]
            for key in _columns(obj) if key in state.dict}


def _diff(obj: Any) -> dict[str, list]:
    state = inspect(obj)
    changes = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changes[key] = [_shown(obj, key, old), _shown(obj, key, new)]
    return changes


def _row(action: str, obj: Any, changes: dict[str, list]) -> dict[str, Any]:
    # The identity key is only assigned after the flush; the primary key is already set.
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    return {  # the time comes from the column's default (the one clock)
        "actor_id": _actor_id(),
        "action": action,
        "table_name": obj.__table__.name,
        "record_id": ":".join(str(part) for part in identity),
        "changes": changes,
        "client_address": _client_address(),
    }


def _after_flush(session: Session, _flush_context) -> None:
    # Still inside the flush: new/dirty and attribute history describe what was just
    # written, and new records already have their primary keys. Deletions are recorded
    # row by row as they happen (_before_delete).
    rows = [_row("create", obj, _snapshot(obj)) for obj in session.new if _is_audited(obj)]
    for obj in session.dirty:
        if _is_audited(obj) and (changes := _diff(obj)):
            rows.append(_row("update", obj, changes))
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)


def _before_delete(mapper, connection, obj) -> None:
    """Record a row the flush is about to delete, with every value it held.

    Every deleted row passes here: those given to `session.delete`, and those a
    delete-orphan cascade removes (a contact or a session's consultant taken out of its
    collection), which never appear in `session.deleted`.
    """
    if not _is_audited(obj):
        return
    state = inspect(obj)
    keys = list(_columns(obj))
    values = {key: state.dict[key] for key in keys if key in state.dict}
    if missing := [key for key in keys if key not in values]:
        # Expired since it was loaded (e.g. by a commit): read them before the row goes.
        columns = [mapper.attrs[key].columns[0] for key in missing]
        row = connection.execute(sa.select(*columns).where(*(
            column == value for column, value in zip(mapper.primary_key, state.identity)))).one()
        values.update(zip(missing, row))
    connection.execute(sa.insert(AuditEntry), [_row("delete", obj, {
        key: [_shown(obj, key, values[key]), None] for key in keys})])


def record_event(action: str, user_id: int | None = None, note: str | None = None) -> None:
    """Record an event that changes no domain record (a login, a refused login)."""
    db.session.add(AuditEntry(
        actor_id=user_id if user_id is not None else _actor_id(),
        action=action,
        table_name="users" if user_id is not None else None,
        record_id=str(user_id) if user_id is not None else None,
        note=note[:255] if note else None,
        client_address=_client_address(),
    ))


def record_export(kind: str, fmt: str, filters: Mapping[str, Any] | None, rows: int | None,
                  channel: str = "web", token_id: int | None = None) -> None:
    """Record an export or download of data (the caller commits): which one (a key of
    EXPORT_LABELS), its file format, the filters it was made with, the rows it holds and
    how it left (web page, command line or API token). Who is the acting user (none on
    the command line). Call it once the rows are counted, before the file is streamed."""
    if kind not in EXPORT_LABELS or channel not in CHANNEL_LABELS:
        raise ValueError(f"unknown export {kind!r} or channel {channel!r}")
    details = {"export": kind, "format": fmt, "rows": rows, "channel": channel,
               "filters": {name: _json_value(value) for name, value in (filters or {}).items()
                           if value is not None}}
    if token_id is not None:
        details["token"] = token_id
    db.session.add(AuditEntry(actor_id=_actor_id(), action="export",
                              details=details, client_address=_client_address()))


def describe(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs for the audit log page."""
    if "export" not in details:
        return [(str(name), str(value)) for name, value in details.items()]
    filters = "; ".join(f"{FILTER_LABELS.get(name, name)}: {value}"
                        for name, value in details.get("filters", {}).items())
    channel = str(CHANNEL_LABELS.get(details.get("channel"), details.get("channel")))
    if details.get("token") is not None:
        channel += " " + _("(token %(id)s)", id=details["token"])
    rows = details.get("rows")
    return [(_("Export"), str(EXPORT_LABELS.get(details["export"], details["export"]))),
            (_("File format"), str(details.get("format"))),
            (_("Filters"), filters or _("none")),
            (_("Rows"), "—" if rows is None else format_number(rows)),
            (_("Channel"), channel)]


BULK_ACTIONS = (("is_insert", "create"), ("is_update", "update"), ("is_delete", "delete"))


def _bulk_statement(state) -> None:
    """Bulk INSERT/UPDATE/DELETE bypass the flush; record one summary entry for each."""
    action = next((name for flag, name in BULK_ACTIONS if getattr(state, flag)), None)
    if action is None or state.is_from_statement:
        return None
    mapper = state.bind_mapper
    if mapper is None or not getattr(mapper.class_, "__audited__", True):
        return None
    result = state.invoke_statement()
    if state.statement.is_dml and state.statement._returning:  # noqa: SLF001
        frozen = result.freeze()  # INSERT ... RETURNING: count the rows, then hand them on
        rows, result = len(frozen().all()), frozen()
    elif state.is_insert:
        rows = len(state.parameters) if isinstance(state.parameters, list) else 1
    else:
        rows = result.rowcount
    record_bulk(state.session.connection(), action, mapper.local_table.name, rows)
    return result


def record_bulk(connection, action: str, table_name: str, rows: int) -> None:
    """Record one bulk statement (create, update or delete) on an audited table by its row
    count, on the connection that ran it. The session does this for ORM bulk statements;
    code writing through Core on the connection (the flag pass) calls it itself."""
    connection.execute(sa.insert(AuditEntry), [{
        "actor_id": _actor_id(), "client_address": _client_address(), "action": action,
        "table_name": table_name, "note": f"bulk statement, {rows} rows",
    }])


def _noop(*_args):
    return None


def _load_old_values() -> None:
    """Make every audited column remember its old value even when it was not loaded."""
    for mapper in db.Model.registry.mappers:
        if not getattr(mapper.class_, "__audited__", True):
            continue
        for prop in mapper.column_attrs:
            attribute = getattr(mapper.class_, prop.key)
            if not event.contains(attribute, "set", _noop):
                event.listen(attribute, "set", _noop, active_history=True)


def init_app(app) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _bulk_statement)
        event.listen(db.Model, "before_delete", _before_delete, propagate=True)
    _load_old_values()
