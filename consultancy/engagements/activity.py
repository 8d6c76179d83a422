"""The figures kept on each case from its sessions: hours used, last session held, next
planned (`models.engagements.case_activity` says what they are).

`refresh_activity` is the one writer: the commit of any change to a case's sessions runs it
for the cases changed (`flags.refresh`, before their flags are judged on these figures),
migration 0009 runs it for every case, and so does a bulk load (a generator that COPYs
sessions in) before the first flag pass. Run for all cases it also repairs them.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from consultancy.models import Engagement
from consultancy.models.engagements import case_activity

KEPT = ("hours_used", "last_session_on", "next_session_on")


def refresh_activity(connection: sa.Connection,
                     engagement_ids: Iterable[int] | None = None) -> int:
    """Bring the kept figures of every case (or of the given ones) up to date from their
    sessions in one UPDATE … FROM the aggregate; rows already right are not written.
    Runs on the connection (Core): derived figures are no change of anyone's to audit, and
    the case's version stays, so no one's open form of the case goes stale. Returns how
    many cases were written."""
    activity = case_activity()
    if engagement_ids is not None:
        activity = activity.where(Engagement.id.in_(list(engagement_ids)))
    activity = activity.subquery("activity")
    table = Engagement.__table__
    statement = (sa.update(table)
                 .where(table.c.id == activity.c.engagement_id,
                        sa.or_(*(table.c[name].is_distinct_from(activity.c[name])
                                 for name in KEPT)))
                 .values({name: activity.c[name] for name in KEPT}))
    return connection.execute(statement).rowcount
