"""The codebook: every variable of the data and activity files, and the items of each
instrument version with their wording in Danish and English."""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _

from consultancy.evaluation.effect_data.activity import activity_fields
from consultancy.evaluation.effect_data.filters import EffectFilters, versions_covered
from consultancy.evaluation.effect_data.long_table import long_fields
from consultancy.exchange.exports import Field
from consultancy.models import InstrumentVersion

CODEBOOK_FIELDS_NAMES = ["file", "variable", "type", "label", "description", "allowed_values",
                         "value_labels", "stata_spss_codes"]
ITEM_COLUMNS = ["instrument_version", "instrument_kind", "dimension", "dimension_da",
                "dimension_en", "item", "position", "wording_da", "wording_en",
                "reverse_coded", "scale_min", "scale_max", "anchors_da", "anchors_en",
                "themes"]
SEPARATOR = " | "


def codebook_fields() -> list[Field]:
    return [
        Field("file", "string", _("File"), _("The file the variable is in: data or activity.")),
        Field("variable", "string", _("Variable"), _("The variable's name.")),
        Field("type", "string", _("Type"), _(
            "string, integer, number (with decimals), boolean (true/false) or date.")),
        Field("label", "string", _("Label"), _("A short label (the variable label in Stata "
                                               "and SPSS).")),
        Field("description", "string", _("Description"), _("What the variable holds.")),
        Field("allowed_values", "string", _("Allowed values"), _(
            "The values the variable takes, separated by |; empty for free values.")),
        Field("value_labels", "string", _("Value labels"), _(
            "What each value means (value = label), separated by |.")),
        Field("stata_spss_codes", "string", _("Codes in Stata and SPSS"), _(
            "In the DTA and SAV files coded text variables are numbers labelled with the "
            "codes: number = code, separated by |.")),
    ]


def item_fields() -> list[Field]:
    names = {
        "instrument_version": (_("Instrument and version"), "string"),
        "instrument_kind": (_("Kind of instrument: self_assessment or observation"), "string"),
        "dimension": (_("Dimension code"), "string"),
        "dimension_da": (_("Dimension (Danish)"), "string"),
        "dimension_en": (_("Dimension (English)"), "string"),
        "item": (_("Item code"), "string"),
        "position": (_("Position in the version"), "integer"),
        "wording_da": (_("Wording (Danish)"), "string"),
        "wording_en": (_("Wording (English)"), "string"),
        "reverse_coded": (_("Reverse-coded"), "boolean"),
        "scale_min": (_("Lowest point of the scale"), "integer"),
        "scale_max": (_("Highest point of the scale"), "integer"),
        "anchors_da": (_("Labels of the scale points (Danish)"), "string"),
        "anchors_en": (_("Labels of the scale points (English)"), "string"),
        "themes": (_("Theme codes, separated by ;"), "string"),
    }
    return [Field(name, kind, label, label) for name, (label, kind) in names.items()]


def _variables_rows(file: str, fields: list[Field]) -> list[list]:
    rows = []
    for f in fields:
        allowed = value_labels = codes = ""
        if f.values is not None:
            allowed = SEPARATOR.join(str(code) for code in f.values)
            value_labels = SEPARATOR.join(f"{code} = {label}" for code, label in f.values.items())
            if f.type == "string":
                codes = SEPARATOR.join(f"{number} = {code}"
                                       for number, code in enumerate(f.values, start=1))
        elif f.type == "boolean":
            allowed = "true | false"
            codes = "0 = false | 1 = true"
        rows.append([file, f.name, f.type, f.label, f.description, allowed, value_labels, codes])
    return rows


def variables_frame(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = _variables_rows("data", long_fields(versions)) + \
        _variables_rows("activity", activity_fields())
    return pd.DataFrame(rows, columns=CODEBOOK_FIELDS_NAMES)


def _anchors(version: InstrumentVersion, language: str) -> str:
    anchors = version.anchors or {}
    return SEPARATOR.join(f"{point} = {anchors[str(point)][language]}"
                          for point in range(version.scale_min, version.scale_max + 1)
                          if str(point) in anchors and language in anchors[str(point)])


def items_frame(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = []
    for version in versions:
        dimensions = {d.id: d for d in version.dimensions}
        for item in version.items:
            dimension = dimensions[item.dimension_id]
            rows.append([
                version.label, version.instrument.kind.value, dimension.code, dimension.name_da,
                dimension.name_en, item.code, item.position, item.text_da, item.text_en,
                bool(item.reverse_coded), version.scale_min, version.scale_max,
                _anchors(version, "da"), _anchors(version, "en"),
                ";".join(t.theme.code for t in item.themes)])
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    return frame.astype({"position": "int64", "scale_min": "int64", "scale_max": "int64",
                         "reverse_coded": "bool"})


def codebook_versions(instrument: str | None = None) -> list[InstrumentVersion]:
    return versions_covered(EffectFilters(instrument=instrument))


def codebook_sheets(versions: list[InstrumentVersion]
                    ) -> list[tuple[str, list[Field], list[pd.DataFrame]]]:
    """The codebook as (sheet, fields, frames), for `write_xlsx` or a CSV file per sheet:
    every variable (sheet "codebook"), then the items with their wording ("items")."""
    return [("codebook", codebook_fields(), [variables_frame(versions)]),
            ("items", item_fields(), [items_frame(versions)])]
