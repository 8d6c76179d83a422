from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from consultancy.auth.passwords import PasswordRefused, check_new_password
from consultancy.web.forms import Form

PASSWORD_MAX_LENGTH = 256


def acceptable_password(account):
    """A validator applying the password policy to the field; `account(form)` gives the
    e-mail address and the name of the account (and the current password, when typed)."""
    def validate(form, field) -> None:
        if not field.data:
            return
        email, name, current = account(form)
        try:
            check_new_password(field.data, email=email or "", name=name or "", current=current)
        except PasswordRefused as refusal:
            raise ValidationError(refusal.message) from refusal
    return validate


def _own_account(form):
    return current_user.email, current_user.name, form.current_password.data or None


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=PASSWORD_MAX_LENGTH)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=PASSWORD_MAX_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")), Length(max=PASSWORD_MAX_LENGTH),
        acceptable_password(_own_account)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(_l("Repeat the new password.")),
        EqualTo("new_password", _l("The two passwords are not the same."))])
    submit = SubmitField(_l("Change password"))
