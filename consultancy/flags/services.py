"""The flag pass: store every case's phase and raise or resolve flags, set-based.

A few grouped queries gather the facts of all cases (aggregates over sessions, answers and
team), one the facts of undecided applications and one the open flags, all read as plain
rows on the session's connection; the rules of the catalogue (`consultancy.flags.catalogue`),
their thresholds resolved once per rule and type of course, and `phase_of` judge them; one
statement per kind of change writes the difference through Core on the connection (an
UPDATE … FROM of the phases that moved, an INSERT … SELECT of their history, an INSERT …
SELECT … ON CONFLICT DO NOTHING of the new flags per kind of subject, an UPDATE of those
resolved), each recorded in the audit trail as one summary with its row count, as the
session records an ORM bulk statement. The same `evaluate` serves the daily pass (all cases,
under the job claim) and the refresh after a change to one case, so a consultant who logs
the kick-off sees the baseline flag go at once.
"""
from __future__ import annotations

import gc
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
    User,
)
from consultancy.models.engagements import COUNTS
from consultancy.rules.flags import MILESTONE_FORMATS, MILESTONE_OCCASIONS, ApplicationFacts
from consultancy.rules.phases import CaseFacts, entered_on, phase_of
from consultancy.security.audit import record_bulk
from consultancy.services import Refusal
from consultancy.services.clock import local_zone, utcnow
from consultancy.services.jobs import run_job

UNDECIDED = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
MAX_SNOOZE = timedelta(days=90)
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


NO_SESSION = (None, None, None, None, None)  # first, last, by format


def case_rows(today: date, engagement_ids: Iterable[int] | None = None) -> list[CaseRow]:
    """The facts of every case (or of the given ones): the cases, and by case the
    aggregates of its held sessions, of its answers and of its team, each one grouped query
    read as plain rows on the session's connection and joined here by case (which costs
    less than having SQLite join the grouped subqueries)."""
    ids = None if engagement_ids is None else list(engagement_ids)

    def by_case(query: sa.Select, case_id: sa.ColumnElement) -> sa.Select:
        return query if ids is None else query.where(case_id.in_(ids))

    s = EngagementSession
    # Over held sessions only; their hours are the case's kept `hours_used`.
    sessions = by_case(sa.select(
        s.engagement_id, sa.func.min(s.held_on),
        sa.func.max(sa.case((s.held_on <= today, s.held_on))),
        *[sa.func.min(sa.case((s.format == session_format, s.held_on)))
          for session_format in MILESTONE_FORMATS.values()],
    ).where(COUNTS).group_by(s.engagement_id), s.engagement_id)
    answers = by_case(sa.select(
        Response.engagement_id,
        *[sa.func.min(sa.case((Response.occasion == occasion, Response.responded_on)))
          for occasion in MILESTONE_OCCASIONS.values()],
    ).where(Response.responded_on <= today).group_by(Response.engagement_id),
        Response.engagement_id)
    team = by_case(sa.select(EngagementMember.engagement_id, sa.func.count())
                   .where(EngagementMember.is_current(today))
                   .group_by(EngagementMember.engagement_id), EngagementMember.engagement_id)
    cases = by_case(sa.select(
        Engagement.id, Engagement.phase, Engagement.status, Engagement.start_date,
        Engagement.planned_end, Engagement.hour_budget, Engagement.hours_used,
        Engagement.engagement_type_id),
        Engagement.id)
    connection = db.session.connection()
    held = {case_id: rest for case_id, *rest in connection.execute(sessions).all()}
    answered = {case_id: rest for case_id, *rest in connection.execute(answers).all()}
    consultants = dict(connection.execute(team).all())
    types = {row.id: row for row in connection.execute(sa.select(
        EngagementType.id, EngagementType.code, EngagementType.phase_template,
        EngagementType.min_consultants))}
    cancelled, completed = EngagementStatus.CANCELLED, EngagementStatus.COMPLETED
    rows = []
    for case_id, phase, status, start_date, planned_end, hour_budget, hours_used, type_id \
            in connection.execute(cases).all():
        kind = types[type_id]
        first_held, last_held, *by_format = held.get(case_id, NO_SESSION)
        if case_id in answered:  # a milestone is the first of its session and its answers
            by_format = [_first(*days) for days in zip(by_format, answered[case_id])]
        baseline_on, midway_on, end_on = by_format
        rows.append(CaseRow(case_id, phase, kind.phase_template, CaseFacts(
            start_date, planned_end, hour_budget, hours_used, first_held,
            cancelled=status is cancelled, completed=status is completed,
            engagement_type=kind.code, last_session_on=last_held,
            baseline_on=baseline_on, midway_on=midway_on, end_on=end_on,
            consultants=consultants.get(case_id, 0), min_consultants=kind.min_consultants)))
    return rows


def _first(*days: date | None) -> date | None:
    return min(filter(None, days), default=None)


def application_facts() -> dict[int, ApplicationFacts]:
    rows = db.session.connection().execute(
        sa.select(Application.id, Application.submitted_at, Round.closes_on)
        .outerjoin(Round, Round.id == Application.round_id)
        .where(Application.status.in_(UNDECIDED)))
    return {application_id: ApplicationFacts(
        undecided=True,
        waiting_since=closes_on or submitted_at.astimezone(local_zone()).date())
        for application_id, submitted_at, closes_on in rows}


def _holding(rows: list[CaseRow], applications: dict[int, ApplicationFacts],
             rules: dict[str, FlagRule], today: date) -> dict[Key, dict]:
    """What holds, by subject: each enabled rule's thresholds resolved once per type of
    course (once for applications), then its condition judged on every subject."""
    holding: dict[Key, dict] = {}
    kinds = {row.facts.engagement_type for row in rows}
    for code, spec in CASE_RULES.items():
        setting = rules[code]
        if not setting.enabled:
            continue
        params = {kind: spec.params(setting, kind) for kind in kinds}
        condition = spec.condition
        for row in rows:
            facts = row.facts
            if (detail := condition(facts, params[facts.engagement_type], today)) is not None:
                holding[code, row.id, None] = detail
    for code, spec in APPLICATION_RULES.items():
        setting = rules[code]
        if not setting.enabled:
            continue
        params, condition = spec.params(setting), spec.condition
        for application_id, facts in applications.items():
            if (detail := condition(facts, params, today)) is not None:
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
    query = sa.select(Flag.rule_code, Flag.engagement_id, Flag.application_id, Flag.id).where(
        Flag.is_open)
    if engagement_ids is not None:
        query = query.where(Flag.engagement_id.in_(engagement_ids))
    return {(code, engagement_id, application_id): flag_id
            for code, engagement_id, application_id, flag_id
            in db.session.connection().execute(query)}


# --- writing: one statement per kind of change, on the connection ----------------------------

def _rows(rows: list[dict], **columns: sa.types.TypeEngine) -> sa.FromClause:
    """`rows` as a table with `columns`, from one JSON parameter read by the database
    (PostgreSQL's jsonb_to_recordset, SQLite's json_each): a statement reading it is
    compiled once whatever the number of rows, and no list of VALUES runs into a
    database's limit on parameters."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.jsonb_to_recordset(sa.bindparam("rows", rows, postgresql.JSONB)) \
            .table_valued(*(sa.column(name, type_) for name, type_ in columns.items())) \
            .render_derived("v", with_types=True)
    each = sa.func.json_each(sa.bindparam("rows", rows, sa.JSON)).table_valued("value")
    return sa.select(*(sa.type_coerce(sa.func.json_extract(each.c.value, f"$.{name}"), type_)
                       .label(name) for name, type_ in columns.items())) \
        .select_from(each).subquery("v")


def _write(statement, table: sa.Table, action: str) -> int:
    """Execute a bulk statement on the session's connection and record it in the audit
    trail as the session records an ORM bulk statement: one summary with its row count."""
    connection = db.session.connection()
    count = connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    record_bulk(connection, action, table.name, count)
    return count


def _raise(keys: list[Key], holding: dict[Key, dict], today: date) -> int:
    """Insert new open flags, one statement per kind of subject (case, application); one
    already opened by a simultaneous refresh is left alone (ON CONFLICT DO NOTHING)."""
    flags = Flag.__table__
    now = utcnow()
    raised = 0
    for subject in ("engagement_id", "application_id"):
        rows = [{"rule_code": code, "subject": engagement_id or application_id,
                 "detail": holding[code, engagement_id, application_id]}
                for code, engagement_id, application_id in keys
                if (engagement_id is not None) == (subject == "engagement_id")]
        if not rows:
            continue
        new = _rows(rows, rule_code=sa.String(), subject=sa.Integer(),
                    detail=flags.c.detail.type)
        source = sa.select(new.c.rule_code, new.c.subject,
                           sa.literal(today, flags.c.raised_on.type),
                           sa.literal(now, flags.c.raised_at.type), new.c.detail
                           ).where(sa.true())  # SQLite: ON CONFLICT after a SELECT's WHERE
        statement = _insert()(flags).from_select(
            ["rule_code", subject, "raised_on", "raised_at", "detail"], source
        ).on_conflict_do_nothing(index_elements=["rule_code", subject],
                                 index_where=flags.c.resolved_on.is_(None))
        raised += _write(statement, flags, "create")
    return raised


def _resolve(flag_ids: list[int], today: date) -> int:
    flags = Flag.__table__
    ids = _rows([{"id": flag_id} for flag_id in sorted(flag_ids)], id=sa.Integer())
    return _write(sa.update(flags).where(flags.c.id.in_(sa.select(ids.c.id)),
                                         flags.c.resolved_on.is_(None))
                  .values(resolved_on=today), flags, "update")


def _store_phases(rows: list[CaseRow], today: date) -> int:
    """Store the phases that moved (one UPDATE … FROM the moved rows) and their history
    (one INSERT … SELECT from the same rows)."""
    moves = [{"id": row.id, "from_phase": row.phase, "phase": phase,
              "entered_on": entered_on(row.template, row.facts, phase, today).isoformat()}
             for row in rows
             if (phase := phase_of(row.template, row.facts, today)) != row.phase]
    if not moves:
        return 0
    engagements, changes = Engagement.__table__, EngagementPhaseChange.__table__
    moved = _rows(moves, id=sa.Integer(), from_phase=sa.String(), phase=sa.String(),
                  entered_on=sa.Date())
    _write(sa.update(engagements).where(engagements.c.id == moved.c.id)
           .values(phase=moved.c.phase), engagements, "update")
    _write(sa.insert(changes).from_select(
        ["engagement_id", "from_phase", "phase", "entered_on", "recorded_at"],
        sa.select(moved.c.id, moved.c.from_phase, moved.c.phase, moved.c.entered_on,
                  sa.literal(utcnow(), changes.c.recorded_at.type))), changes, "create")
    return len(moves)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector for the block. A pass over every case builds tens of
    thousands of small objects that live until it ends (facts, details, keys) and makes no
    cycles; the collector, triggered by their number, would walk the app's whole heap
    several times over and take a third of the pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def evaluate(today: date, engagement_ids: Iterable[int] | None = None) -> PassCounts:
    """Bring phases and flags up to date for `today`: for every case and application, or
    only for the given cases. Running it again changes nothing."""
    with _without_cycle_collection():
        return _evaluate(today, engagement_ids)


def _evaluate(today: date, engagement_ids: Iterable[int] | None) -> PassCounts:
    db.session.flush()  # the facts are read on the connection, which does not autoflush
    ids = None if engagement_ids is None else list(engagement_ids)
    rows = case_rows(today, ids)
    applications = application_facts() if ids is None else {}
    holding = _holding(rows, applications, stored_rules(), today)
    open_flags = _open_flags(ids)
    counts = PassCounts(phases=_store_phases(rows, today))
    if new := holding.keys() - open_flags.keys():
        counts.raised = _raise(sorted(new, key=lambda k: (k[0], k[1] or 0, k[2] or 0)),
                               holding, today)
    if gone := open_flags.keys() - holding.keys():
        counts.resolved = _resolve([open_flags[k] for k in gone], today)
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
