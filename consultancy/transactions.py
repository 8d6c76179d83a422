"""Running one change from a small form as the request's transaction, and saying how it went."""
from dataclasses import dataclass
from typing import Any

from flask import flash
from sqlalchemy.orm.exc import StaleDataError

from consultancy.extensions import db
from consultancy.forms import show_refusal
from consultancy.services import Refusal, StaleEdit


def run_or_flash(action) -> bool:
    """Run `action` and commit it; on a refusal roll back and flash why. True when saved.

    A version that changed between our read and our write (StaleDataError at the flush)
    is refused like any other stale edit.
    """
    try:
        action()
        db.session.commit()
    except Refusal as refusal:
        db.session.rollback()
        flash(refusal.message, "danger")
        return False
    except StaleDataError:
        db.session.rollback()
        flash(StaleEdit().message, "danger")
        return False
    return True


@dataclass(frozen=True)
class Outcome:
    """What `run_on_form` did: true when saved, with the action's result."""
    saved: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.saved


def run_on_form(form, action) -> Outcome:
    """Run `action` and commit it; on a refusal roll back and show why on `form`, next to
    the field it names (the form keeps what was typed)."""
    try:
        result = action()
        db.session.commit()
    except Refusal as refusal:
        db.session.rollback()
        show_refusal(form, refusal)
        return Outcome(False)
    except StaleDataError:
        db.session.rollback()
        form.form_errors.append(StaleEdit().message)
        return Outcome(False)
    return Outcome(True, result)


def flash_form_errors(form) -> None:
    """For small forms on a page that redirects: every message of an invalid form, flashed."""
    for messages in form.errors.values():
        for message in messages:
            flash(message, "danger")
