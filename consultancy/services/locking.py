"""Deciding on what is committed now: a record held against other writers until the
transaction ends.

Two requests that read a record, decide and write (approve an application, log hours
against a budget) would both decide on what they read before either wrote. Holding the
record first makes the second wait for the first to commit, and then decide on what the
first wrote: it is refused or asked, never silently added to the first.

PostgreSQL locks the record's row (SELECT ... FOR UPDATE; read committed, so every later
statement sees what the first writer committed). SQLite has a single writer: the
transaction takes the write lock before it reads on (BEGIN IMMEDIATE), unless it already
holds it because it has written. Either way the waiting writer waits up to the database's
lock timeout (SQLite's `timeout`, 30 s here), like any other write.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.extensions import db
from consultancy.services import Refusal, StaleEdit


class Gone(StaleEdit):
    """The record was deleted by someone else after this request loaded it."""

    def __init__(self):
        Refusal.__init__(self, _("Someone else deleted this in the meantime. Reload the page "
                                 "to see what is there now."))


def hold(record, *attributes: str) -> None:
    """Hold `record` until this transaction ends and reload it as committed now: the named
    `attributes`, or all of them with the relationships loaded with it.

    Call it before changing the record: unsaved changes to it are flushed first, and then
    read back as stored. Raises `Gone` when someone else deleted it.
    """
    db.session.flush()
    state = sa.inspect(record)
    mapper = state.mapper
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # one that has written holds it
    where = [column == value for column, value in zip(mapper.primary_key, state.identity)]
    # FOR UPDATE on PostgreSQL; SQLite ignores it (the lock is already taken).
    if db.session.execute(sa.select(*mapper.primary_key).where(*where)
                          .with_for_update()).first() is None:
        raise Gone()
    db.session.refresh(record, list(attributes) or None)
