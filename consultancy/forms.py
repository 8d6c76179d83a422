"""The base of every form: WTForms' own messages in the user's language."""
from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import g
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from consultancy.i18n import current_language

TRANSLATIONS = Path(__file__).parent / "translations"


def _wtforms_translations() -> NullTranslations:
    # WTForms ships no Danish catalogue; ours is translations/da/LC_MESSAGES/wtforms.po.
    language = current_language()
    cache = g.setdefault("wtforms_translations", {})
    if language not in cache:
        cache[language] = Translations.load(str(TRANSLATIONS), [language], domain="wtforms")
    return cache[language]


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _wtforms_translations()


class ButtonForm(Form):
    """A form with nothing but its CSRF token, for POST-only buttons."""


def choices(pairs) -> list[SelectChoice]:
    """Options for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
