"""Forms of the instrument pages: a new instrument, its names, a version's scale and
labels, a dimension, an item."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from consultancy.admin.instruments import (
    ANCHOR_MAX,
    LANGUAGES,
    NAME_MAX,
    SCALE_MAXIMA,
    TEXT_MAX,
    anchor_field,
)
from consultancy.models import InstrumentKind, Theme, ThemeGroup
from consultancy.web.forms import Form, choices, enum_choices, optional_int

POINTS = range(1, max(SCALE_MAXIMA) + 1)


def _name(label) -> StringField:
    return StringField(label, validators=[DataRequired(_l("Enter a name.")),
                                          Length(max=NAME_MAX)])


class InstrumentNamesForm(Form):
    name_da = _name(_l("Name in Danish"))
    name_en = _name(_l("Name in English"))
    submit = SubmitField(_l("Save"))


class InstrumentForm(InstrumentNamesForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")),
                                               Length(max=32)],
                       description=_l("Lower-case letters, digits and _, e.g. kids or ecers3. "
                                      "Exports name the versions by it: kids-v1."))
    kind = SelectField(_l("Kind"), choices=lambda: enum_choices(InstrumentKind),
                       description=_l("Fixed once created: self-assessments and observations "
                                      "are never pooled."))
    submit = SubmitField(_l("Create the instrument"))


class ScaleForm(Form):
    """The scale of a version and a label per point; `anchor_<point>_<language>` fields for
    the longest scale, of which those beyond the chosen one are ignored."""

    scale_max = SelectField(_l("Scale"), coerce=int,
                            choices=choices((n, f"1–{n}") for n in SCALE_MAXIMA))
    submit = SubmitField(_l("Save the scale"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.scale_max.errors:
            return False
        for point in range(1, self.scale_max.data + 1):
            for language in LANGUAGES:
                field = self[anchor_field(point, language)]
                if not (field.data or "").strip():
                    field.errors = [*field.errors, _l("Enter a label.")]
                    valid = False
        return valid

    def anchors(self) -> dict:
        return {str(point): {language: self[anchor_field(point, language)].data or ""
                             for language in LANGUAGES} for point in POINTS}

    def rows(self) -> list[tuple[int, object, object]]:
        """(point, Danish field, English field) for every point of the longest scale."""
        return [(point, self[anchor_field(point, "da")], self[anchor_field(point, "en")])
                for point in POINTS]


for _point in POINTS:
    for _language, _label in (("da", _l("In Danish")), ("en", _l("In English"))):
        setattr(ScaleForm, anchor_field(_point, _language), StringField(
            _label, validators=[Optional(), Length(max=ANCHOR_MAX)]))


def scale_values(version) -> dict:
    data = {"scale_max": version.scale_max}
    for point in POINTS:
        label = version.anchors.get(str(point)) or {}
        for language in LANGUAGES:
            data[anchor_field(point, language)] = label.get(language, "")
    return data


class DimensionForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")),
                                               Length(max=48)],
                       description=_l("Lower-case letters, digits and _, e.g. play. Keep the "
                                      "code from version to version."))
    name_da = _name(_l("Name in Danish"))
    name_en = _name(_l("Name in English"))
    submit = SubmitField(_l("Save"))


class ItemForm(Form):
    dimension_id = SelectField(_l("Dimension"), coerce=optional_int,
                               validators=[DataRequired(_l("Choose a dimension."))])
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")),
                                               Length(max=16)],
                       description=_l("1 to 4 capital letters and 1 to 3 digits, e.g. LM1. "
                                      "The same code means the same question in every "
                                      "version: give a changed question a new code."))
    text_da = TextAreaField(_l("Wording in Danish"), validators=[
        DataRequired(_l("Enter the wording.")), Length(max=TEXT_MAX)])
    text_en = TextAreaField(_l("Wording in English"), validators=[Length(max=TEXT_MAX)])
    reverse_coded = BooleanField(_l("Reverse-coded"), description=_l(
        "Agreeing means a worse state, e.g. “Much of the day is spent waiting”: the value "
        "is flipped before scores are added up."))
    theme_ids = SelectMultipleField(_l("Themes"), coerce=int,
                                    widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    submit = SubmitField(_l("Save"))

    def set_choices(self, dimensions: Iterable, themes: Iterable[Theme], language: str,
                    observation: bool) -> None:
        self.dimension_id.choices = choices(
            [("", _l("Choose a dimension"))]
            + [(d.id, f"{d.code} · {d.name(language)}") for d in dimensions])
        themes = list(themes)
        self.theme_ids.choices = choices((t.id, t.name(language)) for t in themes)
        self.theme_groups = [(group, [t.id for t in themes if t.group is group])
                             for group in ThemeGroup if any(t.group is group for t in themes)]
        if not observation:
            self.text_en.validators = [DataRequired(_l("Enter the wording.")),
                                       Length(max=TEXT_MAX)]
        else:
            self.text_da.description = _l(
                "A licensed instrument (e.g. KIDS or ECERS-3) is stored without its item "
                "text: enter the item's code or a short label of your own (at most 120 "
                "characters).")
            self.text_en.description = _l("May be left empty: the Danish label is used.")
