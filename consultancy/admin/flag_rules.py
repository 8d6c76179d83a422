"""How the admin page shows a flag rule's thresholds: which types of course get fields of
their own, the names of those fields, and each threshold with its unit as text.

Which thresholds a rule has, their ranges, names and descriptions: its spec in
`consultancy.flags.catalogue`. Case rules may be set per type of course
(`FlagRule.type_params`); application rules read the general value only.
"""
from __future__ import annotations

from flask_babel import gettext as _, ngettext

from consultancy.flags.catalogue import DAYS, MONTHS, PERCENT, FlagRuleSpec, Parameter, spec_of


def form_types(spec: FlagRuleSpec, rule, types: list) -> list:
    """The types of course with fields of their own on the rule's form: none when its
    thresholds cannot differ per type; else the active types, and closed ones that still
    have values of their own (open cases of a closed type are still judged, and saving
    must not drop what the form cannot show)."""
    if not (spec.per_type and spec.parameters):
        return []
    return [t for t in types if t.active or t.code in rule.type_params]


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
    for parameter in spec_of(rule.code).parameters:
        value = rule.params.get(parameter.key)
        parts = [amount(parameter, value) if isinstance(value, int) else "–"]
        for code in types:
            values = rule.type_params[code]
            if isinstance(values.get(parameter.key), int):
                parts.append(f"{type_names.get(code, code)}: "
                             f"{amount(parameter, values[parameter.key])}")
        shown.append((parameter, "; ".join(parts)))
    return shown
