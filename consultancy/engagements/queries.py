"""Read models of cases: the where-clauses and subqueries shared by pages, exports and the
flag pass; what the case page loads; the choices its forms offer; and the figures across
cases (the overview, the consultants' load, a consultant's own cases).

Every list runs a fixed number of queries whatever its row count, and reads what a case's
sessions add up to from the figures kept on the case (`Engagement.hours_used`,
`last_session_on`, `next_session_on`; `engagements.activity`) instead of summing sessions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload, undefer

from consultancy.extensions import db
from consultancy.flags.catalogue import CATALOGUE
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    FlagRule,
    MemberRole,
    Municipality,
    Role,
    SessionConsultant,
    User,
)
from consultancy.models.engagements import COUNTS
from consultancy.rules.engagements import Budget, half_year_of, month_of, warning_share
from consultancy.rules.phases import phase_entry
from consultancy.services.clock import local_zone

OPEN_STATUSES = (EngagementStatus.PLANNED, EngagementStatus.ACTIVE)
ACTIVE_CONSULTANT = sa.and_(User.role == Role.CONSULTANT, User.active)


def cases_of(user_id: int, today: date):
    """The ids of the cases `user_id` is currently on (a subquery)."""
    return sa.select(EngagementMember.engagement_id).where(
        EngagementMember.user_id == user_id, EngagementMember.is_current(today))


def starting_in(year: int):
    """Cases starting in `year`, or, without a start date, created in it (in TIMEZONE)."""
    first, after, zone = date(year, 1, 1), date(year + 1, 1, 1), local_zone()
    return sa.or_(
        sa.and_(Engagement.start_date >= first, Engagement.start_date < after),
        sa.and_(Engagement.start_date.is_(None),
                Engagement.created_at >= datetime(year, 1, 1, tzinfo=zone),
                Engagement.created_at < datetime(year + 1, 1, 1, tzinfo=zone)))


def case_years() -> list[int]:
    """The years cases start (or, without a start date, were created) in, newest first."""
    first_start, last_start, first_created, last_created = db.session.execute(sa.select(
        sa.func.min(Engagement.start_date), sa.func.max(Engagement.start_date),
        sa.func.min(Engagement.created_at), sa.func.max(Engagement.created_at))).one()
    years = [d.year for d in (first_start, last_start) if d is not None]
    years += [d.astimezone(local_zone()).year for d in (first_created, last_created)
              if d is not None]
    if not years:
        return []
    return list(range(max(years), min(years) - 1, -1))


# --- one case ------------------------------------------------------------------------------

CONSULTANT_HOURS = undefer(Engagement.consultant_hours)
"""Load a case with its consultant hours (summed in the same query)."""

CASE_PAGE = (
    CONSULTANT_HOURS, selectinload(Engagement.units), selectinload(Engagement.themes),
    selectinload(Engagement.contacts), selectinload(Engagement.status_changes),
    selectinload(Engagement.phase_changes), selectinload(Engagement.flags),
    selectinload(Engagement.application))
"""What the case page shows, loaded in a fixed number of queries whatever the case's
history: neither its sessions nor its responses (the timeline reads the sessions it shows
and counts the responses by occasion)."""


def case_query(engagement_id: int, *loads):
    """The case with its team (what the right to it is judged by) and the given `loads`."""
    return (sa.select(Engagement).where(Engagement.id == engagement_id)
            .options(selectinload(Engagement.members), *loads))


def case_page_query(engagement_id: int):
    return case_query(engagement_id, *CASE_PAGE)


WarningShare = Callable[[str | None], Decimal]


def budget_warning_share() -> WarningShare:
    """The share of its hour budget at which a case warns, by its type of course's code: the
    administrator's setting of the flag rule `hours_nearly_used`, so the budget bar, the
    overview and the flag agree. The one place that reads it: one query, for a whole list."""
    spec = CATALOGUE["hours_nearly_used"]
    rule = db.session.get(FlagRule, spec.code)
    return lambda type_code: warning_share(
        (spec.params(rule, type_code) if rule else spec.defaults)["percent"])


def case_budget(engagement: Engagement, share: WarningShare | None = None,
                consultant_hours: Decimal | None = None) -> Budget:
    """The case's hours against its budget, from the hours kept on it; a list passes the
    `budget_warning_share()` it read once, the case page the consultant hours it loaded
    (`CONSULTANT_HOURS`)."""
    share = share or budget_warning_share()
    return Budget(engagement.hour_budget, engagement.hours_used, consultant_hours,
                  share(engagement.engagement_type.code))


def current_members(engagement: Engagement, today: date) -> list[EngagementMember]:
    return [m for m in engagement.members if m.is_current(today)]


def session_exists(session_id: int) -> bool:
    return bool(db.session.scalar(sa.select(
        sa.exists().where(EngagementSession.id == session_id))))


# --- what the forms offer ------------------------------------------------------------------

def consultants(active_only: bool = True) -> list[User]:
    """Consultants by name: those who may be put on a case, or all (for the filters)."""
    query = sa.select(User).where(ACTIVE_CONSULTANT if active_only
                                  else User.role == Role.CONSULTANT)
    return list(db.session.scalars(query.order_by(User.active.desc(), User.name)))


def units_of(municipality_code: int) -> list[DaycareUnit]:
    return list(db.session.scalars(sa.select(DaycareUnit).where(
        DaycareUnit.municipality_code == municipality_code).order_by(DaycareUnit.name)))


def municipalities(with_cases: bool = False) -> list[Municipality]:
    """Every municipality by name, or those that have cases."""
    query = sa.select(Municipality).order_by(Municipality.name)
    if with_cases:
        query = query.where(Municipality.code.in_(sa.select(Engagement.municipality_code)))
    return list(db.session.scalars(query))


# --- a consultant's own cases (the start page) ---------------------------------------------

def latest_next_steps(engagement_ids: list[int]) -> dict[int, tuple[date, str]]:
    """The agreed next steps of each case's most recent held session, in one query that
    reads only the sessions of the case's last day (`Engagement.last_session_on`)."""
    ranked = (sa.select(
        EngagementSession.engagement_id, EngagementSession.held_on,
        EngagementSession.next_steps,
        sa.func.row_number().over(
            partition_by=EngagementSession.engagement_id,
            order_by=EngagementSession.id.desc()).label("position"))
        .join(Engagement, sa.and_(Engagement.id == EngagementSession.engagement_id,
                                  Engagement.last_session_on == EngagementSession.held_on))
        .where(COUNTS, EngagementSession.engagement_id.in_(engagement_ids))
        .subquery("ranked"))
    rows = db.session.execute(sa.select(ranked.c.engagement_id, ranked.c.held_on,
                                        ranked.c.next_steps).where(ranked.c.position == 1))
    return {case_id: (held_on, next_steps) for case_id, held_on, next_steps in rows}


@dataclass(frozen=True)
class MyCase:
    engagement: Engagement
    phase: dict | None
    hours: Budget
    next_planned: date | None
    next_steps: str
    next_steps_from: date | None


def my_active_cases(user: User, today: date) -> list[MyCase]:
    """The planned and active cases the consultant is on today, with their figures:
    a fixed number of queries whatever the number of cases."""
    engagements = db.session.scalars(
        sa.select(Engagement)
        .where(Engagement.status.in_(OPEN_STATUSES),
               Engagement.id.in_(cases_of(user.id, today)))
        .order_by(Engagement.start_date.asc().nulls_last(), Engagement.year, Engagement.number)
    ).all()
    steps = latest_next_steps([e.id for e in engagements])
    share = budget_warning_share()
    cases = []
    for engagement in engagements:
        held_on, next_steps = steps.get(engagement.id, (None, ""))
        cases.append(MyCase(engagement, phase_entry(engagement.engagement_type.phase_template,
                                                        engagement.phase),
                            case_budget(engagement, share), engagement.next_session_on,
                            next_steps.strip(), held_on))
    return cases


# --- the case overview ---------------------------------------------------------------------

@dataclass(frozen=True)
class CaseFilters:
    type_id: int | None
    status: EngagementStatus | None
    municipality: int | None
    consultant: int | None
    year: int | None
    sort: str  # a key of SORT_COLUMNS, "-" first for descending


SORT_COLUMNS = {
    "reference": (Engagement.year, Engagement.number),
    "start": (Engagement.start_date,),
    "end": (Engagement.planned_end,),
    "municipality": (Municipality.name,),
    "hours": (Engagement.hours_used,),
}


def overview_query(filters: CaseFilters, today: date):
    """The cases passing `filters`, in their order, with their team and hours (kept on the
    case). Type and municipality come in queries of their own, so the database sorts the
    narrow rows of the cases, not their join."""
    query = sa.select(Engagement).options(
        selectinload(Engagement.members), selectinload(Engagement.engagement_type),
        selectinload(Engagement.municipality))
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
    descending = filters.sort.startswith("-")
    order = [(c.desc() if descending else c.asc()).nulls_last() for c in SORT_COLUMNS[key]]
    return query.order_by(*order, Engagement.id.desc() if descending else Engagement.id)


@dataclass(frozen=True)
class CaseRow:
    engagement: Engagement
    consultants: list[User]
    hours: Budget


def _team(engagement: Engagement, today: date) -> list[User]:
    members = sorted(current_members(engagement, today),
                     key=lambda m: (m.role is not MemberRole.LEAD, m.user.name.casefold()))
    return [m.user for m in members]


def case_rows(engagements: list[Engagement], today: date) -> list[CaseRow]:
    """The overview's rows of cases loaded by `overview_query`: no further query."""
    share = budget_warning_share()
    return [CaseRow(e, _team(e, today), case_budget(e, share)) for e in engagements]


# --- the consultants' load -----------------------------------------------------------------

@dataclass(frozen=True)
class LoadRow:
    consultant: User
    open_cases: int
    month_hours: Decimal
    half_year_hours: Decimal


def consultant_load(today: date) -> list[LoadRow]:
    """One row per active consultant: open cases they are on, and the session hours of held
    sessions they were present at this month and this half-year. Three queries; the hours
    read only the half-year's sessions (by their day), summed per consultant in one pass."""
    consultants = db.session.scalars(
        sa.select(User).where(ACTIVE_CONSULTANT).order_by(User.name, User.id)).all()
    open_cases = dict(db.session.execute(
        sa.select(EngagementMember.user_id,
                  sa.func.count(sa.distinct(EngagementMember.engagement_id)))
        .join(EngagementMember.engagement)
        .where(Engagement.status.in_(OPEN_STATUSES), EngagementMember.is_current(today))
        .group_by(EngagementMember.user_id)).all())
    in_month = EngagementSession.held_on.between(*month_of(today))
    in_half_year = sa.and_(COUNTS, EngagementSession.held_on.between(*half_year_of(today)))
    hours = {user_id: (month, half) for user_id, month, half in db.session.execute(
        sa.select(SessionConsultant.user_id,
                  sa.func.sum(sa.case((in_month, EngagementSession.hours), else_=0)),
                  sa.func.sum(EngagementSession.hours))
        .join(EngagementSession, EngagementSession.id == SessionConsultant.session_id)
        .where(in_half_year, _among(SessionConsultant.session_id,
                                    sa.select(EngagementSession.id).where(in_half_year)))
        .group_by(SessionConsultant.user_id))}
    none = (Decimal(0), Decimal(0))
    return [LoadRow(user, open_cases.get(user.id, 0), *hours.get(user.id, none))
            for user in consultants]


def _among(column, ids: sa.Select) -> sa.ColumnElement[bool]:
    """`column IN ids`, which PostgreSQL is told as `= ANY(ARRAY(ids))`: probes of the
    column's index for a few thousand ids, where its planner would otherwise hash the
    whole table (every session's consultants, to keep a half-year's)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.func.array(ids.scalar_subquery()))
    return column.in_(ids)
