"""The one clock: the current instant, and the day and time in the zone TIMEZONE names.

Read the time only through here: a test moves every reading at once (time-machine), and
the zone people count days in is one setting.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# The zone the application was made for: TIMEZONE's default (consultancy.config), and the
# zone outside an app (a script, a test's own arithmetic).
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    """The current instant, aware, in UTC (what the database stores)."""
    return datetime.now(timezone.utc)


def local_zone() -> ZoneInfo:
    """The zone of TIMEZONE: days, deadlines and the scheduler's morning are counted in it."""
    return ZoneInfo(current_app.config["TIMEZONE"]) if has_app_context() else COPENHAGEN


def local_today() -> date:
    """Today as people where the application is used count days."""
    return utcnow().astimezone(local_zone()).date()
