"""Running one change as the request's transaction, and saying how it went."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import flash
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from consultancy.extensions import db
from consultancy.services import Conflict, Refusal, StaleEdit
from consultancy.web.forms import show_refusal

log = logging.getLogger(__name__)

# SQLSTATE unique_violation (PostgreSQL); SQLite's extended codes for a unique key.
UNIQUE_VIOLATIONS = {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a row because another has the same unique key."""
    driver_error = error.orig
    code = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "sqlite_errorname",
                                                              None)
    return code in UNIQUE_VIOLATIONS


def commit(action):
    """Run `action` and commit it; on a refusal roll back and raise it again.

    Two writers at once show up at the database in two ways, both raised as refusals a
    view can show: a version that changed between our read and our write (StaleDataError
    at the flush) as `StaleEdit`, a unique key another writer took first (IntegrityError)
    as a `Conflict`. Services hold what they decide on (`services.locking.hold`), so the
    second is the safety net, not the way a race is meant to end.
    """
    try:
        result = action()
        db.session.commit()
    except Refusal:
        db.session.rollback()
        raise
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    except IntegrityError as error:
        db.session.rollback()
        if not is_unique_violation(error):
            raise
        # The constraint's name, never the row's values (they may be personal data).
        log.warning("unique key taken by a concurrent writer: %s",
                    getattr(getattr(error.orig, "diag", None), "constraint_name", None)
                    or error.orig)
        raise Conflict(_("Someone else saved the same in the meantime. Reload the page to "
                         "see it.")) from None
    return result


@dataclass(frozen=True)
class Outcome:
    """What `commit_or_show` did: true when saved, with the action's result; else the
    refusal, and the status to answer it with (409 when someone else got there first)."""
    saved: bool
    result: Any = None
    refusal: Refusal | None = None

    def __bool__(self) -> bool:
        return self.saved

    @property
    def status(self) -> int | None:
        if self.refusal is None:
            return None
        return 409 if isinstance(self.refusal, Conflict) else 400


def commit_or_show(action, form=None) -> Outcome:
    """Run `action` as the request's transaction and commit it; on a refusal roll back and
    show why: on `form`, next to the field the refusal names (the form keeps what was typed,
    and a field the page shows only when asked, such as a confirmation, has its message);
    without a form (a button, then a redirect), flashed."""
    try:
        result = commit(action)
    except Refusal as refusal:
        if form is None:
            flash(refusal.message, "danger")
        else:
            show_refusal(form, refusal)
        return Outcome(False, refusal=refusal)
    return Outcome(True, result)


def flash_form_errors(form) -> None:
    """For small forms on a page that redirects: every message of an invalid form, flashed."""
    for messages in form.errors.values():
        for message in messages:
            flash(message, "danger")
