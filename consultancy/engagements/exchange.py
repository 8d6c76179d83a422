"""Logged sessions out to spreadsheets, for the team's capacity figures and for statistics.

One row per session, held or planned, with codes and counts only: no summary, no next
steps, no names and no contacts, so the file may leave the system. Written through
`consultancy.exchange.exports.write_table` like every other export.
"""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.extensions import db
from consultancy.models import (
    Engagement,
    EngagementSession,
    EngagementType,
    SessionConsultant,
    SessionTheme,
    Theme,
)
from consultancy.services import Refusal

SESSION_COLUMNS = [
    "reference", "engagement_type", "municipality_code", "status", "date", "hours", "format",
    "sub_format", "consultants", "leaders", "pedagogical_staff", "assistants",
    "municipal_consultants", "themes",
]
COUNT_COLUMNS = ["municipality_code", "consultants", "leaders", "pedagogical_staff",
                 "assistants", "municipal_consultants"]
THEME_SEPARATOR = ";"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(Refusal):
    """A date of the period cannot be read, or the period ends before it starts
    (`field` is "from" or "to")."""


def parse_period(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    """The days of `--from`/`--to` (YYYY-MM-DD, both inclusive); empty means open-ended."""
    days = []
    for name, text in (("from", date_from), ("to", date_to)):
        text = (text or "").strip()
        if not text:
            days.append(None)
            continue
        try:
            days.append(date.fromisoformat(text) if ISO_DAY.fullmatch(text) else None)
        except ValueError:  # 2026-02-30
            days.append(None)
        if days[-1] is None:
            raise PeriodError(_("%(value)s is not a date. Give it as YYYY-MM-DD, e.g. "
                                "2026-03-01.", value=text), name)
    first, last = days
    if first and last and first > last:
        raise PeriodError(_("The period starts after it ends: %(start)s is later than %(end)s.",
                            start=first.isoformat(), end=last.isoformat()), "from")
    return first, last


def _in_period(query: sa.Select, date_from: date | None, date_to: date | None) -> sa.Select:
    if date_from is not None:
        query = query.where(EngagementSession.held_on >= date_from)
    if date_to is not None:
        query = query.where(EngagementSession.held_on <= date_to)
    return query


def sessions_frame(date_from: date | None = None, date_to: date | None = None) -> pd.DataFrame:
    """One row per session with `date_from <= held_on <= date_to`, in two queries.

    `status` is held or planned; `consultants` is how many took part; `themes` are the
    theme codes joined with ";". Formats and sub-formats are codes as well.
    """
    consultants = (sa.select(sa.func.count()).select_from(SessionConsultant)
                   .where(SessionConsultant.session_id == EngagementSession.id)
                   .correlate(EngagementSession).scalar_subquery())
    rows = db.session.execute(_in_period(
        sa.select(EngagementSession.id, Engagement.reference, EngagementType.code,
                  Engagement.municipality_code, EngagementSession.status,
                  EngagementSession.held_on, EngagementSession.hours, EngagementSession.format,
                  EngagementSession.sub_format, consultants, EngagementSession.leaders,
                  EngagementSession.pedagogical_staff, EngagementSession.assistants,
                  EngagementSession.municipal_consultants)
        .join(Engagement, EngagementSession.engagement_id == Engagement.id)
        .join(EngagementType, Engagement.engagement_type_id == EngagementType.id),
        date_from, date_to).order_by(EngagementSession.held_on, Engagement.reference,
                                     EngagementSession.id)).all()

    themes: dict[int, list[str]] = {}
    for session_id, code in db.session.execute(_in_period(
            sa.select(SessionTheme.session_id, Theme.code)
            .join(Theme, SessionTheme.theme_id == Theme.id)
            .join(EngagementSession, SessionTheme.session_id == EngagementSession.id),
            date_from, date_to).order_by(SessionTheme.session_id, Theme.position, Theme.id)):
        themes.setdefault(session_id, []).append(code)

    frame = pd.DataFrame([
        [reference, type_code, municipality_code, status.value, held_on, float(hours),
         session_format.value, sub_format.value if sub_format else None, consultant_count,
         leaders, staff, assistants, municipal, THEME_SEPARATOR.join(themes.get(id_, []))]
        for (id_, reference, type_code, municipality_code, status, held_on, hours,
             session_format, sub_format, consultant_count, leaders, staff, assistants,
             municipal) in rows
    ], columns=SESSION_COLUMNS)
    return frame.astype({"hours": "float64", **{column: "int64" for column in COUNT_COLUMNS}})
