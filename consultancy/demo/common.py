"""What the demo's generators share: their error, the demo's mail domain, the texts and the
sizes of daycare units."""
from __future__ import annotations

import tomllib
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

from consultancy.models import UnitKind

DEMO_DOMAIN = ".example"

UNIT_CHILDREN = {UnitKind.NURSERY: (20, 48), UnitKind.KINDERGARTEN: (40, 95),
                 UnitKind.INTEGRATED: (50, 140), UnitKind.CHILDMINDING: (30, 160)}


class DemoError(RuntimeError):
    """The database lacks something the demo needs (reference data, reviewers)."""


@cache
def texts(name: str) -> dict:
    """The Danish texts in `texts/<name>.toml`: what the demo's people write, kept apart
    from the generators that draw from them."""
    return tomllib.loads((files("consultancy.demo") / "texts" / f"{name}.toml")
                         .read_text(encoding="utf-8"))


def weekday(day: date, forward: bool) -> date:
    """The day itself on Monday to Friday; else the Monday after or the Friday before."""
    if day.weekday() < 5:
        return day
    return day + timedelta(days=7 - day.weekday()) if forward else \
        day - timedelta(days=day.weekday() - 4)
