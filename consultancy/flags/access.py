"""Who sees which flags, and loading one flag for a user: the row-level checks of the flags
area, on the rules of `consultancy.security.permissions`.

Consultants see the flags of the cases they are on today (never the applications'); team
and admin see every flag; evaluators none in lists, but a flag's page of any case.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort

from consultancy.engagements.queries import cases_of
from consultancy.extensions import db
from consultancy.flags.catalogue import APPLICATION_RULES, MANAGER, TEAM, Action
from consultancy.models import Application, Engagement, Flag, Role, User
from consultancy.security.identities import case_label
from consultancy.security.permissions import (
    can_manage_case,
    can_read_case,
    can_write_case,
    decides_applications,
    pseudonymised,
    sees_every_flag,
)

# Who has flags: the bell, the flags page and the start page's list.
FLAG_ROLES = (Role.CONSULTANT, Role.TEAM, Role.ADMIN)


def visible_to(user: User, today: date):
    """A where-clause on Flag: the flags `user` sees in lists."""
    if sees_every_flag(user):
        return sa.true()
    if user.role is Role.CONSULTANT:
        return Flag.engagement_id.in_(cases_of(user.id, today))
    return sa.false()


def sees_rule(user: User, code: str) -> bool:
    """Whether the flags of rule `code` may be among those `user` sees."""
    return sees_every_flag(user) or code not in APPLICATION_RULES


def may_take(user: User, action: Action, writer: bool) -> bool:
    """May `user` take a flag's resolving action? `writer`: the user may change the flag's
    case."""
    if action.audience == TEAM:
        return decides_applications(user)
    if action.audience == MANAGER:
        return can_manage_case(user)
    return writer


@dataclass(frozen=True)
class Subject:
    """What a flag is about: a case or an application, with its reference and applicant."""
    kind: str  # "case" or "application"
    id: int
    reference: str
    name: str

    @property
    def endpoint(self) -> str:
        return "engagements.case" if self.kind == "case" else "applications.detail"

    @property
    def values(self) -> dict:
        key = "engagement_id" if self.kind == "case" else "application_id"
        return {key: self.id}


class LoadedFlag(NamedTuple):
    flag: Flag
    subject: Subject
    writer: bool  # the user may act on it: acknowledge, snooze


def load_flag(flag_id: int, user: User, today: date) -> LoadedFlag:
    """The flag with its case or application and whether `user` may act on it; 404 when
    there is no such flag, 403 to those who may not read its case or application."""
    flag = db.get_or_404(Flag, flag_id)
    if flag.engagement_id is not None:
        engagement = db.session.get(Engagement, flag.engagement_id)
        if not can_read_case(user, engagement, today):
            abort(403)
        name = "" if pseudonymised(user) else engagement.applicant_name
        return LoadedFlag(flag, Subject("case", engagement.id, case_label(engagement), name),
                          can_write_case(user, engagement, today))
    if not sees_every_flag(user):
        abort(403)
    application = db.session.get(Application, flag.application_id)
    return LoadedFlag(flag, Subject("application", application.id, application.reference,
                                    application.applicant_name), True)

