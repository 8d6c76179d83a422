import re
import secrets
import string

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from consultancy.applications.services import ApplicationData, RoundData, UnitData
from consultancy.models import ApplicantKind, ApplicationStatus, Ownership, UnitKind
from consultancy.web.forms import (
    DecimalCommaField,
    Form,
    choices,
    enum_choices,
    optional_int,
    sensible_date,
)
from consultancy.web.inputs import whole_number

MAX_UNITS = 10
TEXT_MAX = 5000
# Letters only: a token never looks like a number (nor like a CPR number).
SUBMISSION_TOKEN = re.compile(r"[A-Za-z]{32}")


def new_submission_token() -> str:
    """A fresh token for one rendering of the application form (about 182 random bits)."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(32))


class UnitFieldsForm(Form):
    """What is known of a daycare unit."""

    name = StringField(_l("Name of the unit"), validators=[
        DataRequired(_l("Enter the unit's name.")), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=lambda: enum_choices(UnitKind, _l("Choose a kind")),
                       validators=[InputRequired(_l("Choose the kind of unit."))])
    ownership = SelectField(_l("Ownership"),
                            choices=lambda: enum_choices(Ownership, _l("Choose an ownership")),
                            validators=[InputRequired(_l("Choose the unit's ownership."))])
    children = IntegerField(_l("Number of children"), validators=[
        InputRequired(_l("Enter the number of children.")),
        NumberRange(min=1, max=2000, message=_l("Enter a number between 1 and 2000."))])


class UnitForm(UnitFieldsForm):
    """A unit within an application, with the application's figure for vulnerable families."""

    class Meta:
        csrf = False  # part of the application form, which carries the token

    vulnerable_share = DecimalCommaField(
        _l("Share of families in a vulnerable position (%)"), places=1, validators=[
            InputRequired(_l("Enter the share in percent, e.g. 25.")),
            NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))])


class ApplicationForm(Form):
    # One per rendering of the form, sent back with it: the same form sent twice is one
    # application (see applications.views.apply).
    submission_token = HiddenField(default=new_submission_token)
    applicant_kind = RadioField(_l("Who applies?"), choices=lambda: enum_choices(ApplicantKind),
                                validators=[InputRequired(_l("Choose who applies."))])
    applicant_name = StringField(
        _l("Name of the daycare that applies"), validators=[Optional(), Length(max=160)],
        description=_l("Only when a self-owned or private daycare applies."))
    municipality = SelectField(_l("Municipality"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a municipality."))])
    engagement_type = SelectField(_l("Type of course"), coerce=optional_int, validators=[
        InputRequired(_l("Choose a type of course."))])

    contact_name = StringField(_l("Contact person"), validators=[
        DataRequired(_l("Enter the contact person's name.")), Length(max=120)])
    contact_email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")), Length(max=254),
        Email(_l("Enter a valid email address, e.g. name@kommune.dk."))])
    contact_phone = StringField(_l("Phone"), validators=[
        DataRequired(_l("Enter a phone number.")), Length(max=32),
        Regexp(r"^\+?[0-9 ]{8,20}$", message=_l("Enter a phone number of 8 digits, "
                                                  "e.g. 12 34 56 78."))])

    units = FieldList(FormField(UnitForm), min_entries=1, max_entries=MAX_UNITS)
    add_unit = SubmitField(_l("Add another unit"))

    documented_need = TextAreaField(_l("Documented need"), validators=[
        DataRequired(_l("Describe the need.")), Length(max=TEXT_MAX)],
        description=_l("Why do the units need to develop their pedagogical learning "
                       "environment for children in vulnerable positions? Refer to your own "
                       "data where you can."))
    motivation = TextAreaField(_l("Motivation"), validators=[
        DataRequired(_l("Describe your motivation.")), Length(max=TEXT_MAX)])
    leadership_backing = TextAreaField(_l("Leadership backing"), validators=[
        DataRequired(_l("Describe how management backs the course.")), Length(max=TEXT_MAX)])
    resource_hours_per_month = DecimalCommaField(
        _l("Hours set aside per month"), places=1, validators=[
            InputRequired(_l("Enter the hours set aside per month.")),
            NumberRange(min=0, max=1000, message=_l("Enter a number between 0 and 1000."))])
    resource_participants = TextAreaField(_l("Who takes part"), validators=[
        DataRequired(_l("Describe who takes part.")), Length(max=2000)],
        description=_l("E.g. the leader, two pedagogues and the municipal consultant."))
    consent = BooleanField(_l("I have read the privacy notice and agree that the information "
                              "is processed to handle the application."))
    submit = SubmitField(_l("Send application"))

    # Applicants consent in the public form; staff registering an emailed application do not.
    require_consent = True

    def validate_consent(self, field):
        if self.require_consent and not field.data:
            raise ValidationError(_l("You must accept the privacy notice."))

    def set_choices(self, municipalities, engagement_types, language: str) -> None:
        """Offer the municipalities and the active types of course."""
        self.municipality.choices = choices(
            [("", _l("Choose a municipality"))] + [(m.code, m.name) for m in municipalities])
        self.engagement_type.choices = choices(
            [("", _l("Choose a type of course"))]
            + [(t.id, t.name(language)) for t in engagement_types])

    def to_data(self) -> ApplicationData:
        return ApplicationData(
            engagement_type_id=self.engagement_type.data,
            applicant_kind=ApplicantKind(self.applicant_kind.data),
            municipality_code=self.municipality.data, applicant_name=self.applicant_name.data,
            contact_name=self.contact_name.data, contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data, documented_need=self.documented_need.data,
            motivation=self.motivation.data, leadership_backing=self.leadership_backing.data,
            resource_hours_per_month=self.resource_hours_per_month.data,
            resource_participants=self.resource_participants.data,
            consent=self.consent.data, submission_token=self.token(),
            units=[UnitData(name=u.form.name.data, kind=UnitKind(u.form.kind.data),
                            ownership=Ownership(u.form.ownership.data),
                            children=u.form.children.data,
                            vulnerable_share=u.form.vulnerable_share.data)
                   for u in self.units])

    def token(self) -> str | None:
        """The form's submission token; one that is not of our making is no token."""
        value = self.submission_token.data or ""
        return value if SUBMISSION_TOKEN.fullmatch(value) else None

    def remove_requested(self) -> int | None:
        """The index of a unit whose 'remove' button was pressed."""
        from flask import request
        for key in request.form:
            index = whole_number(key.removeprefix("remove_unit_"))
            if key.startswith("remove_unit_") and index is not None:
                return index
        return None


class ReviewerForm(Form):
    reviewer = SelectField(_l("Reviewer"), coerce=int)
    submit = SubmitField(_l("Assign"))


DECISION_LABELS = {
    ApplicationStatus.APPROVED: _l("Approve"),
    ApplicationStatus.WAITLISTED: _l("Waitlist"),
    ApplicationStatus.REJECTED: _l("Reject"),
}


class DecisionForm(Form):
    decision = RadioField(_l("Decision"), choices=lambda: choices(
        (status.value, label) for status, label in DECISION_LABELS.items()),
        validators=[InputRequired(_l("Choose a decision."))])
    note = TextAreaField(_l("Justification"), validators=[
        DataRequired(_l("Give a justification for the decision.")), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Record decision"))


class WithdrawForm(Form):
    reason = TextAreaField(_l("Why is it withdrawn?"), validators=[
        DataRequired(_l("Say why the application is withdrawn.")), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Withdraw application"))


class RoundForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")),
                                               Length(max=120)])
    engagement_type = SelectField(_l("Type of course"), coerce=int)
    opens_on = DateField(_l("Opens"), validators=[InputRequired(_l("Enter a date.")),
                                                  sensible_date])
    closes_on = DateField(_l("Closes"), validators=[InputRequired(_l("Enter a date.")),
                                                    sensible_date])
    capacity = IntegerField(_l("Capacity (courses to grant)"), validators=[
        InputRequired(_l("Enter the number of courses.")), NumberRange(min=0, max=500)])
    planned_start = DateField(_l("Planned start of the courses"),
                              validators=[Optional(), sensible_date])
    criteria_set = SelectField(_l("Criteria in force"), coerce=int)
    submit = SubmitField(_l("Save"))

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The round must close on or after the day it opens."))

    def to_data(self) -> RoundData:
        return RoundData(
            name=self.name.data, engagement_type_id=self.engagement_type.data,
            opens_on=self.opens_on.data, closes_on=self.closes_on.data,
            capacity=self.capacity.data, planned_start=self.planned_start.data,
            criteria_set_id=self.criteria_set.data)


class UnitEditForm(UnitFieldsForm):
    submit = SubmitField(_l("Save"))


def score_form(criteria, language: str, scores=None) -> Form:
    """A form with a 0-3 choice and a justification for each criterion of a set."""
    class ScoreForm(Form):
        submit = SubmitField(_l("Submit my scores"))

    for criterion in criteria:
        anchors = criterion.anchors.get(language) or criterion.anchors["da"]
        setattr(ScoreForm, f"score_{criterion.id}", RadioField(
            criterion.name(language),
            choices=choices((str(value), f"{value} – {anchor}")
                            for value, anchor in enumerate(anchors)),
            validators=[InputRequired(_l("Choose a score from 0 to 3."))],
            description=criterion.description(language)))
        # Named after its criterion: four fields called just "Justification" are not
        # told apart by a screen reader.
        setattr(ScoreForm, f"justification_{criterion.id}", TextAreaField(
            _l("Justification for %(criterion)s", criterion=criterion.name(language)),
            validators=[
                DataRequired(_l("Write a short justification.")), Length(max=2000)]))
    data = {}
    for score in scores or []:
        data[f"score_{score.criterion_id}"] = str(score.value)
        data[f"justification_{score.criterion_id}"] = score.justification
    return ScoreForm(data=data)


class CriteriaSetForm(Form):
    name = StringField(_l("Name of the version"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120)])
    vulnerable_share_threshold = DecimalCommaField(
        _l("Pre-screen threshold: share of vulnerable families (%)"), places=1, validators=[
            InputRequired(_l("Enter a percentage between 0 and 100.")),
            NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))])
    submit = SubmitField(_l("Create new version"))

    @classmethod
    def for_set(cls, criteria_set):
        """The form with a weight and a minimum field for each criterion of the set."""
        class VersionForm(cls):
            pass

        for criterion in criteria_set.criteria:
            setattr(VersionForm, f"weight_{criterion.code}", IntegerField(
                _l("Weight"), default=criterion.weight, validators=[
                    InputRequired(_l("Enter a weight.")),
                    NumberRange(min=1, max=100, message=_l("Enter a number between 1 and 100."))]))
            setattr(VersionForm, f"minimum_{criterion.code}", IntegerField(
                _l("Minimum score"), default=criterion.minimum, validators=[
                    InputRequired(_l("Enter a minimum score.")),
                    NumberRange(min=0, max=3, message=_l("Enter a number from 0 to 3."))]))
        form = VersionForm(data={
            "name": "", "vulnerable_share_threshold": criteria_set.vulnerable_share_threshold})
        form.codes = [criterion.code for criterion in criteria_set.criteria]
        return form

    def criterion_settings(self) -> dict[str, tuple[int, int]]:
        return {code: (self[f"weight_{code}"].data, self[f"minimum_{code}"].data)
                for code in self.codes}
