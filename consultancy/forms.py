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
from wtforms import DecimalField, FieldList, HiddenField, PasswordField, StringField
from wtforms.widgets import TextInput
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from consultancy.validators import no_cpr

from consultancy.i18n import current_language

TRANSLATIONS = Path(__file__).parent / "translations"
WTFORMS_NOT_A_DECIMAL = "Not a valid decimal value."  # translated in the wtforms catalogue


def _wtforms_translations() -> NullTranslations:
    # WTForms ships no Danish catalogue; ours is translations/da/LC_MESSAGES/wtforms.po.
    language = current_language()
    cache = g.setdefault("wtforms_translations", {})
    if language not in cache:
        cache[language] = Translations.load(str(TRANSLATIONS), [language], domain="wtforms")
    return cache[language]


def _typed_text(field) -> bool:
    """Fields a person types free text into (hidden and password fields are not)."""
    return isinstance(field, StringField) and not isinstance(field, (HiddenField, PasswordField))


class Form(FlaskForm):
    """Every form refuses CPR numbers in every text field, without each field asking."""

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
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for field in self:
            if _typed_text(field):
                extra.setdefault(field.short_name, []).append(no_cpr)
        return super().validate(extra_validators=extra)


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
