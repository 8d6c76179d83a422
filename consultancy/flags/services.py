"""The flag pass: store every case's phase and raise or resolve flags, set-based.

One query gathers the facts of all cases (aggregates over sessions and team), one the
facts of undecided applications and one the open flags; the rules of the catalogue
(`consultancy.flags.catalogue`) and `phase_of` judge them; a few bulk statements write the
difference. The same `evaluate` serves the daily pass (all cases, under the job claim) and
the refresh after a change to one case, so a consultant who logs the kick-off sees the
baseline flag go at once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from consultancy.extensions import db
from consultancy.flags.catalogue import APPLICATION_RULES, CASE_RULES, CATALOGUE
from consultancy.models import (
    Application,
    ApplicationStatus,
    Engagement,
    EngagementMember,
    EngagementPhaseChange,
    EngagementSession,
    EngagementStatus,
    EngagementType,
    Flag,
    FlagEvent,
    FlagEventKind,
    FlagRule,
    JobRun,
    Response,
    Round,
    SessionStatus,
    User,
)
from consultancy.rules.flags import MILESTONE_FORMATS, MILESTONE_OCCASIONS, ApplicationFacts
from consultancy.rules.phases import CaseFacts, entered_on, phase_of
from consultancy.services import Refusal
from consultancy.services.clock import local_zone, utcnow
from consultancy.services.jobs import run_job

UNDECIDED = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
MAX_SNOOZE = timedelta(days=90)
CHUNK = 900  # ids per IN (...) list, below every database's limit on parameters
JUDGE_ON = "flags_judge_on"  # in the session's info: the day of `judging_as_of`

# A flag's subject: (rule code, engagement id, application id), one of the ids None.
Key = tuple[str, int | None, int | None]


@dataclass
class PassCounts:
    raised: int = 0
    resolved: int = 0
    phases: int = 0


@dataclass(frozen=True)
class CaseRow:
    id: int
    phase: str | None
    template: list
    facts: CaseFacts


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def case_rows(today: date, engagement_ids: Iterable[int] | None = None) -> list[CaseRow]:
    """The facts of every case (or of the given ones), from one aggregate query."""
    s = EngagementSession
    held = s.status == SessionStatus.HELD
    sessions = sa.select(
        s.engagement_id,
        sa.func.min(sa.case((held, s.held_on))).label("first_held"),
        sa.func.max(sa.case((sa.and_(held, s.held_on <= today), s.held_on))).label("last_held"),
        *[sa.func.min(sa.case((sa.and_(held, s.format == session_format), s.held_on)))
          .label(name) for name, session_format in MILESTONE_FORMATS.items()],
    ).group_by(s.engagement_id)
    responses = sa.select(
        Response.engagement_id,
        *[sa.func.min(sa.case((Response.occasion == occasion, Response.responded_on)))
          .label(name) for name, occasion in MILESTONE_OCCASIONS.items()],
    ).where(Response.responded_on <= today).group_by(Response.engagement_id)
    team = (sa.select(EngagementMember.engagement_id, sa.func.count().label("consultants"))
            .where(EngagementMember.is_current(today)).group_by(EngagementMember.engagement_id))
    cases = sa.select(
        Engagement.id, Engagement.phase, Engagement.status, Engagement.start_date,
        Engagement.planned_end, Engagement.hour_budget, Engagement.hours_used,
        Engagement.engagement_type_id)
    if engagement_ids is not None:
        ids = list(engagement_ids)
        sessions = sessions.where(s.engagement_id.in_(ids))
        responses = responses.where(Response.engagement_id.in_(ids))
        team = team.where(EngagementMember.engagement_id.in_(ids))
        cases = cases.where(Engagement.id.in_(ids))
    sessions, team = sessions.subquery("s"), team.subquery("t")
    responses = responses.subquery("r")
    query = (cases.add_columns(sessions, team.c.consultants,
                               *[responses.c[name].label(f"answered_{name}")
                                 for name in MILESTONE_OCCASIONS])
             .outerjoin(sessions, sessions.c.engagement_id == Engagement.id)
             .outerjoin(responses, responses.c.engagement_id == Engagement.id)
             .outerjoin(team, team.c.engagement_id == Engagement.id))
    types = {t.id: t for t in db.session.scalars(sa.select(EngagementType))}
    rows = []
    for row in db.session.execute(query):
        kind = types[row.engagement_type_id]
        rows.append(CaseRow(row.id, row.phase, kind.phase_template, CaseFacts(
            start_date=row.start_date, planned_end=row.planned_end,
            hour_budget=row.hour_budget, hours_used=row.hours_used,
            first_session_on=row.first_held,
            cancelled=row.status is EngagementStatus.CANCELLED,
            completed=row.status is EngagementStatus.COMPLETED,
            engagement_type=kind.code, last_session_on=row.last_held,
            **{name: _first(getattr(row, name), getattr(row, f"answered_{name}"))
               for name in MILESTONE_OCCASIONS},
            consultants=row.consultants or 0, min_consultants=kind.min_consultants)))
    return rows


def _first(*days: date | None) -> date | None:
    return min(filter(None, days), default=None)


def application_facts() -> dict[int, ApplicationFacts]:
    rows = db.session.execute(
        sa.select(Application.id, Application.submitted_at, Round.closes_on)
        .outerjoin(Round, Round.id == Application.round_id)
        .where(Application.status.in_(UNDECIDED)))
    return {row.id: ApplicationFacts(
        undecided=True,
        waiting_since=row.closes_on or row.submitted_at.astimezone(local_zone()).date())
        for row in rows}


def _holding(rows: list[CaseRow], applications: dict[int, ApplicationFacts],
             rules: dict[str, FlagRule], today: date) -> dict[Key, dict]:
    holding: dict[Key, dict] = {}
    for code, spec in CASE_RULES.items():
        setting = rules[code]
        if not setting.enabled:
            continue
        params: dict[str, dict] = {}  # by type of course
        for row in rows:
            kind = row.facts.engagement_type
            if kind not in params:
                params[kind] = spec.params(setting, kind)
            if (detail := spec(row.facts, params[kind], today)) is not None:
                holding[code, row.id, None] = detail
    for code, spec in APPLICATION_RULES.items():
        setting = rules[code]
        if not setting.enabled:
            continue
        params = spec.params(setting)
        for application_id, facts in applications.items():
            if (detail := spec(facts, params, today)) is not None:
                holding[code, None, application_id] = detail
    return holding


def _insert():
    """INSERT with ON CONFLICT, in the dialect at hand."""
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert


def stored_rules() -> dict[str, FlagRule]:
    """The stored setting of every rule, by code, after storing those of the rules in the
    catalogue that have none yet, with their defaults.

    This is how a new rule gets its row, instead of a migration: each flag pass (the daily
    one, the scheduler's catch-up at start-up and the refresh after any change to a case)
    runs it before judging, so a rule added to the catalogue is stored, judged and
    editable on the admin page from the first pass after the deployment. It costs nothing
    when no rule is missing (the rows are read anyway), is one INSERT when one is, and two
    passes storing the same rule at once leave one row (ON CONFLICT DO NOTHING). Migration
    0004 stored the first rules; it stays as it is.
    """
    rules = {rule.code: rule for rule in db.session.scalars(sa.select(FlagRule))}
    missing = [spec for code, spec in CATALOGUE.items() if code not in rules]
    if not missing:
        return rules
    last = max((rule.position for rule in rules.values()), default=0)
    db.session.execute(_insert()(FlagRule).on_conflict_do_nothing(index_elements=["code"]), [
        {"code": spec.code, "position": last + number, "severity": spec.severity,
         "enabled": True, "params": spec.defaults, "type_params": spec.type_defaults}
        for number, spec in enumerate(missing, start=1)])
    return {rule.code: rule for rule in db.session.scalars(sa.select(FlagRule))}


def _open_flags(engagement_ids: list[int] | None) -> dict[Key, int]:
    query = sa.select(Flag.id, Flag.rule_code, Flag.engagement_id, Flag.application_id).where(
        Flag.is_open)
    if engagement_ids is not None:
        query = query.where(Flag.engagement_id.in_(engagement_ids))
    return {(row.rule_code, row.engagement_id, row.application_id): row.id
            for row in db.session.execute(query)}


def _raise(keys: list[Key], holding: dict[Key, dict], today: date) -> int:
    """Insert new open flags; one already opened by a simultaneous refresh is left alone."""
    if not keys:
        return 0
    insert = _insert()
    now = utcnow()
    raised = 0
    for subject in ("engagement_id", "application_id"):
        rows = [{"rule_code": code, "engagement_id": engagement_id,
                 "application_id": application_id, "raised_on": today, "raised_at": now,
                 "detail": holding[code, engagement_id, application_id]}
                for code, engagement_id, application_id in keys
                if (engagement_id is not None) == (subject == "engagement_id")]
        if rows:
            statement = insert(Flag).on_conflict_do_nothing(
                index_elements=["rule_code", subject],
                index_where=Flag.resolved_on.is_(None)).returning(Flag.id)
            raised += len(db.session.execute(statement, rows).all())
    return raised


def _resolve(flag_ids: list[int], today: date) -> int:
    resolved = 0
    for chunk in _chunks(sorted(flag_ids)):
        resolved += db.session.execute(
            sa.update(Flag).where(Flag.id.in_(chunk), Flag.is_open)
            .values(resolved_on=today).execution_options(synchronize_session=False)).rowcount
    return resolved


def _store_phases(rows: list[CaseRow], today: date) -> int:
    moves = [(row, phase) for row in rows
             if (phase := phase_of(row.template, row.facts, today)) != row.phase]
    by_phase: dict[str | None, list[int]] = defaultdict(list)
    for row, phase in moves:
        by_phase[phase].append(row.id)
    for phase, ids in by_phase.items():
        for chunk in _chunks(ids):
            db.session.execute(sa.update(Engagement).where(Engagement.id.in_(chunk))
                               .values(phase=phase)
                               .execution_options(synchronize_session=False))
    if moves:
        now = utcnow()
        db.session.execute(sa.insert(EngagementPhaseChange), [
            {"engagement_id": row.id, "from_phase": row.phase, "phase": phase,
             "entered_on": entered_on(row.template, row.facts, phase, today),
             "recorded_at": now}
            for row, phase in moves])
    return len(moves)


def evaluate(today: date, engagement_ids: Iterable[int] | None = None) -> PassCounts:
    """Bring phases and flags up to date for `today`: for every case and application, or
    only for the given cases. Running it again changes nothing."""
    ids = None if engagement_ids is None else list(engagement_ids)
    rows = case_rows(today, ids)
    applications = application_facts() if ids is None else {}
    holding = _holding(rows, applications, stored_rules(), today)
    open_flags = _open_flags(ids)
    counts = PassCounts(phases=_store_phases(rows, today))
    counts.raised = _raise(sorted(holding.keys() - open_flags.keys(),
                                  key=lambda k: (k[0], k[1] or 0, k[2] or 0)), holding, today)
    counts.resolved = _resolve([open_flags[k] for k in open_flags.keys() - holding.keys()],
                               today)
    return counts


def open_flag_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Flag.is_open))


@dataclass(frozen=True)
class PassResult:
    run: JobRun
    counts: PassCounts
    open: int

    def summary(self) -> str:
        return (f"raised {self.counts.raised}, resolved {self.counts.resolved}, "
                f"open {self.open}")


@contextmanager
def judging_as_of(today: date) -> Iterator[None]:
    """Inside the block, the cases a commit has changed are judged as of `today`
    (`consultancy.flags.refresh`), not as of the clock's day: for callers acting for
    another day, such as a pass run with `--today`."""
    info = db.session.info
    outer = info.get(JUDGE_ON)
    info[JUDGE_ON] = today
    try:
        yield
    finally:
        if outer is None:
            info.pop(JUDGE_ON, None)
        else:
            info[JUDGE_ON] = outer


def run_pass(today: date) -> PassResult:
    """One pass over everything for `today`, unless another pass holds the claim (then this
    one is recorded as skipped and changes nothing)."""
    with judging_as_of(today):
        run = run_job("flags", today, lambda: asdict(evaluate(today)))
    counts = PassCounts(**run.counts) if run.counts else PassCounts()
    return PassResult(run, counts, open_flag_count())


# --- what people do with a flag ----------------------------------------------------------

def acknowledge(flag: Flag, actor: User, comment: str, now: datetime) -> None:
    """Note that someone has seen the flag and what is being done; it stays open until its
    condition stops holding."""
    if not flag.is_open:
        raise Refusal(_("The flag is already resolved."), "comment")
    if not comment.strip():
        raise Refusal(_("Say what is being done about it."), "comment")
    flag.acknowledged_at, flag.acknowledged_by = now, actor
    flag.acknowledgement = comment.strip()
    flag.events.append(FlagEvent(kind=FlagEventKind.ACKNOWLEDGED, at=now, by=actor,
                                 comment=comment.strip()))
    db.session.flush()


def snooze(flag: Flag, actor: User, until: date, comment: str, today: date,
           now: datetime) -> None:
    """Hide the flag until `until`; it comes back that day if its condition still holds."""
    if not flag.is_open:
        raise Refusal(_("The flag is already resolved."), "until")
    if until <= today:
        raise Refusal(_("Choose a day after today."), "until")
    if until > today + MAX_SNOOZE:
        raise Refusal(_("A flag can be snoozed for at most 90 days."), "until")
    flag.snoozed_until = until
    flag.events.append(FlagEvent(kind=FlagEventKind.SNOOZED, at=now, by=actor,
                                 comment=comment.strip(), snoozed_until=until))
    db.session.flush()
