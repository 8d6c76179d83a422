"""Forms of self-assessment entry: one respondent's answers, deleting them, a file import."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired

from consultancy.evaluation.services import AnswerValue, item_field
from consultancy.models import (
    DaycareUnit,
    Dimension,
    InstrumentVersion,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
)
from consultancy.web.forms import Form, choices, enum_choices, optional_int, sensible_date

# A date typed by hand is read the ISO way or the Danish way; the browser's date picker
# sends ISO.
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y"]
ANSWER_REQUIRED = _l("Answer the question, or mark it as not relevant or don't know.")


def _optional(enum_class):
    def coerce(value):
        if value in ("", None):
            return None
        return value if isinstance(value, enum_class) else enum_class(value)
    return coerce


@dataclass(frozen=True)
class RespondentOption:
    """An existing respondent of the case, offered to link new answers to the same person."""
    code: str
    description: str


class ResponseForm(Form):
    """The fields every response has; `response_form` adds one radio group per item."""

    unit = SelectField(_l("Unit"), coerce=optional_int,
                       validators=[InputRequired(_l("Choose the unit."))])
    occasion = SelectField(_l("Occasion"), coerce=_optional(Occasion),
                           validators=[InputRequired(_l("Choose the occasion."))])
    respondent_role = SelectField(_l("Respondent's role"), coerce=_optional(RespondentRole),
                                  validators=[InputRequired(_l("Choose the respondent's role."))])
    responded_on = DateField(_l("Date answered"), format=DATE_FORMATS,
                             validators=[InputRequired(_l("Enter the date.")), sensible_date])
    respondent_code = SelectField(
        _l("Respondent"), coerce=str,
        description=_l("To link the answers to the same person at another occasion, choose "
                       "their code. Codes are never names."))
    version = HiddenField()
    submit = SubmitField(_l("Save the answers"))

    def set_choices(self, units: Iterable[DaycareUnit], respondents: Iterable[RespondentOption],
                    new_respondent: bool = True) -> None:
        units = list(units)
        self.unit.choices = choices(
            ([] if len(units) == 1 else [("", _l("Choose the unit"))])
            + [(unit.id, unit.name) for unit in units])
        self.occasion.choices = enum_choices(Occasion, _l("Choose the occasion"))
        self.respondent_role.choices = enum_choices(RespondentRole, _l("Choose the role"))
        self.respondent_code.choices = choices(
            ([("", _l("A new respondent (a code is made)"))] if new_respondent else [])
            + [(option.code, option.description) for option in respondents])

    def answers(self) -> dict[str, AnswerValue]:
        return {code: _answer_of(self[item_field(code)].data) for code in self.item_codes}


def _answer_of(value: str | None) -> AnswerValue | None:
    if value in (None, ""):
        return None
    if value in {code.value for code in MissingCode}:
        return MissingCode(value)
    return int(value)


def response_form(version: InstrumentVersion, language: str, **kwargs) -> ResponseForm:
    """A form for `version`: one radio group per item (the scale's points with their
    anchors, then "not relevant" and "don't know"), grouped by dimension."""
    class VersionForm(ResponseForm):
        pass

    def anchor(point: int) -> str:
        texts = version.anchors.get(str(point)) or {}
        return texts.get(language) or texts.get("da") or ""

    scale = [(str(point), anchor(point))
             for point in range(version.scale_min, version.scale_max + 1)]
    missing = [(code.value, code.label) for code in MissingCode]
    for item in version.items:
        setattr(VersionForm, item_field(item.code), RadioField(
            item.text(language), choices=choices(scale + missing),
            validators=[InputRequired(ANSWER_REQUIRED)]))
    form = VersionForm(**kwargs)
    form.item_codes = [item.code for item in version.items]
    groups: dict[int, tuple[Dimension, list]] = {}
    for item in version.items:
        groups.setdefault(item.dimension_id, (item.dimension, []))[1].append(
            (item, form[item_field(item.code)]))
    form.dimensions = sorted(groups.values(), key=lambda group: group[0].position)
    form.scale_points = {value for value, _label in scale}
    return form


def response_values(response: Response) -> dict:
    """What the form shows for a response already entered."""
    values = dict(unit=response.unit_id, occasion=response.occasion,
                  respondent_role=response.respondent_role,
                  responded_on=response.responded_on,
                  respondent_code=response.respondent_code,
                  version=str(response.instrument_version_id))
    for answer in response.answers:
        values[item_field(answer.item.code)] = (
            answer.missing_code.value if answer.missing_code is not None
            else str(answer.value))
    return values


class DeleteResponseForm(Form):
    submit = SubmitField(_l("Delete the answers"))


class ImportForm(Form):
    file = FileField(_l("File"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))],
        description=_l("A CSV file (comma or semicolon) or an Excel workbook (.xlsx), "
                       "one row per respondent and occasion."))
    submit = SubmitField(_l("Import"))
