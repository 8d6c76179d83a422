"""The scheduler process: its daily job, the catch-up at start-up, one logged line per run,
failures that never stop it, and the real process started and stopped."""
from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.flags import services as flag_services
from consultancy.models import Application, JobRun, RunStatus
from consultancy.scheduler import build_scheduler, missed_today, needs_catch_up, scheduled_pass
from consultancy.services.clock import local_today, utcnow
from tests.conftest import HANG_TIMEOUT, migrate_database

ROOT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
UTC = timezone.utc


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def scheduler_log():
    """The scheduler's log records. Its logger does not propagate to the root logger (each
    line goes to stderr once, as JSON), so this handler is attached to it directly."""
    handler = Records()
    logger = logging.getLogger("consultancy.scheduler")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def runs(app, job="flags") -> list[JobRun]:
    with app.app_context():
        return db.session.scalars(sa.select(JobRun).where(JobRun.job == job)
                                  .order_by(JobRun.id)).all()


def test_the_daily_job_runs_at_the_configured_copenhagen_time(make_app):
    app = make_app(FLAG_PASS_HOUR=5, FLAG_PASS_MINUTE=30)
    scheduler = build_scheduler(app)
    [job] = scheduler.get_jobs()
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["second"]) == ("5", "30", "0")
    assert fields["day"] == fields["day_of_week"] == "*"
    assert str(job.trigger.timezone) == "Europe/Copenhagen"
    assert job.coalesce is True and job.max_instances == 1
    assert job.misfire_grace_time == 3600
    assert job.func is scheduled_pass and job.args == (app,)
    assert not scheduler.running
    # Local time, on both sides of the night the clocks go forward (29 March 2026).
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, tzinfo=CPH))
    assert fire == datetime(2026, 3, 29, 5, 30, tzinfo=CPH)
    assert fire.utcoffset() == timedelta(hours=2)
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 3, 27, 12, tzinfo=CPH))
    assert fire.utcoffset() == timedelta(hours=1)


def test_a_catch_up_runs_the_job_as_soon_as_the_scheduler_starts(app):
    [job] = build_scheduler(app, catch_up=True).get_jobs()
    assert job.next_run_time <= datetime.now(CPH)
    assert job.coalesce is True and job.max_instances == 1


LAST = datetime(2026, 5, 4, 4, 0, tzinfo=UTC)  # 06:00 in Copenhagen (summer time)


@pytest.mark.parametrize("last_started, now, catch_up", [
    (None, LAST, True),                                      # never run
    (LAST, LAST + timedelta(hours=23), False),
    (LAST, LAST + timedelta(hours=24), False),               # exactly a day: the cron is due
    (LAST, LAST + timedelta(hours=24, seconds=1), True),
    (LAST, LAST + timedelta(hours=25), True),
    (LAST, LAST + timedelta(days=9), True),
    (LAST, LAST.astimezone(CPH) + timedelta(hours=1), False),  # the same instant, other zone
    # Clocks forward (29 March 2026): 06:00 to 05:30 by the wall clock is 22.5 real hours.
    (datetime(2026, 3, 28, 6, tzinfo=CPH), datetime(2026, 3, 29, 5, 30, tzinfo=CPH), False),
    # Clocks back (25 October 2026): 06:00 to 05:30 by the wall clock is 24.5 real hours.
    (datetime(2026, 10, 24, 6, tzinfo=CPH), datetime(2026, 10, 25, 5, 30, tzinfo=CPH), True),
])
def test_when_to_catch_up_at_start_up(last_started, now, catch_up):
    assert needs_catch_up(last_started, now) is catch_up


@pytest.mark.parametrize("last_run_on, now, catch_up", [
    # A pass run by hand at 22:00 yesterday; the scheduler was down at 06:00 today.
    (date(2026, 11, 22), datetime(2026, 11, 23, 7, tzinfo=CPH), True),
    (date(2026, 11, 22), datetime(2026, 11, 23, 5, 59, tzinfo=CPH), False),  # not yet due
    (date(2026, 11, 23), datetime(2026, 11, 23, 7, tzinfo=CPH), False),      # done today
    (None, datetime(2026, 11, 23, 6, tzinfo=CPH), True),
    # 06:00 Copenhagen is 05:00 UTC in winter: the local day and time count.
    (date(2026, 11, 22), datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc), True),
])
def test_a_missed_morning_pass_is_caught_up(last_run_on, now, catch_up):
    assert missed_today(last_run_on, now, CPH, 6, 0) is catch_up


def test_a_scheduled_pass_records_a_run_and_logs_one_line(app, make_application,
                                                          scheduler_log):
    application_id = make_application()
    with app.app_context():  # waiting for a decision for 30 days: review_overdue
        db.session.execute(sa.update(Application).where(Application.id == application_id)
                           .values(submitted_at=utcnow() - timedelta(days=30)))
        db.session.commit()
    scheduled_pass(app)
    [run] = runs(app)
    assert run.status is RunStatus.DONE and run.run_on == local_today()
    assert run.counts["raised"] == 1
    [record] = scheduler_log.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == "flags: raised 1, resolved 0, open 1"
    fields = record.fields
    assert {k: fields[k] for k in ("job", "run_on", "status", "raised", "resolved", "open")} \
        == {"job": "flags", "run_on": local_today().isoformat(), "status": "done",
            "raised": 1, "resolved": 0, "open": 1}
    assert fields["duration_ms"] >= 0
    scheduled_pass(app)  # again: nothing new
    assert scheduler_log.records[-1].getMessage() == "flags: raised 0, resolved 0, open 1"
    assert [run.status for run in runs(app)] == [RunStatus.DONE, RunStatus.DONE]


def test_a_failing_pass_is_logged_and_the_scheduler_carries_on(app, monkeypatch,
                                                               scheduler_log):
    def broken(today, engagement_ids=None):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(flag_services, "evaluate", broken)
    scheduled_pass(app)  # does not raise
    [run] = runs(app)
    assert run.status is RunStatus.FAILED and "the database went away" in run.error
    [record] = scheduler_log.records
    assert record.levelno == logging.ERROR and record.exc_info
    assert record.fields["status"] == "failed" and record.fields["job"] == "flags"
    assert str(record.exc_info[1]) == "the database went away"

    monkeypatch.undo()
    scheduled_pass(app)
    assert [run.status for run in runs(app)] == [RunStatus.FAILED, RunStatus.DONE]


def test_the_digest_is_left_alone_when_it_is_off(app, scheduler_log):
    scheduled_pass(app)
    assert runs(app, "digest") == []
    assert [r.fields["job"] for r in scheduler_log.records] == ["flags"]


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_the_scheduler_process_catches_up_and_stops_cleanly_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    migrate_database(url, tmp_path / "instance")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "SECRET_KEY") and not key.startswith("FLASK_")}
    env.update(FLASK_SQLALCHEMY_DATABASE_URI=url, FLASK_SECRET_KEY="scheduler test",
               PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    seen = []
    try:
        while not any("flags: raised 0, resolved 0, open 0" in line for line in seen):
            line = lines.get(timeout=HANG_TIMEOUT)
            assert line is not None, "the scheduler ended early:\n" + "".join(seen)
            seen.append(line)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=HANG_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=HANG_TIMEOUT)
    process.stderr.close()
    while (line := lines.get_nowait()) is not None:
        seen.append(line)
    output = "".join(seen)
    assert '"catch_up": true' in output
    assert '"message": "scheduler: stopping", "signal": "SIGTERM"' in output
    assert output.rstrip().endswith('"message": "scheduler: stopped"}'), output
    assert "Traceback" not in output
