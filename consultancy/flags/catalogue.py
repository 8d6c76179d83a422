"""The flag rules: one `FlagRuleSpec` per rule, listed once, in the order they are shown.

A spec says all there is to say about its rule: its code, what it judges (cases or
applications), its condition, its default severity, the thresholds an administrator may set
(with their ranges and defaults), its texts and the step that resolves it. The conditions are
pure functions of the facts, the thresholds and the day (no database, no Flask), written
just above the rules and table-tested in `tests/test_rules_flags.py`. The flag pass, the
flags pages, the digest, the admin page and the seeding of the `flag_rules` table read the
rules from here; a new rule is one condition and one spec in this module, and its test.

What an administrator changes (severity, on/off, thresholds, per type of course) is
stored in the rule's `FlagRule` row, which the flag pass inserts for a rule it finds here
without one (`consultancy.flags.services.stored_rules`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l

from consultancy.models import Flag, FlagRule, SessionFormat, Severity
from consultancy.rules.engagements import BUDGET_WARNING_SHARE, add_months
from consultancy.rules.flags import MILESTONE_FORMATS, ApplicationFacts, Detail
from consultancy.rules.phases import CaseFacts
from consultancy.web.i18n import format_date, format_number

# What a rule judges: the facts its condition is given.
CASE, APPLICATION = "case", "application"

# The units of thresholds, as the admin page shows them.
DAYS, MONTHS, PERCENT = "days", "months", "percent"

# Who may take a resolving action: "writer" (may change the case), "manager" (team and
# admin, who set budgets, teams and status) or "team" (the team decides applications).
WRITER, MANAGER, TEAM = "writer", "manager", "team"


@dataclass(frozen=True)
class Parameter:
    """A threshold of a rule: its key in `FlagRule.params`, what the admin page calls it,
    its unit, the range an administrator may set and the value a new rule starts with."""
    key: str
    label: object  # a lazy string
    unit: str
    minimum: int
    maximum: int
    default: int


@dataclass(frozen=True)
class Action:
    """The step that makes the flag's condition stop holding; a link built in the template
    with `url_for(endpoint, **values)`. Who may take it: `audience`."""
    label: str
    endpoint: str
    values: dict = field(default_factory=dict)
    audience: str = WRITER


@dataclass(frozen=True)
class FlagRuleSpec:
    code: str
    judges: str | None  # CASE or APPLICATION (None: a stored rule no longer listed)
    condition: Callable[[Any, dict, date], Detail | None]
    severity: Severity  # the default; administrators change it
    name: object  # a lazy string
    description: object  # a lazy string, for the admin page
    message: Callable[[dict], str]  # one line from a flag's detail
    action: Callable[[Flag], Action | None]  # the step that resolves an open flag
    parameters: tuple[Parameter, ...] = ()
    # Thresholds a new rule starts with for single types of course, e.g. {"mini": {"days": 30}}.
    type_defaults: dict[str, dict[str, int]] = field(default_factory=dict)

    def __call__(self, facts, params: dict, today: date) -> Detail | None:
        """Judge: the detail to show when the rule holds for `facts` on `today`, else None."""
        return self.condition(facts, params, today)

    @property
    def per_type(self) -> bool:
        """Whether the rule judges cases, so its thresholds may differ per type of course."""
        return self.judges == CASE

    @property
    def defaults(self) -> dict[str, int]:
        return {parameter.key: parameter.default for parameter in self.parameters}

    def parameter(self, key: str) -> Parameter | None:
        return next((p for p in self.parameters if p.key == key), None)

    def params(self, setting: FlagRule, engagement_type: str | None = None) -> dict:
        """The thresholds to judge with: the stored ones (those of the type of course
        first), the defaults for any the stored row lacks (a threshold added later)."""
        return {**self.defaults, **setting.params_for(engagement_type)}


# --- the building blocks of the texts -------------------------------------------------------

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


def _on_case(label, anchor: str) -> Callable[[Flag], Action]:
    return lambda flag: Action(str(label), "engagements.case",
                               {"engagement_id": flag.engagement_id, "_anchor": anchor},
                               MANAGER)


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


def _share_of_budget(maximum: int, default: int) -> Parameter:
    return Parameter("percent", _l("Share of the hour budget"), PERCENT, 1, maximum, default)


# --- the conditions: pure, facts in, the detail to show (or None) out ----------------------

def _day(value: date) -> str:  # a detail holds days as ISO text (JSON)
    return value.isoformat()


def baseline_missing(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.baseline_on is not None:
        return None
    due = facts.start_date + timedelta(days=params["days_after_start"])
    return {"due": _day(due)} if today >= due else None


def no_recent_activity(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.start_date > today:
        return None
    since = max(filter(None, (facts.start_date, facts.last_session_on)))
    days = (today - since).days
    if days < params["days"]:
        return None
    return {"since": _day(since), "days": days, "session": facts.last_session_on is not None}


def _share(facts: CaseFacts) -> Decimal | None:
    if not facts.hour_budget:
        return None
    return facts.hours_used * 100 / facts.hour_budget


def _hours_of(facts: CaseFacts) -> Detail:
    return {"used": str(facts.hours_used), "budget": str(facts.hour_budget)}


def hours_nearly_used(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    share = _share(facts)
    if not facts.is_open or share is None or facts.hours_used > facts.hour_budget:
        return None
    return _hours_of(facts) if share >= Decimal(str(params["percent"])) else None


def hours_exceeded(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    share = _share(facts)
    if not facts.is_open or share is None:
        return None
    return _hours_of(facts) if share > Decimal(str(params["percent"])) else None


def midway_status_missing(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.midway_on is not None:
        return None
    due = add_months(facts.start_date, params["months_after_start"]) + timedelta(
        days=params["grace_days"])
    # Courses that end before the midway status would be due (the mini course) have none.
    if facts.planned_end is not None and facts.planned_end <= due:
        return None
    return {"due": _day(due)} if today >= due else None


def end_assessment_due(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.planned_end is None or facts.end_on is not None:
        return None
    if today < facts.planned_end - timedelta(days=params["days_before_end"]):
        return None
    return {"end": _day(facts.planned_end)}


def overdue_close(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.planned_end is None:
        return None
    if today < facts.planned_end + timedelta(days=params["days_after_end"]):
        return None
    return {"end": _day(facts.planned_end)}


def team_incomplete(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.consultants >= facts.min_consultants:
        return None
    return {"consultants": facts.consultants, "required": facts.min_consultants}


def review_overdue(facts: ApplicationFacts, params: dict, today: date) -> Detail | None:
    if not facts.undecided:
        return None
    due = facts.waiting_since + timedelta(days=params["days"])
    return {"since": _day(facts.waiting_since)} if today >= due else None


# --- the rules -------------------------------------------------------------------------------

CATALOGUE: dict[str, FlagRuleSpec] = {spec.code: spec for spec in (
    FlagRuleSpec(
        "baseline_missing", CASE, baseline_missing, Severity.WARNING,
        _l("Baseline missing"),
        _l("The case has started, but no kick-off (baseline) has been recorded."),
        lambda d: _("No kick-off meeting with baseline logged; it was due %(date)s",
                    date=_date(d, "due")),
        _session_new(_l("Log the kick-off meeting (baseline)"),
                     MILESTONE_FORMATS["baseline_on"]),
        (Parameter("days_after_start", _l("Days after the start"), DAYS, 1, 365, 30),)),
    FlagRuleSpec(
        "no_recent_activity", CASE, no_recent_activity, Severity.WARNING,
        _l("No recent activity"),
        _l("No session has been held for a while (counted from the start when none has "
           "been held yet)."),
        _no_recent_activity, _session_new(_l("Log or plan a session")),
        (Parameter("days", _l("Days without a session"), DAYS, 1, 365, 42),),
        type_defaults={"mini": {"days": 30}}),
    FlagRuleSpec(
        "hours_nearly_used", CASE, hours_nearly_used, Severity.INFO,
        _l("Hour budget nearly used"),
        _l("The hours held have reached a share of the case's hour budget."),
        # Its default is the budget bar's (`rules.engagements`), said there once.
        _hours_used, _case_edit, (_share_of_budget(100, int(BUDGET_WARNING_SHARE * 100)),)),
    FlagRuleSpec(
        "hours_exceeded", CASE, hours_exceeded, Severity.CRITICAL,
        _l("Hour budget exceeded"),
        _l("The hours held are above a share of the case's hour budget."),
        _hours_used, _case_edit, (_share_of_budget(300, 100),)),
    FlagRuleSpec(
        "midway_status_missing", CASE, midway_status_missing, Severity.WARNING,
        _l("Midway status missing"),
        _l("No midway status has been held some months after the start (plus a few days' "
           "grace). Courses that end before then have none."),
        lambda d: _("No midway status logged; it was due %(date)s", date=_date(d, "due")),
        _session_new(_l("Log the midway status"), MILESTONE_FORMATS["midway_on"]),
        (Parameter("months_after_start", _l("Months after the start"), MONTHS, 1, 60, 6),
         Parameter("grace_days", _l("Days of grace"), DAYS, 0, 180, 14))),
    FlagRuleSpec(
        "end_assessment_due", CASE, end_assessment_due, Severity.WARNING,
        _l("End assessment due"),
        _l("The planned end is near and no evaluation meeting has been held."),
        lambda d: _("The course ends %(date)s; no evaluation meeting is logged yet",
                    date=_date(d, "end")),
        _session_new(_l("Log the evaluation meeting"), MILESTONE_FORMATS["end_on"]),
        (Parameter("days_before_end", _l("Days before the planned end"), DAYS, 0, 365, 30),)),
    FlagRuleSpec(
        "overdue_close", CASE, overdue_close, Severity.CRITICAL,
        _l("Case not closed"),
        _l("The planned end has passed and the case is still open."),
        lambda d: _("The planned end %(date)s has passed and the case is still open",
                    date=_date(d, "end")),
        _on_case(_l("Complete the case"), "status"),
        (Parameter("days_after_end", _l("Days after the planned end"), DAYS, 0, 365, 30),)),
    FlagRuleSpec(
        "team_incomplete", CASE, team_incomplete, Severity.WARNING,
        _l("Team incomplete"),
        _l("Fewer consultants are on the case than its type of course asks for (set under "
           "Types of course)."),
        lambda d: _("%(consultants)d of %(required)d consultants on the case",
                    consultants=int(d.get("consultants", 0)),
                    required=int(d.get("required", 0))),
        _on_case(_l("Add a consultant"), "team")),
    FlagRuleSpec(
        "review_overdue", APPLICATION, review_overdue, Severity.WARNING,
        _l("Application awaiting a decision"),
        _l("An application is still undecided some days after its round closed (or after "
           "it arrived, when it was not made in a round)."),
        lambda d: _("Ready for a decision since %(date)s", date=_date(d, "since")),
        lambda flag: Action(_("Review the application"), "applications.detail",
                            {"application_id": flag.application_id}, TEAM),
        (Parameter("days", _l("Days without a decision"), DAYS, 1, 365, 14),)),
)}


def spec_of(code: str) -> FlagRuleSpec:
    """The spec of a rule. A stored rule no longer listed gets a bare one (its code for a
    name; no thresholds, message or action) so that its pages still show."""
    return CATALOGUE.get(code) or FlagRuleSpec(
        code, None, lambda *_args: None, Severity.WARNING, code, "", lambda _detail: "",
        lambda _flag: None)


class _Judging(Mapping):
    """The listed rules that judge cases (or applications), by code, in their order; read
    from CATALOGUE at each use."""

    def __init__(self, judges: str):
        self.judges = judges

    def __getitem__(self, code: str) -> FlagRuleSpec:
        spec = CATALOGUE[code]
        if spec.judges != self.judges:
            raise KeyError(code)
        return spec

    def __iter__(self) -> Iterator[str]:
        return (code for code, spec in CATALOGUE.items() if spec.judges == self.judges)

    def __len__(self) -> int:
        return sum(1 for _code in self)


CASE_RULES: Mapping[str, FlagRuleSpec] = _Judging(CASE)
APPLICATION_RULES: Mapping[str, FlagRuleSpec] = _Judging(APPLICATION)
