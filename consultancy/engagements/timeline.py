"""The timeline of a case: what happened on it and what is planned, newest first.

Pure composition from a case loaded by `load_case` (members, status changes and sessions
selectin-loaded): no query per item. Each kind of event has a `Kind` (its text mark and
label) and a source function that yields its items; a new kind (self-assessments) is one
`Kind` and one function decorated with `@source`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from consultancy.flags import texts as flag_texts
from consultancy.models import Engagement, EngagementType, FlagEventKind, SessionStatus
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

Source = Callable[[Engagement, bool, date], Iterable[TimelineItem]]
SOURCES: list[Source] = []


def source(function: Source) -> Source:
    """Register a function that yields the items of one or more kinds."""
    SOURCES.append(function)
    return function


def timeline(engagement: Engagement, *, pseudonymised: bool = False,
             today: date | None = None) -> list[TimelineItem]:
    """All items of the case, newest first. `pseudonymised` (external evaluators): no free
    text (summaries, next steps, reasons, decision notes, comments) and no names: units by
    their pseudonyms, no people (team changes left out), no application reference."""
    today = today or local_today()
    items = [item for produce in SOURCES for item in produce(engagement, pseudonymised,
                                                              today)]
    return sorted(items, key=TimelineItem.sort_key, reverse=True)


def phase_name(engagement_type: EngagementType, code: str | None) -> str:
    entry = phase_entry(engagement_type.phase_template, code)
    if entry is None:
        return code or ""
    return entry["name_da"] if current_language() == "da" else entry["name_en"]


def _notes(*pairs: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, text.strip()) for label, text in pairs if text and text.strip())


def _hours(hours) -> str:
    return _("%(hours)s hours", hours=format_number(hours))


@source
def _sessions(engagement: Engagement, pseudonymised: bool, today: date
              ) -> Iterable[TimelineItem]:
    for session in engagement.sessions:
        planned = session.status is SessionStatus.PLANNED
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
        yield TimelineItem(
            when=session.held_on, kind=PLANNED_SESSION if planned else SESSION, title=title,
            detail=detail, notes=notes,
            link=Link("engagements.session_edit",
                      {"engagement_id": engagement.id, "session_id": session.id},
                      _("Complete the planned session") if due else _("Edit the session"),
                      users=frozenset({session.created_by_id}
                                      | {link.user_id for link in session.consultants})),
            due=due)


@source
def _application(engagement: Engagement, pseudonymised: bool, today: date
              ) -> Iterable[TimelineItem]:
    application = engagement.application
    if application is None:
        return
    link = Link("applications.detail", {"application_id": application.id},
                _("Open the application"), audience="team")
    yield TimelineItem(
        when=application.submitted_at, kind=APPLICATION_SUBMITTED,
        title=_("Application received") if pseudonymised
        else _("Application %(reference)s received", reference=application.reference),
        detail=application.channel.label, link=link)
    if application.decided_at is not None:
        yield TimelineItem(
            when=application.decided_at, kind=APPLICATION_DECIDED,
            title=_("Application decided: %(decision)s", decision=application.status.label),
            notes=_notes((_("Note"), application.decision_note)) if not pseudonymised else (),
            link=link)


@source
def _status_changes(engagement: Engagement, pseudonymised: bool, today: date
              ) -> Iterable[TimelineItem]:
    for change in engagement.status_changes:
        if change.from_status is None:
            title = _("Case opened as %(status)s", status=change.to_status.label.lower())
        else:
            title = _("Status changed from %(old)s to %(new)s",
                      old=change.from_status.label.lower(), new=change.to_status.label.lower())
        yield TimelineItem(
            when=change.at, kind=STATUS_CHANGE, title=title,
            detail=_("by %(name)s", name=change.by.name) if change.by and not pseudonymised
            else "",
            notes=_notes((_("Reason"), change.reason)) if not pseudonymised else ())


@source
def _team(engagement: Engagement, pseudonymised: bool, today: date
              ) -> Iterable[TimelineItem]:
    if pseudonymised:
        return  # who joined and left: people's names
    for member in engagement.members:
        role = member.role.label.lower()
        yield TimelineItem(
            when=member.started_on, kind=MEMBER_STARTED,
            title=_("%(name)s joined the team", name=member.user.name), detail=role)
        if member.ended_on is not None:
            yield TimelineItem(
                when=member.ended_on, kind=MEMBER_ENDED,
                title=_("%(name)s left the team", name=member.user.name), detail=role)


@source
def _phases(engagement: Engagement, pseudonymised: bool, today: date) -> Iterable[TimelineItem]:
    kind = engagement.engagement_type
    for change in engagement.phase_changes:
        if change.phase is None:
            if change.from_phase is None:
                continue
            title = _("Left phase %(phase)s", phase=phase_name(kind, change.from_phase))
        else:
            title = _("Entered phase %(phase)s", phase=phase_name(kind, change.phase))
        yield TimelineItem(when=change.entered_on, kind=PHASE_CHANGE, title=title)


@source
def _flags(engagement: Engagement, pseudonymised: bool, today: date) -> Iterable[TimelineItem]:
    for flag in engagement.flags:
        name = flag_texts.rule_name(flag.rule_code)
        link = Link("flags.detail", {"flag_id": flag.id}, _("Open the flag"))
        yield TimelineItem(when=flag.raised_on, kind=FLAG_RAISED, title=name,
                           detail=flag_texts.message(flag), link=link)
        for event in flag.events:
            by = _("by %(name)s", name=event.by.name) if event.by and not pseudonymised else ""
            notes = _notes((_("Comment"), event.comment)) if not pseudonymised else ()
            if event.kind is FlagEventKind.SNOOZED:
                detail = " · ".join(part for part in (
                    _("until %(date)s", date=format_date(event.snoozed_until)), by) if part)
                yield TimelineItem(when=event.at, kind=FLAG_SNOOZED, title=name,
                                   detail=detail, notes=notes, link=link)
            else:
                yield TimelineItem(when=event.at, kind=FLAG_ACKNOWLEDGED, title=name,
                                   detail=by, notes=notes, link=link)
        if flag.resolved_on is not None:
            yield TimelineItem(when=flag.resolved_on, kind=FLAG_RESOLVED, title=name,
                               link=link)


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


@source
def _self_assessments(engagement: Engagement, pseudonymised: bool, today: date
                      ) -> Iterable[TimelineItem]:
    """Each occasion measured, on the day of its first response (responses are loaded with
    the case, without their answers)."""
    occasions: dict[tuple, list] = {}
    for response in engagement.responses:
        kind = response.instrument_version.instrument.kind.value
        occasions.setdefault((kind, response.occasion.value), []).append(response)
    for key, responses in sorted(occasions.items()):
        first = min(r.responded_on for r in responses)
        last = max(r.responded_on for r in responses)
        respondents = len({r.respondent_code for r in responses})
        units = len({r.unit_id for r in responses})
        title = _("%(occasion)s: %(respondents)s in %(units)s",
                  occasion=_OCCASION_TITLES[key],
                  respondents=ngettext("%(num)d respondent", "%(num)d respondents",
                                       respondents),
                  units=ngettext("%(num)d unit", "%(num)d units", units))
        detail = _("answers until %(date)s", date=format_date(last)) if last != first else ""
        yield TimelineItem(
            when=first, kind=SELF_ASSESSMENT, title=title, detail=detail,
            link=Link("evaluation.case_responses", {"engagement_id": engagement.id},
                      _("Open the self-assessments")))
