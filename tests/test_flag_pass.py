"""The flag pass: phases stored with their history, flags raised and resolved, one pass at
a time, and every change to a case judged again before it is committed."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from consultancy import create_app
from consultancy.engagements import services
from consultancy.extensions import db
from consultancy.flags import services as flags
from consultancy.models import (
    Application,
    AuditEntry,
    Engagement,
    EngagementStatus,
    Flag,
    FlagRule,
    JobClaim,
    JobRun,
    RunStatus,
    SessionFormat,
)
from consultancy.rules.engagements import add_months
from consultancy.services.clock import utcnow
from consultancy.services.jobs import run_job
from tests.conftest import HANG_TIMEOUT, TODAY, app_config, build_case, scratch_database


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def active_case(**changes) -> dict:
    """`build_case` options for the usual case here: an active one-year course in Morsø that
    started ten days ago, with two new consultants and its kick-off (2 hours) held that day."""
    return dict(type_code="one_year", status=EngagementStatus.ACTIVE, start=-10,
                new_consultants=2, sessions=[(-10, 2, SessionFormat.KICKOFF)]) | changes


def open_flags(app, engagement_id=None) -> list[str]:
    with app.app_context():
        query = sa.select(Flag.rule_code).where(Flag.resolved_on.is_(None))
        if engagement_id is not None:
            query = query.where(Flag.engagement_id == engagement_id)
        return sorted(db.session.scalars(query))


def flags_run(runner, day: date):
    return runner.invoke(args=["flags", "run", "--today", day.isoformat()])


def test_a_pass_flags_a_case_gone_quiet_and_a_second_pass_changes_nothing(app, runner,
                                                                          make_case):
    engagement_id = make_case(**active_case())
    assert open_flags(app) == []
    result = flags_run(runner, days(40))  # 50 days after the kick-off
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("raised 1, resolved 0, open 1")
    assert open_flags(app, engagement_id) == ["no_recent_activity"]
    again = flags_run(runner, days(40))
    assert again.output.strip().endswith("raised 0, resolved 0, open 1")
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag))
        assert flag.raised_on == days(40)
        assert flag.detail == {"since": days(-10).isoformat(), "days": 50, "session": True}
        runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
        assert [(r.status, r.run_on, r.counts["raised"]) for r in runs] == [
            (RunStatus.DONE, days(40), 1), (RunStatus.DONE, days(40), 0)]
        assert all(r.finished_at >= r.started_at for r in runs)


def test_a_flag_is_resolved_when_its_condition_stops_holding(app, runner, make_case):
    make_case(**active_case())
    flags_run(runner, days(40))
    result = flags_run(runner, days(1))  # judged as of an earlier day, it no longer holds
    assert result.output.strip().endswith("raised 0, resolved 1, open 0")
    with app.app_context():
        assert db.session.scalar(sa.select(Flag.resolved_on)) == days(1)
    # It holds again later: a new flag, the old one stays in the history.
    assert flags_run(runner, days(45)).output.strip().endswith("raised 1, resolved 0, open 1")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 2


def test_the_pass_stores_the_phase_and_dates_its_history(app, runner, make_case):
    engagement_id = make_case(**active_case(start=-10))
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).phase == "startup"
    flags_run(runner, days(40))
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement.phase == "implementation"
        history = [(c.from_phase, c.phase, c.entered_on) for c in engagement.phase_changes]
    # Opened after its start day, the case went straight into its start-up phase; the pass
    # 40 days later dates implementation from the boundary, not from the day it noticed.
    assert history == [(None, "startup", days(-10)),
                       ("startup", "implementation", add_months(days(-10), 1))]


def test_logging_the_kick_off_resolves_the_baseline_flag_at_once(app, make_case):
    engagement_id = make_case(**active_case(start=-40, sessions=(), new_consultants=1))
    assert open_flags(app, engagement_id) == ["baseline_missing", "team_incomplete"]
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        consultant = engagement.members[0].user
        services.log_session(engagement, services.SessionData(
            held_on=TODAY, hours=Decimal("3"), format=SessionFormat.KICKOFF, sub_format=None,
            consultant_ids=[consultant.id], unit_ids=[engagement.units[0].unit_id],
            summary="Opstartsmøde med ledelsen"), consultant, TODAY)
        db.session.commit()
    assert open_flags(app, engagement_id) == ["team_incomplete"]
    with app.app_context():
        resolved = db.session.scalar(sa.select(Flag).where(Flag.rule_code == "baseline_missing"))
        assert resolved.resolved_on == TODAY


def test_a_change_made_for_another_day_is_judged_as_of_that_day(app, make_case):
    """A writer acting for another day names it; the commit's refresh judges the case as
    of that day, not as of the clock's."""
    engagement_id = make_case(**active_case())
    later = days(40)
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        consultant = engagement.members[0].user
        with flags.judging_as_of(later):
            services.log_session(engagement, services.SessionData(
                held_on=days(-5), hours=Decimal("2"), format=SessionFormat.OTHER,
                sub_format=None, consultant_ids=[consultant.id],
                unit_ids=[engagement.units[0].unit_id], summary="Sparring"), consultant, later)
            db.session.commit()
    assert open_flags(app, engagement_id) == ["no_recent_activity"]  # 45 days on that day
    with app.app_context():
        assert db.session.scalar(sa.select(Flag.raised_on)) == later


def test_a_pass_for_another_day_judges_the_changes_it_commits_as_of_that_day(app, make_case):
    """A case changed in the pass's transaction is judged as of the pass's day, so no flag
    is raised that holds only on the clock's day."""
    engagement_id = make_case(**active_case())
    with app.app_context():
        # Closing 40 days ago is overdue today (30 days after), not 20 days ago.
        db.session.get(Engagement, engagement_id).planned_end = days(-40)
        flags.run_pass(days(-20))
        raised = db.session.execute(sa.select(Flag.rule_code, Flag.raised_on)).all()
    assert "overdue_close" not in {code for code, _day in raised}
    assert {day for _code, day in raised} == {days(-20)}


def test_mini_hours_warn_at_eighty_percent_and_turn_critical_over_budget(app, make_case):
    engagement_id = make_case(**active_case(type_code="mini", new_consultants=1, sessions=(
        (-9, 2, SessionFormat.KICKOFF), (-8, 2, SessionFormat.OTHER),
        (-7, 2, SessionFormat.OTHER), (-6, 2, SessionFormat.OTHER))))
    assert open_flags(app, engagement_id) == ["hours_nearly_used"]  # 8 of 10 hours
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        consultant = engagement.members[0].user
        services.log_session(engagement, services.SessionData(
            held_on=TODAY, hours=Decimal("2.25"), format=SessionFormat.OTHER, sub_format=None,
            consultant_ids=[consultant.id], unit_ids=[engagement.units[0].unit_id],
            summary="Sparring"), consultant, TODAY, confirm_overrun=True)
        db.session.commit()
    assert open_flags(app, engagement_id) == ["hours_exceeded"]


def test_a_disabled_rule_resolves_its_open_flags(app, runner, make_case):
    make_case(**active_case(new_consultants=1))
    assert open_flags(app) == ["team_incomplete"]
    with app.app_context():
        db.session.get(FlagRule, "team_incomplete").enabled = False
        db.session.commit()
    assert flags_run(runner, TODAY).output.strip().endswith("raised 0, resolved 1, open 0")


def test_thresholds_can_differ_by_type_of_course(app, runner, make_case):
    one_year = make_case(**active_case())
    mini = make_case(**active_case(type_code="mini"))
    flags_run(runner, days(22))  # 32 days after the last session: over mini's 30, not 42
    assert open_flags(app, mini) == ["no_recent_activity"]
    assert open_flags(app, one_year) == []


def test_the_database_refuses_a_second_open_flag_of_a_rule_on_a_case(app, make_case):
    engagement_id = make_case(**active_case(new_consultants=1))
    with app.app_context():
        db.session.add(Flag(rule_code="team_incomplete", engagement_id=engagement_id,
                            raised_on=TODAY, detail={}))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.execute(sa.update(Flag).values(resolved_on=TODAY))
        db.session.add(Flag(rule_code="team_incomplete", engagement_id=engagement_id,
                            raised_on=TODAY, detail={}))
        db.session.commit()  # a resolved flag does not stand in the way
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 2


def test_an_application_waiting_fourteen_days_for_a_decision_is_flagged(
        app, runner, make_application):
    application_id = make_application()  # a mini course: continuous intake, no round
    flags_run(runner, days(13))
    assert open_flags(app) == []
    assert flags_run(runner, days(14)).output.strip().endswith("raised 1, resolved 0, open 1")
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag))
        assert (flag.rule_code, flag.application_id) == ("review_overdue", application_id)
        db.session.get(Application, application_id).status = "rejected"
        db.session.commit()
    assert flags_run(runner, days(15)).output.strip().endswith("raised 0, resolved 1, open 0")


def test_raising_and_resolving_are_in_the_audit_log(app, runner, make_case):
    make_case(**active_case())
    flags_run(runner, days(40))
    with app.app_context():
        notes = db.session.scalars(sa.select(AuditEntry.note).where(
            AuditEntry.table_name == "flags")).all()
    assert "bulk statement, 1 rows" in notes


def test_each_statement_of_a_pass_leaves_one_summary_in_the_audit_log(app, runner, make_case):
    def summaries() -> list[tuple[str, str, str]]:
        with app.app_context():
            return sorted(tuple(row) for row in db.session.execute(
                sa.select(AuditEntry.action, AuditEntry.table_name, AuditEntry.note)
                .where(AuditEntry.id > last, AuditEntry.record_id.is_(None))))

    first, second = make_case(**active_case()), make_case(**active_case())
    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    flags_run(runner, days(40))  # both gone quiet and into their second month
    assert summaries() == [
        ("create", "engagement_phase_changes", "bulk statement, 2 rows"),
        ("create", "flags", "bulk statement, 2 rows"),
        ("update", "engagements", "bulk statement, 2 rows")]
    with app.app_context():
        db.session.get(Engagement, first).status = EngagementStatus.CANCELLED
        db.session.commit()  # the refresh resolves its flag and ends its phase
        last = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    flags_run(runner, days(41))  # nothing new: nothing written, nothing recorded
    assert summaries() == []
    assert open_flags(app) == open_flags(app, second) == ["no_recent_activity"]


def test_a_failed_pass_is_recorded_and_releases_the_job(app, runner, make_case, monkeypatch):
    make_case(**active_case())

    def broken(today, engagement_ids=None):
        raise RuntimeError("disk full")
    monkeypatch.setattr(flags, "evaluate", broken)
    result = flags_run(runner, days(40))
    assert result.exit_code == 1
    assert "raised 0, resolved 0, open ?" in result.output
    assert "disk full" in result.output
    with app.app_context():
        run = db.session.scalar(sa.select(JobRun))
        assert run.status is RunStatus.FAILED and "disk full" in run.error
        assert db.session.get(JobClaim, "flags").run_id is None
    monkeypatch.undo()
    assert flags_run(runner, days(40)).output.strip().endswith("raised 1, resolved 0, open 1")


def test_a_claim_left_by_a_dead_process_is_taken_over_after_an_hour(app, runner, make_case):
    make_case(**active_case())
    with app.app_context():
        dead = JobRun(job="flags", run_on=TODAY, started_at=utcnow() - timedelta(hours=2),
                      status=RunStatus.RUNNING, counts={})
        db.session.add(dead)
        db.session.flush()
        claim = db.session.get(JobClaim, "flags")
        claim.run_id, claim.claimed_at = dead.id, utcnow() - timedelta(hours=2)
        db.session.commit()
    assert flags_run(runner, days(40)).output.strip().endswith("raised 1, resolved 0, open 1")


# --- two passes at once: separate connections on a database both can see -----------------

@pytest.fixture
def shared_app(tmp_path):
    """An app on its own migrated database, committed for real (also on PostgreSQL)."""
    with scratch_database(tmp_path, "jobs") as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def test_a_pass_that_finds_another_one_busy_is_skipped(shared_app):
    engagement_id = build_case(shared_app, **active_case())
    started, finish = threading.Event(), threading.Event()
    outcome = {}

    def slow_pass():
        with shared_app.app_context():
            def work():
                started.set()
                finish.wait(HANG_TIMEOUT)
                return vars(flags.evaluate(days(40)))
            outcome["first"] = run_job("flags", days(40), work).status
            db.session.remove()
    first = threading.Thread(target=slow_pass)
    first.start()
    assert started.wait(HANG_TIMEOUT)
    with shared_app.app_context():
        second = flags.run_pass(days(40))
        assert second.run.status is RunStatus.SKIPPED
        assert second.summary() == "raised 0, resolved 0, open 0"
        db.session.remove()
    finish.set()
    first.join(HANG_TIMEOUT)
    assert outcome["first"] is RunStatus.DONE
    assert open_flags(shared_app, engagement_id) == ["no_recent_activity"]


def test_two_passes_started_at_the_same_moment_change_flags_once(shared_app):
    for _ in range(3):
        build_case(shared_app, **active_case())
    start = threading.Barrier(2)
    results = []

    def one_pass():
        with shared_app.app_context():
            start.wait()
            results.append(flags.run_pass(days(40)))
            db.session.remove()
    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_TIMEOUT)
    assert sorted(r.counts.raised for r in results) == [0, 3]
    assert {r.run.status for r in results} <= {RunStatus.DONE, RunStatus.SKIPPED}
    assert open_flags(shared_app) == ["no_recent_activity"] * 3
