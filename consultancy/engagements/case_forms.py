"""Forms for the case itself: creating, editing, its team, status and contacts."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from consultancy.models import EngagementStatus, MemberRole
from consultancy.security.validators import CHILDREN_NOTICE
from consultancy.web.forms import DecimalCommaField, Form, enum_choices, optional_int, sensible_date


class CaseForm(Form):
    start_date = DateField(_l("Start date"), validators=[Optional(), sensible_date])
    planned_end = DateField(_l("Planned end"), validators=[Optional(), sensible_date])
    hour_budget = DecimalCommaField(_l("Hour budget"), places=2, validators=[
        Optional(), NumberRange(min=1, max=2000, message=_l("Enter a number between 1 and 2000."))],
        description=_l("Leave empty for courses without an hour budget."))
    goals = TextAreaField(_l("Agreed goals (one per line)"), validators=[Length(max=5000)],
                          description=CHILDREN_NOTICE)
    documentation_form = TextAreaField(
        _l("The units' form of pedagogical documentation"), validators=[Length(max=5000)],
        description=CHILDREN_NOTICE)
    themes = SelectMultipleField(_l("Focus themes"), coerce=int, widget=ListWidget(
        prefix_label=False), option_widget=CheckboxInput(), validate_choice=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class NewCaseForm(Form):
    engagement_type = SelectField(_l("Type of course"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a type of course."))])
    municipality = SelectField(_l("Municipality"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a municipality."))])
    applicant_name = StringField(_l("Applicant"), validators=[
        DataRequired(_l("Enter the applicant's name.")), Length(max=160)],
        description=_l("The municipality, or the self-owned or private daycare."))
    start_date = DateField(_l("Start date"), validators=[Optional(), sensible_date])
    submit = SubmitField(_l("Create case"))


class MemberForm(Form):
    user = SelectField(_l("Consultant"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a consultant."))])
    role = SelectField(_l("Role on the case"), choices=lambda: enum_choices(MemberRole))
    started_on = DateField(_l("On the case from"), validators=[Optional(), sensible_date],
                           description=_l("Today if left empty; earlier for a case that "
                                          "predates the system."))
    submit = SubmitField(_l("Add to the team"))


class StatusForm(Form):
    # Not id "status": the case page's status section has that id (a flag action's anchor).
    status = SelectField(_l("New status"), choices=lambda: enum_choices(EngagementStatus),
                         id="new-status")
    reason = TextAreaField(_l("Reason (needed when cancelling)"), validators=[Length(max=2000)],
                           description=CHILDREN_NOTICE)
    submit = SubmitField(_l("Change status"))


class ContactForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")),
                                               Length(max=120)])
    title = StringField(_l("Title or role"), validators=[Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254), Email(
        _l("Enter a valid email address, e.g. name@kommune.dk."))])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    # Not id "unit": the case page's form that adds a unit has a field of that name.
    unit = SelectField(_l("Unit"), coerce=optional_int, id="contact-unit")
    submit = SubmitField(_l("Add contact"))


class UnitLinkForm(Form):
    unit = SelectField(_l("Daycare unit"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a unit."))])
    submit = SubmitField(_l("Add unit"))
