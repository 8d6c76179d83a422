"""Self-assessments from a spreadsheet: one row per respondent and occasion, all or nothing.

The first sheet of an XLSX workbook, or a CSV file (comma or semicolon, UTF-8 or
Windows-1252); the header (row 1) names the columns, in any order, in any case:

    case        the case's reference, e.g. FORL-2026-001 (may be left out when the case is
                given: on the case's import page, or `--case` on the command line)
    unit        the unit's id or its exact name, one of the case's units
    occasion    baseline | midway | end | follow_up (or før, midtvej, efter, opfølgning)
    respondent  a code; the same code is the same person at another occasion. Empty: a new
                code is made. Never a name: a code has at least one digit.
    role        leader | pedagogue | assistant | municipal_consultant | observer
                (or leder, pædagog, medhjælper, kommunal konsulent, observatør)
    date        the day the answers were given, YYYY-MM-DD or DD-MM-YYYY
    instrument  optional: a version label such as egenvurdering-v1; by default the default
                instrument's latest published version
    LM1, LM2 …  one column per question code of the instrument: a whole number on the scale,
                or ikke relevant / not_relevant, ved ikke / dont_know

Rows that fill in nothing but the case, unit, occasion and instrument (as the downloadable
template comes) are skipped. Every row is checked first, and every problem is reported
with its row and column; nothing is written unless all rows are valid. The writing goes
through `services.record_response`, so the same rules hold as for entry by hand. A cell
holding a CPR number or a control character (the header included) stops the import before
anything else is checked, so that no message can repeat it: such cells are named, not shown.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from consultancy.evaluation import services
from consultancy.evaluation.services import AnswerValue, item_field
from consultancy.exchange import spreadsheets
from consultancy.extensions import db
from consultancy.models import (
    Engagement,
    EngagementUnit,
    Instrument,
    InstrumentVersion,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
    User,
    VersionStatus,
)
from consultancy.security.validators import cell_problems
from consultancy.services import Refusal
from consultancy.web.inputs import whole_number

COLUMNS = ["case", "unit", "occasion", "respondent", "role", "date", "instrument"]
REQUIRED = ["unit", "occasion", "role", "date"]
# Headers in Danish mean the same columns.
COLUMN_ALIASES = {
    "forløb": "case", "reference": "case", "enhed": "unit", "dagtilbud": "unit",
    "måletidspunkt": "occasion", "tidspunkt": "occasion", "rolle": "role", "dato": "date",
    "måleredskab": "instrument", "version": "instrument",
}
OCCASION_WORDS = {
    "baseline": Occasion.BASELINE, "before": Occasion.BASELINE, "før": Occasion.BASELINE,
    "foer": Occasion.BASELINE, "førmåling": Occasion.BASELINE,
    "midway": Occasion.MIDWAY, "midtvej": Occasion.MIDWAY, "midtvejs": Occasion.MIDWAY,
    "midtvejsmåling": Occasion.MIDWAY,
    "end": Occasion.END, "after": Occasion.END, "efter": Occasion.END,
    "eftermåling": Occasion.END,
    "follow_up": Occasion.FOLLOW_UP, "follow-up": Occasion.FOLLOW_UP,
    "follow up": Occasion.FOLLOW_UP, "opfølgning": Occasion.FOLLOW_UP,
    "opfoelgning": Occasion.FOLLOW_UP,
}
ROLE_WORDS = {
    **{role.value: role for role in RespondentRole},
    "municipal consultant": RespondentRole.MUNICIPAL_CONSULTANT,
    "leder": RespondentRole.LEADER, "pædagogisk leder": RespondentRole.LEADER,
    "pædagog": RespondentRole.PEDAGOGUE, "paedagog": RespondentRole.PEDAGOGUE,
    "assistent": RespondentRole.ASSISTANT, "medhjælper": RespondentRole.ASSISTANT,
    "pædagogmedhjælper": RespondentRole.ASSISTANT,
    "pædagogisk assistent": RespondentRole.ASSISTANT,
    "kommunal konsulent": RespondentRole.MUNICIPAL_CONSULTANT,
    "pædagogisk konsulent": RespondentRole.MUNICIPAL_CONSULTANT,
    "konsulent": RespondentRole.MUNICIPAL_CONSULTANT,
    "observatør": RespondentRole.OBSERVER, "observator": RespondentRole.OBSERVER,
}
MISSING_WORDS = {
    "not_relevant": MissingCode.NOT_RELEVANT, "not relevant": MissingCode.NOT_RELEVANT,
    "ikke relevant": MissingCode.NOT_RELEVANT, "ikke_relevant": MissingCode.NOT_RELEVANT,
    "nr": MissingCode.NOT_RELEVANT, "ir": MissingCode.NOT_RELEVANT,
    "dont_know": MissingCode.DONT_KNOW, "don't know": MissingCode.DONT_KNOW,
    "dont know": MissingCode.DONT_KNOW, "ved ikke": MissingCode.DONT_KNOW,
    "ved_ikke": MissingCode.DONT_KNOW, "vi": MissingCode.DONT_KNOW,
    "vv": MissingCode.DONT_KNOW, "dk": MissingCode.DONT_KNOW,
}
# Where a refusal of the service (by form field) points in the file.
FIELD_COLUMNS = {"unit": "unit", "occasion": "occasion", "respondent_role": "role",
                 "responded_on": "date", "respondent_code": "respondent",
                 "instrument": "instrument"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DANISH_DATE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./]\d{4}")


class ResponseImportError(ValueError):
    """The file cannot be imported; `messages` holds every problem found."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


class FileRefused(ResponseImportError):
    """The file as a whole (its size, its form, a formula, a stray quotation mark)."""


def locate(message: str, row: int, column: str | None = None) -> str:
    if column is None:
        return _("Row %(row)d: %(message)s", row=row, message=message)
    return _("Row %(row)d, column %(column)s: %(message)s", row=row, column=column,
             message=message)


# --- reading ------------------------------------------------------------------------------

@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]  # by column key (a fixed column's name or an item code)


@dataclass
class Table:
    header: list[str]  # as written in the file
    rows: list[Row] = field(default_factory=list)
    overlong: list[int] = field(default_factory=list)  # rows with cells past the header


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, filename: str) -> Table:
    """The rows of a .csv or .xlsx file; blank rows are skipped. No cell holds a line
    break: in a CSV file one means a quotation mark left open."""
    try:
        records = spreadsheets.read(data, filename, cell_text=_cell_text)[0].rows
    except spreadsheets.SpreadsheetError as error:
        raise FileRefused(error.messages) from error
    if not records:
        raise FileRefused([_("The file is empty.")])
    # Before anything else looks at the cells, so that no message repeats such a value.
    refused = [locate(message, row, column) for row, column, message in cell_problems(records)]
    if refused:
        raise ResponseImportError(refused)
    header = [str(cell).strip() for cell in records[0]]
    keys = [column_key(name) for name in header]
    table = Table(header)
    for number, record in enumerate(records[1:], start=2):
        cells = [str(cell).strip() for cell in record]
        if not any(cells):
            continue
        if any(cells[len(keys):]):
            table.overlong.append(number)
        table.rows.append(Row(number, {key: cell for key, cell in zip(keys, cells) if key}))
    return table


def column_key(name: str) -> str:
    """A fixed column by its (lower-case) name, else an item code (upper case)."""
    text = name.strip()
    lower = text.lower()
    if lower in COLUMNS:
        return lower
    if lower in COLUMN_ALIASES:
        return COLUMN_ALIASES[lower]
    return text.upper()


# --- what the rows are checked against ----------------------------------------------------

@dataclass(frozen=True)
class VersionInfo:
    id: int
    label: str
    items: tuple[str, ...]
    scale_min: int
    scale_max: int
    published: bool


@dataclass(frozen=True)
class CaseInfo:
    id: int
    reference: str
    start_date: date | None
    units: dict[int, str]  # id: name
    answered: frozenset[tuple[Occasion, str]]  # (occasion, respondent code) already stored


@dataclass(frozen=True)
class Context:
    cases: dict[str, CaseInfo]  # by upper-case reference
    versions: dict[str, VersionInfo]  # by lower-case label
    default: str | None  # the default version's label
    today: date
    fixed: str | None = None  # the one case the file goes into (upper-case reference)


@dataclass(frozen=True)
class ParsedRow:
    number: int
    case: str
    unit_id: int
    occasion: Occasion
    respondent: str | None
    role: RespondentRole
    responded_on: date
    version: str
    answers: dict[str, AnswerValue]


def _parse_date(text: str) -> date | None:
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if DANISH_DATE.fullmatch(text):
            day, month, year = re.split(r"[-./]", text)
            return date(int(year), int(month), int(day))
    except ValueError:
        return None
    return None


def _parse_answer(text: str, version: VersionInfo) -> tuple[AnswerValue | None, str | None]:
    """(the answer, None) or (None, why the cell is refused)."""
    if not text:
        return None, _("Missing answer: give a whole number from %(min)d to %(max)d, or "
                       "ikke relevant or ved ikke.", min=version.scale_min,
                       max=version.scale_max)
    word = " ".join(text.lower().split())
    if word in MISSING_WORDS:
        return MISSING_WORDS[word], None
    number = text.replace(",", ".")
    if re.fullmatch(r"[-+]?\d+(\.0+)?", number):
        value = int(float(number))
        return value, services.value_problem(value, version.scale_min, version.scale_max)
    return None, services.value_problem(text, version.scale_min, version.scale_max)


def _known_items(context: Context) -> set[str]:
    return {code for version in context.versions.values() for code in version.items}


def check_header(table: Table, context: Context) -> list[str]:
    """Unknown, doubled and missing columns (messages name row 1)."""
    errors = []
    known = _known_items(context)
    seen: set[str] = set()
    for name in table.header:
        if not name:
            continue
        key = column_key(name)
        if key in seen:
            errors.append(locate(_("The column appears twice."), 1, name))
        seen.add(key)
        if key not in COLUMNS and key not in known:
            errors.append(locate(_("Unknown column: neither %(columns)s nor the code of a "
                                   "question of a published instrument.",
                                   columns=", ".join(COLUMNS)), 1, name))
    for column in REQUIRED + ([] if context.fixed else ["case"]):
        if column not in seen:
            errors.append(locate(_("The column %(column)s is missing.", column=column), 1))
    return errors


def _template_row(row: Row, item_codes: set[str]) -> bool:
    """A row as the template comes: only case, unit, occasion or instrument filled in."""
    return not any(row.cells.get(column) for column in ("respondent", "role", "date")) \
        and not any(row.cells.get(code) for code in item_codes)


def validate(table: Table, context: Context) -> tuple[list[ParsedRow], list[str]]:
    """Pure: the rows as values to record, and every problem, each with its row and column."""
    errors = check_header(table, context)
    if errors:
        return [], errors
    known = _known_items(context)
    columns = {column_key(name): name for name in table.header if name}
    present_items = {key for key in columns if key in known}
    parsed, seen = [], {}
    reported_missing: set[tuple[str, str]] = set()
    for row in table.rows:
        if _template_row(row, present_items):
            continue
        row_errors: list[str] = []
        if row.number in table.overlong:
            row_errors.append(locate(_("The row has more cells than the header has columns."),
                                     row.number))

        def refuse(message: str, key: str | None = None) -> None:  # called in this row only
            row_errors.append(locate(message, row.number,  # noqa: B023
                                     columns.get(key, key) if key else None))

        cells = row.cells
        # The case.
        reference = cells.get("case", "").upper()
        case = None
        if context.fixed:
            if reference and reference != context.fixed:
                refuse(_("This import is for %(reference)s; the row names %(value)s.",
                         reference=context.fixed, value=cells["case"]), "case")
            else:
                case = context.cases[context.fixed]
        elif not reference:
            refuse(_("Give the case's reference, e.g. FORL-2026-001."), "case")
        elif reference not in context.cases:
            refuse(_("Unknown case %(value)s.", value=cells["case"]), "case")
        else:
            case = context.cases[reference]
        # The unit.
        unit_id = None
        unit_text = cells.get("unit", "")
        if not unit_text:
            refuse(_("Give the unit's name or id."), "unit")
        elif case is not None:
            if whole_number(unit_text) in case.units:
                unit_id = whole_number(unit_text)
            else:
                named = [unit for unit, name in case.units.items()
                         if name.casefold() == unit_text.casefold()]
                if len(named) == 1:
                    unit_id = named[0]
                elif named:
                    refuse(_("Several units of the case are called %(value)s; give the "
                             "unit's id.", value=unit_text), "unit")
                else:
                    refuse(_("Unknown unit %(value)s: not one of the units of %(reference)s "
                             "(%(units)s).", value=unit_text, reference=case.reference,
                             units=", ".join(sorted(case.units.values()))), "unit")
        # The occasion and the role.
        occasion_text = cells.get("occasion", "")
        occasion = OCCASION_WORDS.get(" ".join(occasion_text.lower().split()))
        if occasion is None:
            refuse(_("Unknown occasion %(value)s. Use baseline, midway, end or follow_up "
                     "(før, midtvej, efter, opfølgning).", value=occasion_text)
                   if occasion_text else _("Give the occasion: baseline, midway, end or "
                                           "follow_up."), "occasion")
        role_text = cells.get("role", "")
        role = ROLE_WORDS.get(" ".join(role_text.lower().split()))
        if role is None:
            refuse(_("Unknown role %(value)s. Use leader, pedagogue, assistant, "
                     "municipal_consultant or observer.", value=role_text)
                   if role_text else _("Give the respondent's role."), "role")
        # The date.
        date_text = cells.get("date", "")
        responded_on = _parse_date(date_text)
        if responded_on is None:
            refuse(_("%(value)s is not a date: write YYYY-MM-DD or DD-MM-YYYY.",
                     value=date_text) if date_text else _("Give the date."), "date")
        elif case is not None:
            message = services.date_problem(responded_on, case.start_date, context.today)
            if message:
                refuse(message, "date")
        # The instrument.
        label_text = cells.get("instrument", "")
        version = context.versions.get(label_text.lower() if label_text else
                                       (context.default or ""))
        if version is None or not version.published:
            published = ", ".join(sorted(v.label for v in context.versions.values()
                                         if v.published))
            if not label_text:
                refuse(_("No instrument is published; give one."), "instrument")
            elif version is None:
                refuse(_("Unknown instrument %(value)s. Use one of: %(labels)s.",
                         value=label_text, labels=published), "instrument")
            else:
                refuse(_("%(value)s is not published. Use one of: %(labels)s.",
                         value=label_text, labels=published), "instrument")
            version = None
        # The respondent.
        code = services.normalise_code(cells.get("respondent"))
        if code:
            message = services.code_problem(code)
            if message:
                refuse(message, "respondent")
            elif case is not None and occasion is not None:
                key = (case.reference, occasion, code)
                if key in seen:
                    refuse(_("The respondent %(code)s has another row for this occasion: "
                             "row %(row)d.", code=code, row=seen[key]), "respondent")
                elif (occasion, code) in case.answered:
                    refuse(_("The respondent %(code)s has already answered at this occasion "
                             "(%(occasion)s) on the case.", code=code,
                             occasion=occasion.label.lower()), "respondent")
                else:
                    seen[key] = row.number
        # The answers.
        answers: dict[str, AnswerValue] = {}
        if version is not None:
            for item in version.items:
                if item not in present_items:
                    if (version.label, item) not in reported_missing:
                        reported_missing.add((version.label, item))
                        errors.append(locate(_("The column %(column)s is missing: a question "
                                               "of %(instrument)s.", column=item,
                                               instrument=version.label), 1))
                    continue
                value, message = _parse_answer(cells.get(item, ""), version)
                if message:
                    refuse(message, item)
                else:
                    answers[item] = value
            for item in sorted(present_items - set(version.items)):
                if cells.get(item):
                    refuse(_("Not a question of %(instrument)s: leave the cell empty.",
                             instrument=version.label), item)
        if row_errors:
            errors += row_errors
        elif version is not None and set(answers) == set(version.items):
            parsed.append(ParsedRow(row.number, case.reference, unit_id, occasion,
                                    code or None, role, responded_on, version.label, answers))
    if not errors and not parsed:
        errors.append(_("The file has no answers to import."))
    return parsed, errors


# --- the database side --------------------------------------------------------------------

@dataclass
class Loaded:
    """What the rows are checked against, and the records they are written to."""
    context: Context
    engagements: dict[str, Engagement]  # by upper-case reference
    versions: dict[str, InstrumentVersion]  # by lower-case label


def load_context(table: Table, today: date, fixed: Engagement | None = None) -> Loaded:
    """The cases the file names (or the fixed one), every instrument version, and the
    respondent codes already used on those cases: a handful of queries, however many rows."""
    if fixed is not None:
        references = {fixed.reference.upper()}
    else:
        references = {row.cells.get("case", "").upper() for row in table.rows} - {""}
    engagements = db.session.scalars(
        sa.select(Engagement).where(sa.func.upper(Engagement.reference).in_(references))
        .options(selectinload(Engagement.units).joinedload(EngagementUnit.unit))).all() \
        if references else []
    answered: dict[int, set] = {engagement.id: set() for engagement in engagements}
    if engagements:
        for engagement_id, occasion, code in db.session.execute(
                sa.select(Response.engagement_id, Response.occasion, Response.respondent_code)
                .where(Response.engagement_id.in_(list(answered)))):
            answered[engagement_id].add((occasion, code))
    cases = {engagement.reference.upper(): CaseInfo(
        engagement.id, engagement.reference, engagement.start_date,
        {link.unit_id: link.unit.name for link in engagement.units},
        frozenset(answered[engagement.id])) for engagement in engagements}
    versions = db.session.scalars(
        sa.select(InstrumentVersion).join(Instrument)
        .options(selectinload(InstrumentVersion.items))
        .order_by(Instrument.is_default.desc(), Instrument.code,
                  InstrumentVersion.number.desc())).all()
    infos = {version.label.lower(): VersionInfo(
        version.id, version.label, tuple(item.code for item in version.items),
        version.scale_min, version.scale_max, version.status is VersionStatus.PUBLISHED)
        for version in versions}
    default = next((version.label.lower() for version in versions
                    if version.instrument.is_default and version.published), None)
    context = Context(cases, infos, default, today,
                      fixed.reference.upper() if fixed is not None else None)
    return Loaded(context, {e.reference.upper(): e for e in engagements},
                  {version.label.lower(): version for version in versions})


@dataclass(frozen=True)
class ImportSummary:
    responses: int
    respondents: int
    units: int
    cases: list[str]
    occasions: dict[Occasion, int]


def import_responses(data: bytes, filename: str, *, actor: User | None, today: date,
                     case: Engagement | None = None) -> ImportSummary:
    """Record every row of the file through the service, or none. Flushes; the caller
    commits. On any problem, rolls back and raises ResponseImportError with every message,
    each naming its row and column."""
    table = read_table(data, filename)
    loaded = load_context(table, today, case)
    parsed, errors = validate(table, loaded.context)
    if errors:
        raise ResponseImportError(errors)
    recorded = []
    for row in parsed:
        try:
            recorded.append(services.record_response(
                loaded.engagements[row.case.upper()], row.unit_id,
                loaded.versions[row.version.lower()],
                row.occasion, row.role, row.responded_on, row.answers, actor,
                row.respondent, today=today, refresh=False))
        except Refusal as refusal:
            column = FIELD_COLUMNS.get(refusal.field or "")
            if column is None and (refusal.field or "").startswith(item_field("")):
                column = refusal.field.removeprefix(item_field(""))
            errors.append(locate(refusal.message, row.number, column))
    if errors:
        db.session.rollback()
        raise ResponseImportError(errors)
    db.session.flush()
    services.refresh_case_scores({response.engagement_id for response in recorded})
    return ImportSummary(
        responses=len(recorded),
        respondents=len({(r.engagement_id, r.respondent_code) for r in recorded}),
        units=len({(r.engagement_id, r.unit_id) for r in recorded}),
        cases=sorted({row.case for row in parsed}),
        occasions=dict(Counter(r.occasion for r in recorded)))


def template_frame(engagement: Engagement, version: InstrumentVersion | None) -> pd.DataFrame:
    """The columns of an import for the case, one row per unit with the case and the unit
    filled in: the rest is for the user."""
    items = [item.code for item in version.items] if version is not None else []
    units = sorted((link.unit for link in engagement.units), key=lambda u: u.name.casefold())
    rows = [[engagement.reference, unit.name, "", "", "", "",
             version.label if version is not None else ""] + [""] * len(items)
            for unit in units]
    return pd.DataFrame(rows, columns=COLUMNS + items, dtype=object)
