"""Operations that know nothing of requests: views, the CLI and the scheduler share them."""
from flask_babel import gettext as _
from sqlalchemy import inspect

from consultancy.extensions import db


class Refusal(ValueError):
    """A rule the input breaks. `field` names the form field it concerns (None: the form),
    so a view can show the message next to what the user typed."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(Refusal):
    """Someone else got there first (views answer 409 Conflict): what this user asked for
    was decided on what they saw, and that has changed."""


class StaleEdit(Conflict):
    """Someone else saved the record after this user opened it."""

    def __init__(self):
        super().__init__(_("Someone else saved this in the meantime. Your input is kept below; "
                           "reload the page to see their changes, then save again."))


def check_version(record, expected: int | None) -> None:
    """Refuse a save based on an older version of the record (optimistic locking)."""
    if expected is not None and expected != record.version:
        raise StaleEdit()


def take_new_version_if_changed(record) -> None:
    """Give `record` a new version when anything about it changed, its links included.

    A change to its links alone (a case's themes, a session's consultants) writes no column
    of its own, so it would keep its version, and a save based on the old version could
    undo it unnoticed. An unchanged save writes nothing at all.
    """
    if inspect(record).persistent and db.session.is_modified(record):
        record.version = record.version + 1
