"""What an administrator may set on each flag rule: its thresholds, their units and ranges.

The rule names come from `consultancy.flags.texts`, where the flags pages find them too.

The conditions themselves are code (`consultancy.rules.flags`); the keys here are the keys
of `FlagRule.params` those conditions read. Case rules may be set per type of course
(`FlagRule.type_params`); application rules read the general value only.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from flask_babel import ngettext

from consultancy.flags.texts import rule_name
from consultancy.rules.flags import CASE_RULES


@dataclass(frozen=True)
class Parameter:
    key: str
    label: object  # a lazily translated string
    unit: str      # "days", "months" or "percent"
    minimum: int
    maximum: int


@dataclass(frozen=True)
class RuleText:
    name: object
    description: object
    parameters: tuple[Parameter, ...] = ()

    @classmethod
    def of(cls, description, parameters: tuple[Parameter, ...] = ()) -> RuleText:
        return cls(None, description, parameters)

    def parameter(self, key: str) -> Parameter | None:
        return next((p for p in self.parameters if p.key == key), None)


DAYS, MONTHS, PERCENT = "days", "months", "percent"

PARAMETERS: dict[str, RuleText] = {
    "baseline_missing": RuleText.of(
        _l("The case has started, but no kick-off (baseline) has been recorded."),
        (Parameter("days_after_start", _l("Days after the start"), DAYS, 1, 365),)),
    "no_recent_activity": RuleText.of(
        _l("No session has been held for a while (counted from the start when none has "
           "been held yet)."),
        (Parameter("days", _l("Days without a session"), DAYS, 1, 365),)),
    "hours_nearly_used": RuleText.of(
        _l("The hours held have reached a share of the case's hour budget."),
        (Parameter("percent", _l("Share of the hour budget"), PERCENT, 1, 100),)),
    "hours_exceeded": RuleText.of(
        _l("The hours held are above a share of the case's hour budget."),
        (Parameter("percent", _l("Share of the hour budget"), PERCENT, 1, 300),)),
    "midway_status_missing": RuleText.of(
        _l("No midway status has been held some months after the start (plus a few days' "
           "grace). Courses that end before then have none."),
        (Parameter("months_after_start", _l("Months after the start"), MONTHS, 1, 60),
         Parameter("grace_days", _l("Days of grace"), DAYS, 0, 180))),
    "end_assessment_due": RuleText.of(
        _l("The planned end is near and no evaluation meeting has been held."),
        (Parameter("days_before_end", _l("Days before the planned end"), DAYS, 0, 365),)),
    "overdue_close": RuleText.of(
        _l("The planned end has passed and the case is still open."),
        (Parameter("days_after_end", _l("Days after the planned end"), DAYS, 0, 365),)),
    "team_incomplete": RuleText.of(
        _l("Fewer consultants are on the case than its type of course asks for (set under "
           "Types of course).")),
    "review_overdue": RuleText.of(
        _l("An application is still undecided some days after its round closed (or after "
           "it arrived, when it was not made in a round)."),
        (Parameter("days", _l("Days without a decision"), DAYS, 1, 365),)),
}


def text_of(code: str) -> RuleText:
    """The texts of a rule; a rule added to the database before its texts gets its code."""
    text = PARAMETERS.get(code) or RuleText.of("")
    return replace(text, name=rule_name(code))


def per_type(code: str) -> bool:
    """Whether the rule judges cases, so its thresholds may differ per type of course."""
    return code in CASE_RULES


def override_field(type_code: str, key: str) -> str:
    """The form field of a type's override (type codes and keys never hold a hyphen)."""
    return f"{type_code}-{key}"


def amount(parameter: Parameter, value: int) -> str:
    """A threshold with its unit, in the user's language, e.g. "42 dage"."""
    if parameter.unit == DAYS:
        return ngettext("%(num)d day", "%(num)d days", value)
    if parameter.unit == MONTHS:
        return ngettext("%(num)d month", "%(num)d months", value)
    return _("%(num)d%%", num=value)


def unit_label(parameter: Parameter) -> str:
    return {DAYS: _("days"), MONTHS: _("months"), PERCENT: "%"}[parameter.unit]


def thresholds(rule, type_names: dict[str, str]) -> list[tuple[Parameter, str]]:
    """Each threshold of `rule` as text, the general value first and then the types of
    course (by name, from `type_names`; else by code) with values of their own:
    "42 dage; Minivejledningsforløb: 30 dage"."""
    order = {code: position for position, code in enumerate(type_names)}
    types = sorted(rule.type_params, key=lambda code: (order.get(code, len(order)), code))
    shown = []
    for parameter in text_of(rule.code).parameters:
        value = rule.params.get(parameter.key)
        parts = [amount(parameter, value) if isinstance(value, int) else "–"]
        for code in types:
            values = rule.type_params[code]
            if isinstance(values.get(parameter.key), int):
                parts.append(f"{type_names.get(code, code)}: "
                             f"{amount(parameter, values[parameter.key])}")
        shown.append((parameter, "; ".join(parts)))
    return shown
