"""Background jobs: a record of every run, and the claim that lets only one run at a time."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from consultancy.enums import RunStatus, set_labels
from consultancy.extensions import db
from consultancy.models.audit import Json
from consultancy.models.types import UTCDateTime, enum_column

set_labels({
    RunStatus.RUNNING: _l("Running"),
    RunStatus.DONE: _l("Done"),
    RunStatus.SKIPPED: _l("Skipped (another run was busy)"),
    RunStatus.FAILED: _l("Failed"),
})


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __audited__ = False  # operational records, not case data
    __table_args__ = (sa.Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(32))
    # The day the run was for (`--today`), not necessarily the day it ran.
    run_on: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, "run_status"))
    host: Mapped[str] = mapped_column(sa.String(255), default="")
    counts: Mapped[dict] = mapped_column(Json, default=dict, server_default="{}")
    error: Mapped[str | None] = mapped_column(sa.Text)


class JobClaim(db.Model):
    """One row per job; a run owns the job while `run_id` points at it."""

    __tablename__ = "job_claims"
    __audited__ = False

    job: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_runs.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
