"""Read models of the evaluation pages that are not summaries (`evaluation.summary`)."""
from __future__ import annotations

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import Instrument, InstrumentVersion


def instruments_by_code() -> list[Instrument]:
    return list(db.session.scalars(sa.select(Instrument).order_by(Instrument.code)))


def published_version(version_id: int) -> InstrumentVersion | None:
    """The version with this id if it is published (answers are entered only against those)."""
    version = db.session.get(InstrumentVersion, version_id)
    return version if version is not None and version.published else None
