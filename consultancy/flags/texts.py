"""What people read about a flag: per rule, its name, a one-line message from the flag's
detail and the action that resolves it. The one place for these texts; the flags page, a
flag's page, the case banner, the start page and the timeline all use them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consultancy.i18n import format_date, format_number
from consultancy.models import Flag, Role, SessionFormat, Severity
from consultancy.rules.flags import MILESTONE_FORMATS

# A text mark per severity, beside its label: severity is never told by colour alone.
SEVERITY_MARKS = {Severity.CRITICAL: "‼", Severity.WARNING: "⚠", Severity.INFO: "ℹ"}
SEVERITY_CSS = {Severity.CRITICAL: "text-bg-danger", Severity.WARNING: "text-bg-warning",
                Severity.INFO: "text-bg-info"}

# Who may take an action: "writer" (may change the case), "manager" (team and admin, who
# set budgets, teams and status) or "team" (applications are decided by the team).
WRITER, MANAGER, TEAM = "writer", "manager", "team"


@dataclass(frozen=True)
class Action:
    """The step that makes the flag's condition stop holding; a link built in the template
    with `url_for(endpoint, **values)`."""
    label: str
    endpoint: str
    values: dict = field(default_factory=dict)
    audience: str = WRITER

    def allowed(self, user, writer: bool) -> bool:
        """May `user` take it? `writer`: the user may change the flag's case."""
        if self.audience == TEAM:
            return user.role is Role.TEAM
        if self.audience == MANAGER:
            return user.role in (Role.TEAM, Role.ADMIN)
        return writer


@dataclass(frozen=True)
class RuleText:
    name: object  # a lazy string
    message: Callable[[dict], str]
    action: Callable[[Flag], Action | None]


def _date(detail: dict, key: str) -> str:
    value = detail.get(key)
    try:
        return format_date(date.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)


def _hours(detail: dict, key: str) -> str:
    try:
        return format_number(Decimal(str(detail.get(key))))
    except (InvalidOperation, ValueError):
        return str(detail.get(key, ""))


def _session_new(label, session_format: SessionFormat | None = None
                 ) -> Callable[[Flag], Action]:
    values = {"format": session_format.value} if session_format else {}
    return lambda flag: Action(str(label), "engagements.session_new",
                               {"engagement_id": flag.engagement_id, **values})


def _case_edit(flag: Flag) -> Action:
    return Action(_("Review the hour budget"), "engagements.case_edit",
                  {"engagement_id": flag.engagement_id}, MANAGER)


def _no_recent_activity(detail: dict) -> str:
    if detail.get("session", True):
        return _("No session since %(date)s (%(days)d days)",
                 date=_date(detail, "since"), days=int(detail.get("days", 0)))
    return _("No session since the start on %(date)s (%(days)d days)",
             date=_date(detail, "since"), days=int(detail.get("days", 0)))


def _hours_used(detail: dict) -> str:
    return _("%(used)s of %(budget)s hours used",
             used=_hours(detail, "used"), budget=_hours(detail, "budget"))


RULES: dict[str, RuleText] = {
    "baseline_missing": RuleText(
        _l("Baseline missing"),
        lambda d: _("No kick-off meeting with baseline logged; it was due %(date)s",
                    date=_date(d, "due")),
        _session_new(_l("Log the kick-off meeting (baseline)"),
                     MILESTONE_FORMATS["baseline_on"])),
    "no_recent_activity": RuleText(
        _l("No recent activity"), _no_recent_activity,
        _session_new(_l("Log or plan a session"))),
    "hours_nearly_used": RuleText(_l("Hour budget nearly used"), _hours_used, _case_edit),
    "hours_exceeded": RuleText(_l("Hour budget exceeded"), _hours_used, _case_edit),
    "midway_status_missing": RuleText(
        _l("Midway status missing"),
        lambda d: _("No midway status logged; it was due %(date)s", date=_date(d, "due")),
        _session_new(_l("Log the midway status"), MILESTONE_FORMATS["midway_on"])),
    "end_assessment_due": RuleText(
        _l("End assessment due"),
        lambda d: _("The course ends %(date)s; no evaluation meeting is logged yet",
                    date=_date(d, "end")),
        _session_new(_l("Log the evaluation meeting"), MILESTONE_FORMATS["end_on"])),
    "overdue_close": RuleText(
        _l("Case not closed"),
        lambda d: _("The planned end %(date)s has passed and the case is still open",
                    date=_date(d, "end")),
        lambda flag: Action(_("Complete the case"), "engagements.case",
                            {"engagement_id": flag.engagement_id, "_anchor": "status"},
                            MANAGER)),
    "team_incomplete": RuleText(
        _l("Team incomplete"),
        lambda d: _("%(consultants)d of %(required)d consultants on the case",
                    consultants=int(d.get("consultants", 0)),
                    required=int(d.get("required", 0))),
        lambda flag: Action(_("Add a consultant"), "engagements.case",
                            {"engagement_id": flag.engagement_id, "_anchor": "team"},
                            MANAGER)),
    "review_overdue": RuleText(
        _l("Application awaiting a decision"),
        lambda d: _("Ready for a decision since %(date)s", date=_date(d, "since")),
        lambda flag: Action(_("Review the application"), "applications.detail",
                            {"application_id": flag.application_id}, TEAM)),
}


def rule_name(code: str) -> str:
    text = RULES.get(code)
    return str(text.name) if text else code


def message(flag: Flag) -> str:
    text = RULES.get(flag.rule_code)
    return text.message(flag.detail or {}) if text else ""


def action(flag: Flag) -> Action | None:
    """The resolving action of an open flag (a resolved flag needs none)."""
    text = RULES.get(flag.rule_code)
    if text is None or not flag.is_open:
        return None
    return text.action(flag)



def severity_mark(severity: Severity) -> str:
    """The text mark of a severity, e.g. for the plain-text digest mail."""
    return SEVERITY_MARKS[severity]
