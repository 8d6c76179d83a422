"""The base of every form: WTForms' own messages in the user's language."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, FormField, HiddenField, PasswordField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from consultancy.security.validators import no_control_characters, no_cpr
from consultancy.web.i18n import current_language

TRANSLATIONS = Path(__file__).parent.parent / "translations"
WTFORMS_NOT_A_DECIMAL = "Not a valid decimal value."  # translated in the wtforms catalogue


def _wtforms_translations() -> NullTranslations:
    # WTForms ships no Danish catalogue; ours is translations/da/LC_MESSAGES/wtforms.po.
    language = current_language()
    cache = g.setdefault("wtforms_translations", {})
    if language not in cache:
        cache[language] = Translations.load(str(TRANSLATIONS), [language], domain="wtforms")
    return cache[language]


def _leaf_fields(fields):
    """Every field of a form, with those of its sub-forms and lists (at any depth)."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


def _text_checks(field) -> tuple:
    """What a field's value is checked for. Each check passes a value that is not text
    (a number, a date, a file), so any kind of field may hold text and be checked."""
    if isinstance(field, CSRFTokenField) or (
            isinstance(field, SelectFieldBase) and getattr(field, "validate_choice", True)):
        return ()  # compared with the session, or with the choices offered
    if isinstance(field, (HiddenField, PasswordField)):
        return (no_control_characters,)  # never stored as typed
    return (no_control_characters, no_cpr)


class Form(FlaskForm):
    """Every form refuses CPR numbers and control characters in every field that holds
    text, in sub-forms and lists too, without each field asking."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _wtforms_translations()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            # A text field left out of a sent form (a hand-made request, a disabled input)
            # is one left empty: the services may strip it without asking.
            if isinstance(field, StringField) and getattr(field, "raw_data", None) == [] \
                    and field.data is None:
                field.data = ""

    def validate(self, extra_validators=None):
        for field in _leaf_fields(self):
            missing = [check for check in _text_checks(field) if check not in field.validators]
            if missing:  # on this instance only: the class's fields stay as declared
                field.validators = [*field.validators, *missing]
        return super().validate(extra_validators=extra_validators)


class DecimalCommaField(DecimalField):
    """A decimal typed the Danish way (12,5) or the English way (12.5).

    A text input: browsers refuse a decimal comma in type=number inputs.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(" ", "").replace(",", ".")]
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            # "NaN", "sNaN" and "Infinity" parse as decimals; no one means them.
            self.data = None
            raise ValueError(self.gettext(WTFORMS_NOT_A_DECIMAL))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, locale=current_language())


class ButtonForm(Form):
    """A form with nothing but its CSRF token, for POST-only buttons."""


def choices(pairs) -> list[SelectChoice]:
    """Options for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def sensible_date(_form, field) -> None:
    """Dates within this initiative's reach (also keeps date arithmetic from overflowing)."""
    if field.data is not None and not date(2000, 1, 1) <= field.data <= date(2100, 12, 31):
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def enum_choices(enum_class, placeholder=None) -> list[SelectChoice]:
    """Options for an enum's members by their labels, after an optional empty placeholder."""
    options = [("", placeholder)] if placeholder else []
    return choices(options + [(member.value, member.label) for member in enum_class])


def show_refusal(form, refusal) -> None:
    """Show a service's refusal next to the field it names, else at the top of the form.

    A list of sub-forms (FieldList) holds errors per entry, so its refusals go on top.
    """
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is not None and not isinstance(field, FieldList):
        field.errors = [*field.errors, refusal.message]
    else:
        form.form_errors.append(refusal.message)


def optional_int(value) -> int | None:
    """Coerce a select's value to int, the empty placeholder to None."""
    if value in ("", None):
        return None
    return int(value)
