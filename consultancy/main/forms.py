from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from consultancy.web.forms import Form, choices
from consultancy.web.i18n import LANGUAGE_NAMES


class LanguageForm(Form):
    language = SelectField(choices=choices(LANGUAGE_NAMES.items()), validators=[DataRequired()])
    next = HiddenField()
