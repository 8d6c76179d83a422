from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from consultancy.auth.forms import PASSWORD_MAX_LENGTH, strong_enough
from consultancy.forms import Form, choices
from consultancy.i18n import LANGUAGE_NAMES
from consultancy.models import Role


def role_choices():
    return choices((role.value, role.label) for role in Role)


class UserForm(Form):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")), Length(max=254),
        Email(_l("Enter a valid email address, e.g. name@kommune.dk."))])
    role = SelectField(_l("Role"), choices=role_choices)
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()))
    active = BooleanField(_l("Active (may sign in)"), default=True)
    password = PasswordField(_l("Password"), validators=[
        Optional(), Length(max=PASSWORD_MAX_LENGTH), strong_enough],
        description=_l("Leave empty to keep the current password."))
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")), Length(max=PASSWORD_MAX_LENGTH),
        strong_enough])


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    user = SelectField(_l("User"), coerce=str, validators=[Optional()])
    table = StringField(_l("Table"), validators=[Optional(), Length(max=64)])
    record = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
