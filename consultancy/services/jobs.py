"""Running a background job once at a time, across processes and hosts, with a record.

A run first records itself (committed), then claims the job's row in `job_claims` with one
conditional UPDATE. Both databases serialise that UPDATE on the row, so of two runs started
at the same moment exactly one claims it; the other is recorded as skipped and changes
nothing. The work, the run's outcome and the release are committed together. A claim
older than `JOB_CLAIM_STALE_AFTER` (a process that died) may be taken over.
"""
from __future__ import annotations

import socket
import traceback
from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from consultancy.extensions import db
from consultancy.models import JobClaim, JobRun, RunStatus
from consultancy.services.clock import utcnow


def _claim(job: str, run_id: int, now: datetime) -> bool:
    stale = now - current_app.config["JOB_CLAIM_STALE_AFTER"]
    if db.session.get(JobClaim, job) is None:
        raise RuntimeError(f"job {job!r} has no row in job_claims; add it in a migration")
    claimed = db.session.execute(
        sa.update(JobClaim)
        .where(JobClaim.job == job,
               sa.or_(JobClaim.run_id.is_(None), JobClaim.claimed_at < stale))
        .values(run_id=run_id, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


def _release(job: str, run_id: int) -> None:
    db.session.execute(sa.update(JobClaim)
                       .where(JobClaim.job == job, JobClaim.run_id == run_id)
                       .values(run_id=None, claimed_at=None)
                       .execution_options(synchronize_session=False))


def run_job(job: str, run_on: date, work: Callable[[], dict]) -> JobRun:
    """Run `work` (which returns its counts) as one transaction, unless another run of
    `job` holds the claim. Returns the run's record; a failed run re-raises after it is
    recorded."""
    run = JobRun(job=job, run_on=run_on, started_at=utcnow(), status=RunStatus.RUNNING,
                 host=socket.gethostname()[:255], counts={})
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    if not _claim(job, run_id, utcnow()):
        run = db.session.get(JobRun, run_id)
        run.status, run.finished_at = RunStatus.SKIPPED, utcnow()
        db.session.commit()
        return run
    try:
        counts = work()
        run = db.session.get(JobRun, run_id)
        run.status, run.counts, run.finished_at = RunStatus.DONE, counts, utcnow()
        _release(job, run_id)
        db.session.commit()
        return run
    except Exception:
        db.session.rollback()
        run = db.session.get(JobRun, run_id)
        run.status, run.finished_at = RunStatus.FAILED, utcnow()
        run.error = traceback.format_exc(limit=8)[-4000:]
        _release(job, run_id)
        db.session.commit()
        raise


def last_run(job: str, statuses=(RunStatus.DONE,)) -> JobRun | None:
    return db.session.scalars(
        sa.select(JobRun).where(JobRun.job == job, JobRun.status.in_(statuses))
        .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).first()
