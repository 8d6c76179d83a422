"""The timeline of a case: what happened on it and what is planned, newest first.

Paged in SQL, so a page costs the same whatever the case's history: each source selects the
index rows of its kinds (which row, its moment as people count it, its rank), one query
orders and cuts their UNION ALL, and each source then makes the items of its rows in the
window (a fixed number of queries: the sessions shown with their consultants and units; the
other sources from what the case page loads anyway). Each kind of event has a `Kind` (its
text mark and label); a new kind (self-assessments) is one `Kind`, a function selecting its
rows and one making its items, registered with `@source(rows)`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy.orm import lazyload

from consultancy.extensions import db
from consultancy.flags import texts as flag_texts
from consultancy.models import (
    Application,
    Engagement,
    EngagementMember,
    EngagementPhaseChange,
    EngagementSession,
    EngagementStatusChange,
    EngagementType,
    Flag,
    FlagEvent,
    FlagEventKind,
    Instrument,
    InstrumentVersion,
    Response,
)
from consultancy.models.types import end_of_day, local_moment
from consultancy.rules.engagements import PLANNED
from consultancy.rules.phases import phase_entry
from consultancy.security.identities import unit_label
from consultancy.services.clock import local_today, local_zone
from consultancy.web.i18n import current_language, format_date, format_number


@dataclass(frozen=True)
class Kind:
    """A kind of timeline item. `mark` is an icon-like text character and `label` its words:
    the kind is never told by colour alone. `rank` orders items of the same moment
    (higher comes first in the newest-first list)."""
    code: str
    mark: str
    label: object  # a lazy string
    css: str
    rank: int


@dataclass(frozen=True)
class Link:
    """A link target, built in the template (`url_for(endpoint, **values)`).

    `audience` says who gets the link: "writer" (may change the case; `users`, when given,
    limits consultants to those ids, e.g. who logged or attended a session) or "team".
    """
    endpoint: str
    values: dict
    label: str
    audience: str = "writer"
    users: frozenset[int] | None = None


@dataclass(frozen=True)
class TimelineItem:
    when: date | datetime
    kind: Kind
    title: str
    detail: str = ""
    # Free-text notes as (label, text); only filled in for readers who may see notes.
    notes: tuple[tuple[str, str], ...] = ()
    link: Link | None = None
    # A planned item whose day has come and that should be completed.
    due: bool = False

    @property
    def day(self) -> date:
        """The day as people count days (TIMEZONE)."""
        if isinstance(self.when, datetime):
            return self.when.astimezone(local_zone()).date()
        return self.when

    def sort_key(self) -> tuple:
        # Items with only a date count as the end of that day: a session comes after the
        # status change or team change recorded earlier the same day.
        moment = (self.when.astimezone(local_zone()).time().replace(tzinfo=None)
                  if isinstance(self.when, datetime) else time.max)
        return self.day, moment, self.kind.rank


SESSION = Kind("session", "●", _l("Session"), "timeline-session", 50)
PLANNED_SESSION = Kind("planned_session", "○", _l("Planned session"), "timeline-planned", 60)
APPLICATION_SUBMITTED = Kind("application_submitted", "✉", _l("Application"),
                             "timeline-application", 10)
APPLICATION_DECIDED = Kind("application_decided", "⚖", _l("Decision"), "timeline-application",
                           20)
STATUS_CHANGE = Kind("status_change", "◆", _l("Status"), "timeline-status", 30)
MEMBER_STARTED = Kind("member_started", "+", _l("Team change"), "timeline-team", 40)
MEMBER_ENDED = Kind("member_ended", "−", _l("Team change"), "timeline-team", 70)
PHASE_CHANGE = Kind("phase_change", "▶", _l("Phase"), "timeline-phase", 35)
# A flag raised or resolved by the daily pass counts as the end of its day, like a session;
# one resolved by a session logged that day comes after (above) it.
FLAG_RAISED = Kind("flag_raised", "⚑", _l("Flag raised"), "timeline-flag", 25)
FLAG_ACKNOWLEDGED = Kind("flag_acknowledged", "✓", _l("Flag acknowledged"), "timeline-flag", 26)
FLAG_SNOOZED = Kind("flag_snoozed", "⏸", _l("Flag snoozed"), "timeline-flag", 27)
FLAG_RESOLVED = Kind("flag_resolved", "⚐", _l("Flag resolved"), "timeline-flag", 55)

PAYLOAD = {"text_a": sa.String(), "text_b": sa.String(), "day_a": sa.Date(),
           "day_b": sa.Date(), "count_a": sa.Integer(), "count_b": sa.Integer()}
"""Columns a kind may carry in the index beyond its moment (self-assessments their counts)."""

RowsOf = Callable[[sa.BindParameter, bool, sa.BindParameter], Iterable[sa.Select]]
ItemsOf = Callable[[Engagement, list, bool, date], list[TimelineItem]]


@dataclass(frozen=True)
class Source:
    """One source of items: `rows` selects its index rows (one select per kind) for a case,
    whether pseudonymised, in a zone (the case and the zone are bound parameters); `items`
    makes the items of the rows of a page, in their order (None for a row whose record is
    not among those loaded: one another request wrote or deleted in between)."""
    rows: RowsOf
    items: ItemsOf


SOURCES: list[Source] = []


def source(rows: RowsOf) -> Callable[[ItemsOf], ItemsOf]:
    """Register the function below as making the items of the index rows `rows` selects.
    Items of the same moment and kind keep the order of the sources, then of their rows."""
    def register(items: ItemsOf) -> ItemsOf:
        SOURCES.append(Source(rows, items))
        return items
    return register


def index_row(kind: Kind, ref, moment, order, **payload) -> list:
    """The columns of one kind's index rows: which row it is (`ref`), its moment as people
    count it (`local_moment`, `end_of_day`), its rank and its place in its source's `order`
    (the tie-break), and the `PAYLOAD` it carries."""
    return [sa.literal(kind.code, sa.String()).label("kind"), ref.label("ref"),
            moment.label("moment"), sa.literal(kind.rank, sa.Integer()).label("rank"),
            sa.func.row_number().over(order_by=order).label("position"),
            *(sa.type_coerce(payload[name], kind_of).label(name) if name in payload
              else sa.cast(sa.null(), kind_of).label(name) for name, kind_of in PAYLOAD.items())]


class Timeline(Sequence):
    """The items of a window of a case's timeline, newest first, and how many it has in all."""

    def __init__(self, items: list[TimelineItem], total: int):
        self.items, self.total = items, total

    def __getitem__(self, index):
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)


def timeline(engagement: Engagement, *, pseudonymised: bool = False, today: date | None = None,
             offset: int = 0, limit: int | None = None) -> Timeline:
    """The items of the case newest first, from `offset` (at most `limit` of them), and the
    number of items in all: one query orders and cuts the index of every source (UNION ALL),
    then each source makes the items of its rows in the window (the sessions' in one query
    with what they show). `pseudonymised` (external evaluators): no free text (summaries,
    next steps, reasons, decision notes, comments) and no names: units by their pseudonyms,
    no people (team changes left out), no application reference."""
    today = today or local_today()
    rows = db.session.execute(_index(pseudonymised).offset(offset).limit(limit), {
        "engagement_id": engagement.id, "zone": local_zone().key}).all()
    by_source: dict[int, list] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    made = {number: iter(SOURCES[number].items(engagement, source_rows, pseudonymised, today))
            for number, source_rows in by_source.items()}
    items = [next(made[row.source]) for row in rows]
    return Timeline([item for item in items if item is not None], rows[0].total if rows else 0)


@cache
def _index(pseudonymised: bool) -> sa.Select:
    """The index of every source's rows of a case (`:engagement_id`, moments in `:zone`),
    in the timeline's order, each row with the count of all: built once per process."""
    engagement_id = sa.bindparam("engagement_id", type_=sa.Integer())
    zone = sa.bindparam("zone", type_=sa.String())
    parts = [select.add_columns(sa.literal(number, sa.Integer()).label("source"))
             for number, part in enumerate(SOURCES)
             for select in part.rows(engagement_id, pseudonymised, zone)]
    index = sa.union_all(*parts).subquery("timeline")
    return (sa.select(index, sa.func.count().over().label("total"))
            .order_by(index.c.moment.desc(), index.c.rank.desc(), index.c.source,
                      index.c.position))


def phase_name(engagement_type: EngagementType, code: str | None) -> str:
    entry = phase_entry(engagement_type.phase_template, code)
    if entry is None:
        return code or ""
    return entry["name_da"] if current_language() == "da" else entry["name_en"]


def _notes(*pairs: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, text.strip()) for label, text in pairs if text and text.strip())


def _hours(hours) -> str:
    return _("%(hours)s hours", hours=format_number(hours))


def _session_rows(engagement_id, pseudonymised: bool, zone):
    session = EngagementSession
    yield sa.select(*index_row(SESSION, session.id, end_of_day(session.held_on),
                               (session.held_on, session.id))
                    ).where(session.engagement_id == engagement_id)


@source(_session_rows)
def _sessions(engagement: Engagement, rows: list, pseudonymised: bool, today: date
              ) -> list[TimelineItem]:
    """The sessions of the window, loaded in one query with their consultants and units
    (two more): the case's other sessions are never read."""
    loaded = {session.id: session for session in db.session.scalars(
        sa.select(EngagementSession).where(EngagementSession.id.in_([row.ref for row in rows]))
        .options(lazyload(EngagementSession.themes)))}
    return [_session_item(engagement, loaded[row.ref], pseudonymised, today)
            if row.ref in loaded else None for row in rows]


def _session_item(engagement: Engagement, session: EngagementSession, pseudonymised: bool,
                  today: date) -> TimelineItem:
    planned = session.status is PLANNED
    due = planned and session.held_on <= today
    title = session.format.label
    if session.sub_format is not None:
        title = f"{title}: {session.sub_format.label.lower()}"
    consultants = [] if pseudonymised else sorted(
        (link.user.name for link in session.consultants), key=str.casefold)
    units = sorted((unit_label(link.unit, pseudonymised) for link in session.units),
                   key=str.casefold)
    detail = " · ".join(part for part in (
        _hours(session.hours), ", ".join(consultants), ", ".join(units)) if part)
    if session.overrun:
        detail += " · " + _("logged as an overrun")
    notes = _notes((_("Summary"), session.summary),
                   (_("Agreed next steps"), session.next_steps)) if not pseudonymised else ()
    return TimelineItem(
        when=session.held_on, kind=PLANNED_SESSION if planned else SESSION, title=title,
        detail=detail, notes=notes,
        link=Link("engagements.session_edit",
                  {"engagement_id": engagement.id, "session_id": session.id},
                  _("Complete the planned session") if due else _("Edit the session"),
                  users=frozenset({session.created_by_id}
                                  | {link.user_id for link in session.consultants})),
        due=due)


def _application_rows(engagement_id, pseudonymised: bool, zone):
    application = Application
    of_case = application.id == sa.select(Engagement.application_id).where(
        Engagement.id == engagement_id).scalar_subquery()
    yield sa.select(*index_row(APPLICATION_SUBMITTED, application.id,
                               local_moment(application.submitted_at, zone), application.id)
                    ).where(of_case)
    yield sa.select(*index_row(APPLICATION_DECIDED, application.id,
                               local_moment(application.decided_at, zone), application.id)
                    ).where(of_case, application.decided_at.is_not(None))


@source(_application_rows)
def _application(engagement: Engagement, rows: list, pseudonymised: bool, today: date
                 ) -> list[TimelineItem]:
    application = engagement.application
    if application is None:
        return [None] * len(rows)
    link = Link("applications.detail", {"application_id": application.id},
                _("Open the application"), audience="team")
    items = []
    for row in rows:
        if row.kind == APPLICATION_DECIDED.code and application.decided_at is None:
            items.append(None)
        elif row.kind == APPLICATION_SUBMITTED.code:
            items.append(TimelineItem(
                when=application.submitted_at, kind=APPLICATION_SUBMITTED,
                title=_("Application received") if pseudonymised
                else _("Application %(reference)s received", reference=application.reference),
                detail=application.channel.label, link=link))
        else:
            items.append(TimelineItem(
                when=application.decided_at, kind=APPLICATION_DECIDED,
                title=_("Application decided: %(decision)s", decision=application.status.label),
                notes=_notes((_("Note"), application.decision_note))
                if not pseudonymised else (),
                link=link))
    return items


def _status_rows(engagement_id, pseudonymised: bool, zone):
    change = EngagementStatusChange
    yield sa.select(*index_row(STATUS_CHANGE, change.id, local_moment(change.at, zone),
                               (change.at, change.id))
                    ).where(change.engagement_id == engagement_id)


@source(_status_rows)
def _status_changes(engagement: Engagement, rows: list, pseudonymised: bool, today: date
                    ) -> list[TimelineItem]:
    changes = {change.id: change for change in engagement.status_changes}
    items = []
    for change in (changes.get(row.ref) for row in rows):
        if change is None:
            items.append(None)
            continue
        if change.from_status is None:
            title = _("Case opened as %(status)s", status=change.to_status.label.lower())
        else:
            title = _("Status changed from %(old)s to %(new)s",
                      old=change.from_status.label.lower(), new=change.to_status.label.lower())
        items.append(TimelineItem(
            when=change.at, kind=STATUS_CHANGE, title=title,
            detail=_("by %(name)s", name=change.by.name) if change.by and not pseudonymised
            else "",
            notes=_notes((_("Reason"), change.reason)) if not pseudonymised else ()))
    return items


def _team_rows(engagement_id, pseudonymised: bool, zone):
    if pseudonymised:
        return  # who joined and left: people's names
    member = EngagementMember
    order = (member.started_on, member.id)
    yield sa.select(*index_row(MEMBER_STARTED, member.id, end_of_day(member.started_on), order)
                    ).where(member.engagement_id == engagement_id)
    yield sa.select(*index_row(MEMBER_ENDED, member.id, end_of_day(member.ended_on), order)
                    ).where(member.engagement_id == engagement_id, member.ended_on.is_not(None))


@source(_team_rows)
def _team(engagement: Engagement, rows: list, pseudonymised: bool, today: date
          ) -> list[TimelineItem]:
    members = {member.id: member for member in engagement.members}
    items = []
    for row in rows:
        member = members.get(row.ref)
        if member is None or (row.kind == MEMBER_ENDED.code and member.ended_on is None):
            items.append(None)
            continue
        role = member.role.label.lower()
        if row.kind == MEMBER_STARTED.code:
            items.append(TimelineItem(
                when=member.started_on, kind=MEMBER_STARTED,
                title=_("%(name)s joined the team", name=member.user.name), detail=role))
        else:
            items.append(TimelineItem(
                when=member.ended_on, kind=MEMBER_ENDED,
                title=_("%(name)s left the team", name=member.user.name), detail=role))
    return items


def _phase_rows(engagement_id, pseudonymised: bool, zone):
    change = EngagementPhaseChange
    yield sa.select(*index_row(PHASE_CHANGE, change.id, end_of_day(change.entered_on),
                               (change.entered_on, change.id))
                    ).where(change.engagement_id == engagement_id,
                            sa.or_(change.phase.is_not(None), change.from_phase.is_not(None)))


@source(_phase_rows)
def _phases(engagement: Engagement, rows: list, pseudonymised: bool, today: date
            ) -> list[TimelineItem]:
    kind = engagement.engagement_type
    changes = {change.id: change for change in engagement.phase_changes}
    items = []
    for change in (changes.get(row.ref) for row in rows):
        if change is None:
            items.append(None)
            continue
        if change.phase is None:
            title = _("Left phase %(phase)s", phase=phase_name(kind, change.from_phase))
        else:
            title = _("Entered phase %(phase)s", phase=phase_name(kind, change.phase))
        items.append(TimelineItem(when=change.entered_on, kind=PHASE_CHANGE, title=title))
    return items


def _flag_rows(engagement_id, pseudonymised: bool, zone):
    of_case = Flag.engagement_id == engagement_id
    order = (Flag.raised_on, Flag.id)
    yield sa.select(*index_row(FLAG_RAISED, Flag.id, end_of_day(Flag.raised_on), order)
                    ).where(of_case)
    for kind, event_kinds in ((FLAG_SNOOZED, [FlagEventKind.SNOOZED]),
                              (FLAG_ACKNOWLEDGED, [k for k in FlagEventKind
                                                   if k is not FlagEventKind.SNOOZED])):
        yield (sa.select(*index_row(kind, FlagEvent.id, local_moment(FlagEvent.at, zone),
                                    (*order, FlagEvent.at, FlagEvent.id)))
               .join(Flag, Flag.id == FlagEvent.flag_id)
               .where(of_case, FlagEvent.kind.in_(event_kinds)))
    yield sa.select(*index_row(FLAG_RESOLVED, Flag.id, end_of_day(Flag.resolved_on), order)
                    ).where(of_case, Flag.resolved_on.is_not(None))


@source(_flag_rows)
def _flags(engagement: Engagement, rows: list, pseudonymised: bool, today: date
           ) -> list[TimelineItem]:
    flags = {flag.id: flag for flag in engagement.flags}
    events = {event.id: (flag, event) for flag in engagement.flags for event in flag.events}
    items = []
    for row in rows:
        flag, event = events.get(row.ref, (None, None)) if row.kind in (
            FLAG_SNOOZED.code, FLAG_ACKNOWLEDGED.code) else (flags.get(row.ref), None)
        if flag is None or (row.kind == FLAG_RESOLVED.code and flag.resolved_on is None):
            items.append(None)
            continue
        name = flag_texts.rule_name(flag.rule_code)
        link = Link("flags.detail", {"flag_id": flag.id}, _("Open the flag"))
        if row.kind == FLAG_RAISED.code:
            items.append(TimelineItem(when=flag.raised_on, kind=FLAG_RAISED, title=name,
                                      detail=flag_texts.message(flag), link=link))
        elif row.kind == FLAG_RESOLVED.code:
            items.append(TimelineItem(when=flag.resolved_on, kind=FLAG_RESOLVED, title=name,
                                      link=link))
        else:
            by = _("by %(name)s", name=event.by.name) if event.by and not pseudonymised else ""
            notes = _notes((_("Comment"), event.comment)) if not pseudonymised else ()
            if event.kind is FlagEventKind.SNOOZED:
                detail = " · ".join(part for part in (
                    _("until %(date)s", date=format_date(event.snoozed_until)), by) if part)
                items.append(TimelineItem(when=event.at, kind=FLAG_SNOOZED, title=name,
                                          detail=detail, notes=notes, link=link))
            else:
                items.append(TimelineItem(when=event.at, kind=FLAG_ACKNOWLEDGED, title=name,
                                          detail=by, notes=notes, link=link))
    return items


# --- self-assessments (issue 6) ---------------------------------------------------------

SELF_ASSESSMENT = Kind("self_assessment", "◧", _l("Self-assessment"), "timeline-evaluation", 45)
_OCCASION_TITLES = {
    ("self_assessment", "baseline"): _l("Baseline self-assessment"),
    ("self_assessment", "midway"): _l("Midway self-assessment"),
    ("self_assessment", "end"): _l("End self-assessment"),
    ("self_assessment", "follow_up"): _l("Follow-up self-assessment"),
    ("observation", "baseline"): _l("Baseline observation"),
    ("observation", "midway"): _l("Midway observation"),
    ("observation", "end"): _l("End observation"),
    ("observation", "follow_up"): _l("Follow-up observation"),
}


def _self_assessment_rows(engagement_id, pseudonymised: bool, zone):
    """Each occasion measured (by kind of instrument), counted in SQL: its first and last
    day, its respondents and its units; no response is loaded."""
    kind = sa.type_coerce(Instrument.kind, sa.String())
    occasion = sa.type_coerce(Response.occasion, sa.String())
    first = sa.func.min(Response.responded_on)
    yield (sa.select(*index_row(
        SELF_ASSESSMENT, sa.null(), end_of_day(first), (kind, occasion), text_a=kind,
        text_b=occasion, day_a=first, day_b=sa.func.max(Response.responded_on),
        count_a=sa.func.count(sa.distinct(Response.respondent_code)),
        count_b=sa.func.count(sa.distinct(Response.unit_id))))
        .join(InstrumentVersion, InstrumentVersion.id == Response.instrument_version_id)
        .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
        .where(Response.engagement_id == engagement_id).group_by(kind, occasion))


@source(_self_assessment_rows)
def _self_assessments(engagement: Engagement, rows: list, pseudonymised: bool, today: date
                      ) -> list[TimelineItem]:
    """Each occasion measured, on the day of its first response."""
    items = []
    for row in rows:
        title = _("%(occasion)s: %(respondents)s in %(units)s",
                  occasion=_OCCASION_TITLES[row.text_a, row.text_b],
                  respondents=ngettext("%(num)d respondent", "%(num)d respondents",
                                       row.count_a),
                  units=ngettext("%(num)d unit", "%(num)d units", row.count_b))
        detail = _("answers until %(date)s", date=format_date(row.day_b)) \
            if row.day_b != row.day_a else ""
        items.append(TimelineItem(
            when=row.day_a, kind=SELF_ASSESSMENT, title=title, detail=detail,
            link=Link("evaluation.case_responses", {"engagement_id": engagement.id},
                      _("Open the self-assessments"))))
    return items
