from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from consultancy.admin.flag_rules import override_field, unit_label
from consultancy.auth.forms import PASSWORD_MAX_LENGTH, acceptable_password
from consultancy.flags.catalogue import FlagRuleSpec
from consultancy.models import Intake, Role, Severity
from consultancy.web.forms import DecimalCommaField, Form, choices, enum_choices, optional_int
from consultancy.web.i18n import LANGUAGE_NAMES


def _typed_account(form):
    return form.email.data, form.name.data, None


class UserForm(Form):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")), Length(max=254),
        Email(_l("Enter a valid email address, e.g. name@kommune.dk."))])
    role = SelectField(_l("Role"), choices=lambda: enum_choices(Role))
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()))
    active = BooleanField(_l("Active (may sign in)"), default=True)
    password = PasswordField(_l("Password"), validators=[
        Optional(), Length(max=PASSWORD_MAX_LENGTH), acceptable_password(_typed_account)],
        description=_l("Leave empty to keep the current password."))
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")), Length(max=PASSWORD_MAX_LENGTH),
        acceptable_password(_typed_account)])


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    user = SelectField(_l("User"), coerce=str, validators=[Optional()])
    table = StringField(_l("Table"), validators=[Optional(), Length(max=64)])
    record = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class EngagementTypeForm(Form):
    code = StringField(_l("Code"), validators=[
        DataRequired(_l("Enter a code.")), Length(max=32),
        Regexp(r"^[a-z][a-z0-9_]*$", message=_l(
            "Use lower-case letters, digits and _, starting with a letter, e.g. "
            "one_and_a_half_year."))])
    name_da = StringField(_l("Name in Danish"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120)])
    intake = SelectField(_l("Intake"), choices=lambda: enum_choices(Intake))
    default_length_months = IntegerField(_l("Default length (months)"), validators=[
        InputRequired(_l("Enter the length in months.")),
        NumberRange(min=1, max=60, message=_l("Enter a number between 1 and 60."))])
    default_hours = DecimalCommaField(_l("Default hour budget"), places=2, validators=[
        Optional(), NumberRange(min=1, max=2000, message=_l("Enter a number between 1 and 2000."))],
        description=_l("Leave empty for courses without an hour budget."))
    institutions_may_apply = BooleanField(_l("Self-owned and private daycare may apply"))
    min_consultants = IntegerField(_l("Consultants a case should have"), default=1, validators=[
        InputRequired(_l("Enter a number.")),
        NumberRange(min=1, max=5, message=_l("Enter a number between 1 and 5."))])
    phases_from = SelectField(_l("Phases as in"), coerce=optional_int,
                              description=_l("The new type goes through the same phases."))
    active = BooleanField(_l("Open for new applications and cases"), default=True)
    submit = SubmitField(_l("Save"))

    def fix_code(self, reason: str) -> None:
        """A type in use keeps its code: shown read-only, with the reason beneath."""
        self.code.render_kw = {**(self.code.render_kw or {}), "readonly": True}
        self.code.description = reason


class FlagRuleForm(Form):
    """Severity and on/off; `flag_rule_form` adds the rule's thresholds."""

    severity = SelectField(_l("Severity"), choices=lambda: enum_choices(Severity))
    enabled = BooleanField(_l("Enabled"), description=_l(
        "When off, the rule raises no new flags and its open flags are resolved at the "
        "next flag pass."))
    submit = SubmitField(_l("Save"))


class _WholeNumberRange(NumberRange):
    """NumberRange, silent when the input is no whole number (WTForms said so already)."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


def _range(parameter) -> list:
    return [_WholeNumberRange(min=parameter.minimum, max=parameter.maximum, message=_(
        "Enter a whole number from %(min)d to %(max)d.",
        min=parameter.minimum, max=parameter.maximum))]


def flag_rule_form(spec: FlagRuleSpec, type_codes: list[str], **kwargs) -> FlagRuleForm:
    """The form of one rule: a field per threshold (named by its key) and, for each type of
    course in `type_codes`, an optional field per threshold overriding it (empty: the
    general value applies)."""

    class RuleForm(FlagRuleForm):
        pass

    for parameter in spec.parameters:
        help_text = _("From %(min)d to %(max)d %(unit)s.", min=parameter.minimum,
                      max=parameter.maximum, unit=unit_label(parameter))
        setattr(RuleForm, parameter.key, IntegerField(
            parameter.label, description=help_text,
            validators=[InputRequired(_("Enter a value.")), *_range(parameter)]))
        for code in type_codes:
            setattr(RuleForm, override_field(code, parameter.key), IntegerField(
                parameter.label, validators=[Optional(), *_range(parameter)]))
    return RuleForm(**kwargs)
