"""How a reader is shown a case, a unit and a respondent.

Staff see the case's reference, the unit's name and the respondent's code. External
evaluators (`permissions.pseudonymised`) see the pseudonyms of their exports and the API
instead (`consultancy.security.pseudonyms`, the same key), so a page adds nothing that would tie a
pseudonym in a file to a name: no names, references, contacts or free text.

The templates get these as globals that ask who is signed in; code that builds text for a
page (the timeline) passes `pseudonymised` itself.
"""
from __future__ import annotations

from flask_login import current_user

from consultancy.security.permissions import pseudonymised
from consultancy.security.pseudonyms import pseudonym, respondent_value


def reader_pseudonymised() -> bool:
    """Whether the signed-in user sees pseudonyms (an external evaluator)."""
    return current_user.is_authenticated and pseudonymised(current_user)


def case_label(engagement, hidden: bool | None = None) -> str:
    """The case's reference, or its pseudonym (E-...) when `hidden` (by default: when the
    reader sees pseudonyms)."""
    hidden = reader_pseudonymised() if hidden is None else hidden
    return pseudonym("engagement", engagement.id) if hidden else engagement.reference


def unit_label(unit, hidden: bool | None = None) -> str:
    """The unit's name, or its pseudonym (U-...)."""
    hidden = reader_pseudonymised() if hidden is None else hidden
    return pseudonym("unit", unit.id) if hidden else unit.name


def respondent_label(response, hidden: bool | None = None) -> str:
    """The respondent's code, or the pseudonym (R-...) of the code on the case."""
    hidden = reader_pseudonymised() if hidden is None else hidden
    if not hidden:
        return response.respondent_code
    return pseudonym("respondent",
                     respondent_value(str(response.engagement_id), response.respondent_code))


def init_app(app) -> None:
    app.jinja_env.globals.update(
        pseudonymised=reader_pseudonymised, case_label=case_label, unit_label=unit_label,
        respondent_label=respondent_label)
