"""What people read about a flag: its rule's name, a one-line message from the flag's
detail and the action that resolves it, each from the rule's spec in the catalogue; and how
a severity is marked. The flags page, a flag's page, the case banner, the start page, the
timeline and the digest all use them.
"""
from __future__ import annotations

from consultancy.flags.catalogue import Action, spec_of
from consultancy.models import Flag, Severity

# A text mark per severity, beside its label: severity is never told by colour alone.
SEVERITY_MARKS = {Severity.CRITICAL: "‼", Severity.WARNING: "⚠", Severity.INFO: "ℹ"}
SEVERITY_CSS = {Severity.CRITICAL: "text-bg-danger", Severity.WARNING: "text-bg-warning",
                Severity.INFO: "text-bg-info"}


def rule_name(code: str) -> str:
    return str(spec_of(code).name)


def message(flag: Flag) -> str:
    return spec_of(flag.rule_code).message(flag.detail or {})


def action(flag: Flag) -> Action | None:
    """The resolving action of an open flag (a resolved flag needs none)."""
    return spec_of(flag.rule_code).action(flag) if flag.is_open else None


def severity_mark(severity: Severity) -> str:
    """The text mark of a severity, e.g. for the plain-text digest mail."""
    return SEVERITY_MARKS[severity]
