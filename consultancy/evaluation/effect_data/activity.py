"""The activity per case: sessions held and their hours, in all and per format, and its
variables."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.evaluation.effect_data.filters import EffectFilters
from consultancy.evaluation.effect_data.long_table import long_fields
from consultancy.evaluation.effect_data.lookups import Lookups, lookups
from consultancy.evaluation.summary import Filters, cases_matching
from consultancy.exchange.exports import Field
from consultancy.extensions import db
from consultancy.models import EngagementSession, SessionFormat, SessionStatus

CASE_COLUMNS = ["engagement_id", "engagement_type", "round", "municipality_code"]
ACTIVITY_COLUMNS = CASE_COLUMNS + ["sessions_total", "hours_total"] + [
    f"{measure}_{session_format.value}" for session_format in SessionFormat
    for measure in ("sessions", "hours")]


def activity_frame(filters: EffectFilters, found: Lookups | None = None) -> pd.DataFrame:
    """One row per chosen case (whether or not it has answers): held sessions and their
    hours in all and per format. Planned sessions do not count. The instrument filter does
    not apply here."""
    found = found or lookups(filters)
    cases = found.cases
    query = (sa.select(EngagementSession.engagement_id,
                       sa.type_coerce(EngagementSession.format, sa.String),
                       sa.func.count(), sa.func.sum(EngagementSession.hours))
             .where(EngagementSession.status == SessionStatus.HELD)
             .group_by(EngagementSession.engagement_id, EngagementSession.format))
    if filters.cases != Filters():
        query = query.where(EngagementSession.engagement_id.in_(cases_matching(filters.cases)))
    counts = pd.DataFrame(db.session.execute(query).all(),
                          columns=["id", "format", "sessions", "hours"])
    frame = cases[CASE_COLUMNS].copy()
    sessions = {}
    for session_format in SessionFormat:
        chosen = counts[counts["format"] == session_format.value].set_index("id")
        sessions[f"sessions_{session_format.value}"] = (
            chosen["sessions"].reindex(cases.index).fillna(0).astype("int64").to_numpy())
        sessions[f"hours_{session_format.value}"] = (
            chosen["hours"].astype("float64").reindex(cases.index).fillna(0.0).to_numpy())
    frame = frame.assign(**sessions)
    frame["sessions_total"] = sum(sessions[f"sessions_{f.value}"] for f in SessionFormat) \
        if len(frame) else pd.Series(dtype="int64")
    frame["hours_total"] = sum(sessions[f"hours_{f.value}"] for f in SessionFormat) \
        if len(frame) else pd.Series(dtype="float64")
    return frame[ACTIVITY_COLUMNS].reset_index(drop=True)


def activity_fields() -> list[Field]:
    by_name = {f.name: f for f in long_fields([])}
    fields = [by_name[name] for name in CASE_COLUMNS]
    fields += [
        Field("sessions_total", "integer", _("Sessions held"), _(
            "The number of sessions held on the case (planned ones do not count).")),
        Field("hours_total", "number", _("Hours held"), _(
            "The hours of the sessions held on the case.")),
    ]
    for session_format in SessionFormat:
        name = session_format.label
        fields += [
            Field(f"sessions_{session_format.value}", "integer",
                  _("Sessions: %(format)s", format=name),
                  _("The number of sessions held in the format %(format)s.", format=name)),
            Field(f"hours_{session_format.value}", "number",
                  _("Hours: %(format)s", format=name),
                  _("The hours of the sessions held in the format %(format)s.", format=name)),
        ]
    return fields
