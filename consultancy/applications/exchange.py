"""Applications in and out of spreadsheets: export for analysis, import of paper forms.

Import format. One row per application in a CSV file or in the first sheet of an XLSX
workbook; the header (row 1) names the columns, in any order:

    key                       any text, unique in the file; links the units to the row
    applicant_kind            municipality | institution
    applicant_name            the daycare that applies (institutions only; else empty)
    municipality_code         the municipality's number, e.g. 101 for København
    engagement_type           the type's code, e.g. one_year or mini
    contact_name, contact_email, contact_phone
    documented_need, motivation, leadership_backing
    resource_hours_per_month  a number, 12.5 or 12,5
    resource_participants

One row per participating unit, either in a sheet named `units` of the same workbook or in
a second file (CSV or XLSX, `--units FILE` on the command line), with the columns:

    key                       the key of the application the unit belongs to
    name, kind (nursery | kindergarten | integrated | childminding),
    ownership (municipal | self_owned | private), children,
    vulnerable_share          the share of families in a vulnerable position in percent
                              (25 means 25 %; an Excel cell formatted as 25 % works too)

A CSV file may be separated by commas or semicolons and encoded as UTF-8 or Windows-1252.
Every row is checked by the same form as the public application form and by the same
intake rules, and the import is all or nothing: one error and nothing is created. A cell
holding a CPR number or a control character (a header too) stops the import before anything
else is checked, so that no message can repeat it: only such cells are named, never shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from consultancy.applications import queries, services
from consultancy.applications.forms import MAX_UNITS, ApplicationForm
from consultancy.applications.services import ApplicationError
from consultancy.exchange import spreadsheets
from consultancy.extensions import db
from consultancy.models import Application, Channel, EngagementType, Municipality, Round
from consultancy.rules.applications import DECISIONS
from consultancy.rules.text import shown
from consultancy.security.validators import cell_problems
from consultancy.services.clock import local_zone
from consultancy.web.i18n import current_language

# --- export ------------------------------------------------------------------------------

EXPORT_HEAD = ["reference", "applicant", "applicant_kind", "engagement_type",
               "municipality_code", "round", "status", "submitted"]
EXPORT_TAIL = ["weighted_total", "minimums_met", "decision", "decision_date"]


def _local_date(value: datetime | None) -> date | None:
    return value.astimezone(local_zone()).date() if value else None


def export_frame(round_id: int | None = None) -> pd.DataFrame:
    """One row per application, with the mean score per criterion of the submitted reviews.

    `minimums_met` is 1/0 (empty until every criterion is scored); `round` is its name.
    """
    query = queries.with_reviews(
        sa.select(Application).options(selectinload(Application.round))
        .order_by(Application.year, Application.number))
    codes: list[str] = []
    if round_id is not None:
        query = query.where(Application.round_id == round_id)
        round_ = db.session.get(Round, round_id)
        if round_ is not None:
            codes = [criterion.code for criterion in round_.criteria_set.criteria]
    applications = db.session.scalars(query).all()
    # Versions of the criteria may differ: a column for every code of any of them.
    criteria_sets = {a.criteria_set.id: a.criteria_set for a in applications}
    for criteria_set in sorted(criteria_sets.values(), key=lambda s: s.version):
        codes += [c.code for c in criteria_set.criteria if c.code not in codes]
    means = [f"mean_{code}" for code in codes]

    rows = []
    for application in applications:
        assessment = queries.assess(application)
        decided = application.status in DECISIONS
        rows.append([
            application.reference, application.applicant_name,
            application.applicant_kind.value, application.engagement_type.code,
            application.municipality_code,
            application.round.name if application.round else None,
            application.status.value, _local_date(application.submitted_at),
            *(assessment.means.get(code) for code in codes),
            assessment.total,
            None if assessment.minimums_met is None else int(assessment.minimums_met),
            application.status.value if decided else None,
            _local_date(application.decided_at) if decided else None,
        ])
    frame = pd.DataFrame(rows, columns=[*EXPORT_HEAD, *means, *EXPORT_TAIL])
    frame = frame.astype({column: "float64" for column in [*means, "weighted_total"]})
    return frame.astype({"municipality_code": "Int64", "minimums_met": "Int64"})


# --- import ------------------------------------------------------------------------------

APPLICATION_COLUMNS = [
    "key", "applicant_kind", "applicant_name", "municipality_code", "engagement_type",
    "contact_name", "contact_email", "contact_phone", "documented_need", "motivation",
    "leadership_backing", "resource_hours_per_month", "resource_participants",
]
OPTIONAL_COLUMNS = {"applicant_name"}
UNIT_COLUMNS = ["key", "name", "kind", "ownership", "children", "vulnerable_share"]
UNITS_SHEET = "units"
# Form fields named differently from their column; the rest share the name.
FIELD_COLUMNS = {"municipality": "municipality_code", "units": "key"}
COLUMN_FIELDS = {column: name for name, column in FIELD_COLUMNS.items() if name != "units"}


class ExchangeError(ValueError):
    """The file cannot be imported; `messages` holds every problem found."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]


@dataclass
class Sheet:
    label: str | None  # how messages name it; None for the applications
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # cells that may not be stored


def _locate(message, row: int, column: str | None = None, sheet: str | None = None) -> str:
    values = {"row": row, "column": column, "sheet": sheet, "message": message}
    if sheet is None:
        if column is None:
            return _("row %(row)d: %(message)s", **values)
        return _("row %(row)d, column %(column)s: %(message)s", **values)
    if column is None:
        return _("%(sheet)s, row %(row)d: %(message)s", **values)
    return _("%(sheet)s, row %(row)d, column %(column)s: %(message)s", **values)


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(str(value))
        if "%" in (cell.number_format or ""):
            number *= 100  # a cell shown as 25 % holds 0.25
        return format(number.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _table(records, label: str | None, errors: list[str]) -> Sheet:
    """A sheet from rows of text; the first is the header. Blank rows are skipped."""
    records = list(records)
    header = [column.strip().lower() for column in (records[0] if records else [])]
    sheet = Sheet(label, header, refused=[
        _locate(message, row, column, label) for row, column, message in cell_problems(records)])
    for number, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            errors.append(_locate(_("The row has more cells than the header has columns."),
                                  number, sheet=label))
        sheet.rows.append(Row(number, {column: value.strip()
                                       for column, value in zip(header, record) if column}))
    return sheet


def _read(path: Path, label: str | None, errors: list[str],
          units_label: str | None = None) -> tuple[Sheet, Sheet | None]:
    """The first sheet; with `units_label`, also an XLSX's sheet named `units`. Text cells
    may hold line breaks (a motivation of several paragraphs)."""
    def wanted(names):
        main = next((name for name in names if name.lower() != UNITS_SHEET), names[0])
        units = next((name for name in names if name.lower() == UNITS_SHEET), None)
        return [main] + ([units] if units_label and units and units != main else [])
    try:
        sheets = spreadsheets.read(path.read_bytes(), path.name, sheets=wanted,
                                   cell_text=_cell_text, line_breaks=True)
    except OSError as error:
        raise ExchangeError([_("The file %(name)s cannot be read.", name=shown(path.name))]) \
            from error
    except spreadsheets.SpreadsheetError as error:
        raise ExchangeError([_("%(file)s: %(message)s", file=label or shown(path.name),
                               message=message) for message in error.messages]) from error
    main = _table(sheets[0].rows, label, errors)
    return main, _table(sheets[1].rows, units_label, errors) if len(sheets) > 1 else None


def _check_columns(sheet: Sheet, expected: list[str], optional: set[str],
                   errors: list[str]) -> None:
    for column in sheet.columns:
        if column and column not in expected:
            errors.append(_locate(_("Unknown column. The columns are: %(columns)s.",
                                    columns=", ".join(expected)), 1, column, sheet.label))
    for column in expected:
        if column not in sheet.columns and column not in optional:
            errors.append(_locate(_("The column %(column)s is missing.", column=column), 1,
                                  sheet=sheet.label))


def _formdata(row: Row, type_id: int | None, units: list[Row]) -> MultiDict:
    data = MultiDict()
    for column in APPLICATION_COLUMNS[1:]:
        data[COLUMN_FIELDS.get(column, column)] = row.values.get(column, "")
    data["engagement_type"] = "" if type_id is None else str(type_id)
    for index, unit in enumerate(units):
        for column in UNIT_COLUMNS[1:]:
            data[f"units-{index}-{column}"] = unit.values.get(column, "")
    return data


def _form_errors(form: ApplicationForm, row: Row, units: list[Row], units_sheet: str | None,
                 skip: set[str]) -> list[str]:
    messages = []
    for name, field_errors in form.errors.items():
        if name in skip:
            continue
        if name == "units":
            for index, entry in enumerate(field_errors):
                if isinstance(entry, dict):
                    messages += [_locate(message, units[index].number, column, units_sheet)
                                 for column, unit_errors in entry.items()
                                 for message in unit_errors]
                else:
                    messages.append(_locate(entry, row.number, "key"))
        else:
            messages += [_locate(message, row.number, FIELD_COLUMNS.get(name, name))
                         for message in field_errors]
    return messages


def import_applications(applications_path: str | Path, units_path: str | Path | None = None,
                        *, today: date, now: datetime) -> list[Application]:
    """Create the applications of a file (channel "import"), all or none.

    Each row goes through ApplicationForm (CSRF off, so an app context is enough; the
    messages are in the current language) and then `services.submit`. Flushes; the caller
    commits. On any problem, rolls back and raises ExchangeError with every message, each
    naming the row (and the sheet or file of the units).
    """
    applications_path = Path(applications_path)
    errors: list[str] = []
    units_label = (_("file %(name)s", name=shown(Path(units_path).name)) if units_path
                   else _("sheet %(name)s", name=UNITS_SHEET))
    if units_path:
        main, _none = _read(applications_path, None, errors)
        unit_sheet, _none = _read(Path(units_path), units_label, errors)
    else:
        main, unit_sheet = _read(applications_path, None, errors, units_label)
    if unit_sheet is None:
        raise ExchangeError([_("The units are missing: give them in a sheet named units or "
                               "in a second file.")])
    # Before anything else looks at the cells, so that no message repeats such a value.
    if main.refused or unit_sheet.refused:
        raise ExchangeError(main.refused + unit_sheet.refused)
    _check_columns(main, APPLICATION_COLUMNS, OPTIONAL_COLUMNS, errors)
    _check_columns(unit_sheet, UNIT_COLUMNS, set(), errors)
    if errors:
        raise ExchangeError(errors)
    if not main.rows:
        raise ExchangeError([_("The file has no applications.")])

    by_key: dict[str, Row] = {}
    for row in main.rows:
        key = row.values["key"]
        if not key:
            errors.append(_locate(_("Give every application a key."), row.number, "key"))
        elif key in by_key:
            errors.append(_locate(_("The key %(key)s is already used in row %(row)d.",
                                    key=key, row=by_key[key].number), row.number, "key"))
        else:
            by_key[key] = row
    units: dict[str, list[Row]] = {key: [] for key in by_key}
    for unit in unit_sheet.rows:
        key = unit.values["key"]
        if key in units:
            units[key].append(unit)
        else:
            errors.append(_locate(
                _("No application has the key %(key)s.", key=key) if key
                else _("Give every unit the key of its application."),
                unit.number, "key", units_label))

    municipalities = db.session.execute(
        sa.select(Municipality.code, Municipality.name).order_by(Municipality.name)).all()
    types = db.session.scalars(sa.select(EngagementType).where(EngagementType.active)
                               .order_by(EngagementType.id)).all()
    type_ids = {t.code: t.id for t in types}
    created = []
    for key, row in by_key.items():
        row_errors, skip = [], set()
        code = row.values["engagement_type"]
        if code and code not in type_ids:
            row_errors.append(_locate(_("Unknown type of course %(code)s. Use one of: "
                                        "%(codes)s.", code=code, codes=", ".join(type_ids)),
                                      row.number, "engagement_type"))
            skip.add("engagement_type")
        if not units[key]:
            row_errors.append(_locate(_("Add at least one participating daycare unit."),
                                      row.number, "key"))
            skip.add("units")  # the form's empty first unit has no row to point at
        elif len(units[key]) > MAX_UNITS:
            row_errors.append(_locate(_("An application can have at most %(count)d units.",
                                        count=MAX_UNITS), row.number, "key"))
        form = ApplicationForm(formdata=_formdata(row, type_ids.get(code), units[key]),
                               meta={"csrf": False})
        form.require_consent = False  # as for staff registering a paper application
        form.set_choices(municipalities, types, current_language())
        if not form.validate():
            row_errors += _form_errors(form, row, units[key], units_label, skip)
        if not row_errors:
            try:
                created.append(services.submit(form.to_data(), Channel.IMPORT,
                                               now, today))
            except ApplicationError as error:
                row_errors.append(_locate(error.message, row.number,
                                          FIELD_COLUMNS.get(error.field, error.field)))
        errors += row_errors
    if errors:
        db.session.rollback()
        raise ExchangeError(errors)
    db.session.flush()
    return created
