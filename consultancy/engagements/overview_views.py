"""Across cases: the case overview and the consultants' load for Team Dagtilbud, and the
figures of a consultant's own cases for the start page.

Every page runs a fixed number of queries whatever its row count: hours and dates come
from set-based aggregate queries (SUM/MIN ... GROUP BY), merged with the page's rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from consultancy.engagements import bp, services
from consultancy.engagements.queries import (
    HELD, OPEN_STATUSES, case_years, cases_of, is_current_member, starting_in,
)
from consultancy.engagements.timeline import phase_entry
from consultancy.extensions import db
from consultancy.inputs import int_arg
from consultancy.pagination import paginate, paginate_list
from consultancy.models import (
    Engagement, EngagementMember, EngagementSession, EngagementStatus, EngagementType,
    MemberRole, Municipality, Role, SessionConsultant, SessionStatus, User,
)
from consultancy.permissions import role_required
from consultancy.rules.engagements import BUDGET_WARNING_SHARE
from consultancy.services.clock import local_today

# --- figures across cases (set-based queries) ----------------------------------------------

@dataclass(frozen=True)
class CaseHours:
    """Session hours of held sessions against the case's hour budget."""
    used: Decimal
    budget: Decimal | None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.used

    @property
    def exceeded(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    @property
    def nearly_used(self) -> bool:
        return bool(self.budget) and self.used / self.budget >= BUDGET_WARNING_SHARE


@dataclass(frozen=True)
class SessionFigures:
    hours: Decimal = Decimal(0)
    next_planned: date | None = None


def held_hours_by_case():
    """SUM of held session hours GROUP BY case, as a subquery to join for sorting."""
    return (sa.select(EngagementSession.engagement_id,
                      sa.func.sum(EngagementSession.hours).label("hours"))
            .where(HELD).group_by(EngagementSession.engagement_id).subquery("held_hours"))


def session_figures(engagement_ids: list[int]) -> dict[int, SessionFigures]:
    """Held hours and the earliest planned session of each case, in one aggregate query."""
    planned = EngagementSession.status == SessionStatus.PLANNED
    rows = db.session.execute(
        sa.select(EngagementSession.engagement_id,
                  sa.func.sum(sa.case((HELD, EngagementSession.hours), else_=0)),
                  sa.func.min(sa.case((planned, EngagementSession.held_on))))
        .where(EngagementSession.engagement_id.in_(engagement_ids))
        .group_by(EngagementSession.engagement_id))
    return {case_id: SessionFigures(Decimal(hours or 0), next_planned)
            for case_id, hours, next_planned in rows}


def latest_next_steps(engagement_ids: list[int]) -> dict[int, tuple[date, str]]:
    """The agreed next steps of each case's most recent held session, in one query."""
    ranked = (sa.select(
        EngagementSession.engagement_id, EngagementSession.held_on,
        EngagementSession.next_steps,
        sa.func.row_number().over(
            partition_by=EngagementSession.engagement_id,
            order_by=(EngagementSession.held_on.desc(), EngagementSession.id.desc()),
        ).label("position"))
        .where(HELD, EngagementSession.engagement_id.in_(engagement_ids))
        .subquery("ranked"))
    rows = db.session.execute(sa.select(ranked.c.engagement_id, ranked.c.held_on,
                                        ranked.c.next_steps).where(ranked.c.position == 1))
    return {case_id: (held_on, next_steps) for case_id, held_on, next_steps in rows}


def _team(engagement: Engagement, today: date) -> list[User]:
    members = sorted(services.current_members(engagement, today),
                     key=lambda m: (m.role is not MemberRole.LEAD, m.user.name.casefold()))
    return [m.user for m in members]


@dataclass(frozen=True)
class MyCase:
    engagement: Engagement
    phase: dict | None
    hours: CaseHours
    next_planned: date | None
    next_steps: str
    next_steps_from: date | None


def my_active_cases(user: User, today: date) -> list[MyCase]:
    """The planned and active cases the consultant is on today, with their figures:
    three queries whatever the number of cases."""
    engagements = db.session.scalars(
        sa.select(Engagement)
        .where(Engagement.status.in_(OPEN_STATUSES),
               Engagement.id.in_(cases_of(user.id, today)))
        .order_by(Engagement.start_date.asc().nulls_last(), Engagement.year, Engagement.number)
    ).all()
    ids = [e.id for e in engagements]
    figures = session_figures(ids)
    steps = latest_next_steps(ids)
    cases = []
    for engagement in engagements:
        figure = figures.get(engagement.id, SessionFigures())
        held_on, next_steps = steps.get(engagement.id, (None, ""))
        cases.append(MyCase(engagement, phase_entry(engagement.engagement_type, engagement.phase),
                            CaseHours(figure.hours, engagement.hour_budget),
                            figure.next_planned, next_steps.strip(), held_on))
    return cases


# --- the case overview ---------------------------------------------------------------------

SORT_LABELS = {
    "reference": _l("Reference"),
    "start": _l("Start date"),
    "end": _l("Planned end"),
    "municipality": _l("Municipality"),
    "hours": _l("Hours used"),
}
DEFAULT_SORT = "-reference"


@dataclass(frozen=True)
class CaseRow:
    engagement: Engagement
    consultants: list[User]
    hours: CaseHours


@dataclass(frozen=True)
class Filters:
    type_id: int | None
    status: EngagementStatus | None
    municipality: int | None
    consultant: int | None
    year: int | None
    sort: str


def _filters() -> Filters:
    args = request.args
    status = args.get("status")
    year = int_arg("year")
    sort = args.get("sort", DEFAULT_SORT)
    if sort.removeprefix("-") not in SORT_LABELS:
        sort = DEFAULT_SORT
    return Filters(
        type_id=int_arg("type"),
        status=EngagementStatus(status) if status in {s.value for s in EngagementStatus}
        else None,
        municipality=int_arg("municipality"),
        consultant=int_arg("consultant"),
        year=year if year and 1900 < year < 3000 else None,
        sort=sort)


def _overview_query(filters: Filters, today: date):
    hours = held_hours_by_case()
    query = (sa.select(Engagement)
             .outerjoin(hours, hours.c.engagement_id == Engagement.id)
             .options(selectinload(Engagement.members)))
    if filters.type_id:
        query = query.where(Engagement.engagement_type_id == filters.type_id)
    if filters.status:
        query = query.where(Engagement.status == filters.status)
    if filters.municipality:
        query = query.where(Engagement.municipality_code == filters.municipality)
    if filters.consultant:
        query = query.where(Engagement.id.in_(cases_of(filters.consultant, today)))
    if filters.year:
        query = query.where(starting_in(filters.year))
    key = filters.sort.removeprefix("-")
    if key == "municipality":
        query = query.join(Municipality, Municipality.code == Engagement.municipality_code)
    columns = {
        "reference": (Engagement.year, Engagement.number),
        "start": (Engagement.start_date,),
        "end": (Engagement.planned_end,),
        "municipality": (Municipality.name,),
        "hours": (sa.func.coalesce(hours.c.hours, 0),),
    }[key]
    descending = filters.sort.startswith("-")
    order = [(c.desc() if descending else c.asc()).nulls_last() for c in columns]
    return query.order_by(*order, Engagement.id.desc() if descending else Engagement.id)


@bp.route("/")
@role_required(Role.TEAM, Role.ADMIN)
def overview():
    today = local_today()
    filters = _filters()
    page = paginate(_overview_query(filters, today))
    figures = session_figures([e.id for e in page.items])
    rows = [CaseRow(e, _team(e, today),
                    CaseHours(figures.get(e.id, SessionFigures()).hours, e.hour_budget))
            for e in page.items]
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "engagements/overview.html", page=page, rows=rows, filters=filters, args=args,
        sort_labels=SORT_LABELS, statuses=list(EngagementStatus),
        types=db.session.scalars(sa.select(EngagementType).order_by(EngagementType.id)).all(),
        municipalities=db.session.scalars(
            sa.select(Municipality)
            .where(Municipality.code.in_(sa.select(Engagement.municipality_code)))
            .order_by(Municipality.name)).all(),
        consultants=db.session.scalars(
            sa.select(User).where(User.role == Role.CONSULTANT)
            .order_by(User.active.desc(), User.name)).all(),
        years=case_years())


# --- the consultants' load -----------------------------------------------------------------

def month_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar month holding `day`."""
    first = day.replace(day=1)
    after = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


def half_year_of(day: date) -> tuple[date, date]:
    """January–June or July–December holding `day`."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)


@dataclass(frozen=True)
class LoadRow:
    consultant: User
    open_cases: int
    month_hours: Decimal
    half_year_hours: Decimal


def consultant_load(today: date) -> list[LoadRow]:
    """One row per active consultant: open cases they are on, and the session hours of held
    sessions they were present at this month and this half-year. Three queries."""
    month_first, month_last = month_of(today)
    half_first, half_last = half_year_of(today)
    consultants = db.session.scalars(
        sa.select(User).where(User.role == Role.CONSULTANT, User.active)
        .order_by(User.name, User.id)).all()
    open_cases = dict(db.session.execute(
        sa.select(EngagementMember.user_id,
                  sa.func.count(sa.distinct(EngagementMember.engagement_id)))
        .join(EngagementMember.engagement)
        .where(Engagement.status.in_(OPEN_STATUSES), is_current_member(today))
        .group_by(EngagementMember.user_id)).all())
    in_month = EngagementSession.held_on.between(month_first, month_last)
    hours = {user_id: (Decimal(month or 0), Decimal(half or 0))
             for user_id, month, half in db.session.execute(
                 sa.select(SessionConsultant.user_id,
                           sa.func.sum(sa.case((in_month, EngagementSession.hours), else_=0)),
                           sa.func.sum(EngagementSession.hours))
                 .join(SessionConsultant.session)
                 .where(HELD, EngagementSession.held_on.between(half_first, half_last))
                 .group_by(SessionConsultant.user_id))}
    return [LoadRow(user, open_cases.get(user.id, 0),
                    *hours.get(user.id, (Decimal(0), Decimal(0))))
            for user in consultants]


@bp.route("/load")
@role_required(Role.TEAM, Role.ADMIN)
def load():
    today = local_today()
    page = paginate_list(consultant_load(today))
    return render_template("engagements/load.html", page=page, rows=page.items, today=today,
                           month=month_of(today), half_year=half_year_of(today))
