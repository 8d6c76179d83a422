"""Read models of the evaluation pages that are not summaries (`evaluation.summary`)."""
from __future__ import annotations

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import Instrument


def instruments_by_code() -> list[Instrument]:
    return list(db.session.scalars(sa.select(Instrument).order_by(Instrument.code)))
