"""`flask scheduler`: the process that runs the daily flag pass (and the digest).

Its own process beside the web server, never inside a web worker: APScheduler 3 keeps its
jobs in memory, so a scheduler in the web app would run once per worker. One is enough; a
second is harmless, because the pass claims its job row and a run that finds it claimed
changes nothing (`consultancy.services.jobs`).

Each morning at FLAG_PASS_HOUR:FLAG_PASS_MINUTE (in TIMEZONE) it runs the pass for
that local day, then the digest when DIGEST_ENABLED. At start-up it catches up once when
the last finished pass began more than 24 hours ago (or there is none), or when this
morning's pass time has gone by without a pass for today. Each run logs one
JSON line; a run that fails is logged and the scheduler carries on. SIGTERM or SIGINT stops
it: no new run starts, a run under way finishes first.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import date, datetime, time as dt_time, timedelta, timezone
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from consultancy.extensions import db
from consultancy.flags.digest import run_digest
from consultancy.flags.services import run_pass
from consultancy.services.clock import local_zone, utcnow
from consultancy.services.jobs import last_run

log = logging.getLogger("consultancy.scheduler")

JOB_ID = "daily"
CATCH_UP_AFTER = timedelta(hours=24)
_running = threading.Lock()  # held by a run, so that stopping can wait for it


def needs_catch_up(last_started: datetime | None, now: datetime) -> bool:
    """Run a pass at start-up? When no pass has finished yet, or the last finished one
    started more than 24 hours ago. Both times are aware: the hours are real hours, also
    across a change of the clocks."""
    if last_started is None:
        return True
    # In UTC: two times in one zone subtract by the wall clock, off by the hour it moved.
    return now.astimezone(timezone.utc) - last_started.astimezone(timezone.utc) \
        > CATCH_UP_AFTER


def missed_today(last_run_on: date | None, now: datetime, zone: ZoneInfo, hour: int,
                 minute: int) -> bool:
    """Run a pass at start-up because this morning's was missed? When today's pass time has
    passed and no finished pass was for today (a pass run by hand late yesterday is less
    than 24 hours old, but still not today's)."""
    local = now.astimezone(zone)
    return (last_run_on is None or last_run_on < local.date()) \
        and local.time() >= dt_time(hour, minute)


def _fields(job: str, run_on, started: float, **more) -> dict:
    return {"fields": {"job": job, "run_on": run_on.isoformat(), **more,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1)}}


def _flag_pass(today) -> None:
    started = time.perf_counter()
    try:
        result = run_pass(today)
    except Exception:
        log.exception("flags: the pass failed", extra=_fields("flags", today, started,
                                                             status="failed"))
        db.session.rollback()
        return
    log.info("flags: %s", result.summary(), extra=_fields(
        "flags", today, started, status=result.run.status.value,
        raised=result.counts.raised, resolved=result.counts.resolved, open=result.open))


def _digest(now, today) -> None:
    started = time.perf_counter()
    try:
        run = run_digest(now, today)
    except Exception:
        log.exception("digest: sending failed", extra=_fields("digest", today, started,
                                                             status="failed"))
        db.session.rollback()
        return
    if run is None:
        return
    mails, flags = run.counts.get("mails", 0), run.counts.get("flags", 0)
    log.info("digest: sent %d mail(s) about %d flag(s)", mails, flags, extra=_fields(
        "digest", today, started, status=run.status.value, mails=mails, flags=flags))


def scheduled_pass(app: Flask) -> None:
    """The scheduled job: the flag pass for the local today, then the digest when it is
    switched on. Never raises: a failure is logged (and recorded as a failed run)."""
    try:
        with _running, app.app_context():
            now = utcnow()
            today = now.astimezone(local_zone()).date()
            try:
                _flag_pass(today)
                if app.config["DIGEST_ENABLED"]:
                    _digest(now, today)
            finally:
                db.session.remove()
    except Exception:  # even the logging above failed; the scheduler must live on
        log.exception("scheduler: the daily run failed")


def build_scheduler(app: Flask, catch_up: bool = False) -> BlockingScheduler:
    """The scheduler with its one daily job, not started. `catch_up`: run the job once as
    soon as the scheduler starts, then daily as usual."""
    config = app.config
    with app.app_context():
        zone = local_zone()
    scheduler = BlockingScheduler(timezone=zone)  # the in-memory job store
    extra = {"next_run_time": utcnow()} if catch_up else {}
    scheduler.add_job(
        scheduled_pass, CronTrigger(hour=config["FLAG_PASS_HOUR"],
                                    minute=config["FLAG_PASS_MINUTE"], timezone=zone),
        args=[app], id=JOB_ID, name="flag pass and digest", coalesce=True, max_instances=1,
        misfire_grace_time=config["SCHEDULER_MISFIRE_GRACE_TIME"], **extra)
    return scheduler


def _catch_up_due() -> bool:
    try:
        last, now, config = last_run("flags"), utcnow(), current_app.config
        return needs_catch_up(last.started_at if last else None, now) or missed_today(
            last.run_on if last else None, now, local_zone(),
            config["FLAG_PASS_HOUR"], config["FLAG_PASS_MINUTE"])
    except Exception:
        log.exception("scheduler: could not read the last pass; catching up")
        return True
    finally:
        db.session.remove()


def _share_log_handlers() -> None:
    """APScheduler's own warnings (a run missed or skipped) in the same JSON lines."""
    ours = logging.getLogger("consultancy")
    theirs = logging.getLogger("apscheduler")
    for handler in ours.handlers:
        if handler not in theirs.handlers:
            theirs.addHandler(handler)
    theirs.setLevel(logging.WARNING)
    theirs.propagate = False


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the daily flag pass (and the digest, when switched on) until stopped.

    Run one beside the web server, e.g. as a systemd service; a second copy is harmless.
    Stops on SIGTERM or Ctrl-C after a run under way has finished."""
    app = current_app._get_current_object()
    _share_log_handlers()
    catch_up = _catch_up_due()
    scheduler = build_scheduler(app, catch_up=catch_up)

    def stop(signum, _frame) -> None:
        if scheduler.running:
            log.info("scheduler: stopping", extra={"fields": {
                "signal": signal.Signals(signum).name}})
            scheduler.shutdown(wait=False)  # from a signal handler: never block here

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler: started", extra={"fields": {
        "catch_up": catch_up, "timezone": app.config["TIMEZONE"],
        "daily_at": f"{app.config['FLAG_PASS_HOUR']:02d}:{app.config['FLAG_PASS_MINUTE']:02d}",
        "digest": bool(app.config["DIGEST_ENABLED"])}})
    scheduler.start()
    with _running:  # a run under way finishes first
        log.info("scheduler: stopped")
