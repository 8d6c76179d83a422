"""Today as people in Denmark count days."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local_today() -> date:
    return datetime.now(COPENHAGEN).date()
