"""Every change to a case brings its kept figures, phase and flags up to date in the same
transaction.

One mechanism for all writers (views, imports, the CLI, the demo): the session notes which
cases a flush touched and, just before the commit, recomputes the figures kept on those
cases from their sessions (`engagements.activity`), then re-judges them on those figures.
A consultant who logs the
kick-off (or the baseline self-assessment) sees the baseline flag resolved at once; the daily
pass catches what only the passing of time changes.

They are judged as of the day the caller names with `services.judging_as_of` (a pass run
for another day names its day), else as of today by the clock (a page, an import).
"""
from __future__ import annotations

from itertools import chain

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from consultancy.engagements.activity import refresh_activity
from consultancy.extensions import db
from consultancy.flags.services import JUDGE_ON, evaluate
from consultancy.models import Engagement, EngagementMember, EngagementSession, Response
from consultancy.services.clock import local_today

KEY = "cases_changed"


def _note_changed_cases(session: Session, _flush_context) -> None:
    changed = session.info.setdefault(KEY, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Engagement):
            changed.add(obj.id)
        elif isinstance(obj, (EngagementSession, EngagementMember, Response)):
            changed.add(obj.engagement_id)


def _refresh_changed_cases(session: Session) -> None:
    if not has_app_context() or session is not db.session.registry():
        return
    session.flush()
    changed = session.info.pop(KEY, set()) - {None}
    if changed:
        refresh_activity(session.connection(), sorted(changed))
        evaluate(session.info.get(JUDGE_ON) or local_today(), sorted(changed))


def _forget(session: Session, *_args) -> None:
    session.info.pop(KEY, None)


def init_app(app) -> None:
    if not event.contains(Session, "after_flush", _note_changed_cases):
        event.listen(Session, "after_flush", _note_changed_cases)
        event.listen(Session, "before_commit", _refresh_changed_cases)
        event.listen(Session, "after_rollback", _forget)
        event.listen(Session, "after_soft_rollback", _forget)
