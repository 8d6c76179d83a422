"""The one place that refuses CPR numbers in what users type."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from consultancy.rules.eligibility import contains_cpr

CPR_MESSAGE = _l("Remove the personal identity number (CPR). It must never be stored here.")


def no_cpr(_form, field) -> None:
    value = field.data
    if isinstance(value, str) and contains_cpr(value):
        raise ValidationError(CPR_MESSAGE)

CHILDREN_NOTICE = _l("Write about practice, never about named children. CPR numbers are refused.")
