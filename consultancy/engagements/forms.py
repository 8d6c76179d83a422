"""The session log: one form to log, plan, complete or correct a session on a case."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from consultancy.engagements.services import SessionData
from consultancy.models import EngagementSession, SessionFormat, SubFormat, Theme, ThemeGroup
from consultancy.rules.engagements import SUB_FORMATS
from consultancy.security.validators import CHILDREN_NOTICE
from consultancy.web.forms import DecimalCommaField, Form, choices, enum_choices, sensible_date
from consultancy.web.inputs import whole_number

TEXT_MAX = 5000
PEOPLE_MAX = 500
HOURS_RANGE = _l("Enter a duration between a quarter of an hour and 24 hours.")


def _optional_sub_format(value) -> SubFormat | None:
    if value in ("", None):
        return None
    return SubFormat(value)


def expected_version(field: HiddenField) -> int:
    """The version the user started from; a missing or garbled one never matches."""
    return whole_number((field.data or "").strip()) or 0


def _checkboxes(label, **kwargs) -> SelectMultipleField:
    return SelectMultipleField(label, coerce=int, widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput(), validate_choice=True, **kwargs)


def _people(label) -> IntegerField:
    return IntegerField(label, default=0, render_kw={"inputmode": "numeric"},
                        validators=[
                            InputRequired(_l("Enter a number, 0 if no one took part.")),
                            NumberRange(min=0, max=PEOPLE_MAX,
                                        message=_l("Enter a number between 0 and 500."))])


class SessionForm(Form):
    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date.")),
                                                sensible_date],
                        description=_l("A date in the future plans the session; add the "
                                       "summary once it has been held."))
    hours = DecimalCommaField(
        _l("Hours"), places=2, validators=[
            InputRequired(_l("Enter the duration in hours, e.g. 1.5.")),
            NumberRange(min=Decimal("0.25"), max=24, message=HOURS_RANGE)],
        description=_l("In quarter hours: 0.25 · 0.5 · 0.75 · 1 · 1.5 …"))
    format = SelectField(_l("Format"), coerce=SessionFormat,
                         default=SessionFormat.PRACTICE_MEETING,
                         validators=[InputRequired(_l("Choose a format."))])
    sub_format = SelectField(
        _l("Sub-format"), coerce=_optional_sub_format,
        description=_l("Practice meetings, leadership sparring and sparring with municipal "
                       "consultants take a sub-format of their own; the other formats none."))
    consultant_ids = _checkboxes(_l("Consultants present"))
    unit_ids = _checkboxes(_l("Units present"))
    theme_ids = _checkboxes(_l("Themes"))
    leaders = _people(_l("Leaders"))
    pedagogical_staff = _people(_l("Pedagogical staff"))
    assistants = _people(_l("Assistants"))
    municipal_consultants = _people(_l("Municipal consultants"))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=TEXT_MAX)],
                            description=CHILDREN_NOTICE)
    next_steps = TextAreaField(_l("Agreed next steps"), validators=[Length(max=TEXT_MAX)],
                               description=CHILDREN_NOTICE)
    version = HiddenField()
    confirm_overrun = BooleanField(_l("Log the session although it takes the case past its "
                                      "hour budget"))
    submit = SubmitField(_l("Save the session"))

    def set_choices(self, consultants: Iterable, units: Iterable, themes: Iterable[Theme],
                    language: str) -> None:
        """Offer the case's consultants and units, the themes grouped, the sub-formats by
        the format they belong to."""
        self.format.choices = enum_choices(SessionFormat)
        self.sub_format.choices = [SelectChoice("", _l("No sub-format"))] + [
            SelectChoice(sub.value, sub.label, optgroup=str(session_format.label))
            for session_format, subs in SUB_FORMATS.items() for sub in subs]
        self.consultant_ids.choices = choices((user.id, user.name) for user in consultants)
        self.unit_ids.choices = choices((unit.id, unit.name) for unit in units)
        order = list(ThemeGroup)
        themes = sorted(themes, key=lambda t: (order.index(t.group), t.position, t.id))
        self.theme_ids.choices = choices((t.id, t.name(language)) for t in themes)
        self.theme_groups = [
            (group, [t.id for t in themes if t.group is group]) for group in order
            if any(t.group is group for t in themes)]

    def expected_version(self) -> int:
        return expected_version(self.version)

    def to_data(self) -> SessionData:
        return SessionData(
            held_on=self.held_on.data, hours=self.hours.data, format=self.format.data,
            sub_format=self.sub_format.data, consultant_ids=list(self.consultant_ids.data or []),
            unit_ids=list(self.unit_ids.data or []), theme_ids=list(self.theme_ids.data or []),
            leaders=self.leaders.data, pedagogical_staff=self.pedagogical_staff.data,
            assistants=self.assistants.data, municipal_consultants=self.municipal_consultants.data,
            summary=self.summary.data or "", next_steps=self.next_steps.data or "")


def session_values(session: EngagementSession) -> dict:
    """What the form shows for a session already logged."""
    return dict(
        held_on=session.held_on, hours=session.hours, format=session.format,
        sub_format=session.sub_format, consultant_ids=[c.user_id for c in session.consultants],
        unit_ids=[u.unit_id for u in session.units],
        theme_ids=[t.theme_id for t in session.themes], leaders=session.leaders,
        pedagogical_staff=session.pedagogical_staff, assistants=session.assistants,
        municipal_consultants=session.municipal_consultants, summary=session.summary,
        next_steps=session.next_steps, version=str(session.version))


class DeleteSessionForm(Form):
    version = HiddenField()
    submit = SubmitField(_l("Delete the session"))

    def expected_version(self) -> int:
        return expected_version(self.version)
