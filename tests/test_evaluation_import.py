"""Importing self-assessments from CSV and XLSX files, on a case's page and on the command
line: all or nothing, every problem named by row and column."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from consultancy.engagements import services as cases
from consultancy.evaluation import importing, services
from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementStatus,
    MissingCode,
    Occasion,
    Ownership,
    RespondentRole,
    Response,
    Role,
    UnitKind,
)
from tests.conftest import TODAY

SECOND_UNIT = "Vuggestuen Spiren"


def codes(app) -> list[str]:
    with app.app_context():
        return [item.code for item in services.default_version().items]


@pytest.fixture
def setup(app, make_case, make_user, login_client):
    """An active mini case (started 20 days ago) with two units and an English-speaking
    consultant on it: (case id, reference, {unit name: id}, the consultant's client)."""
    consultant = make_user(Role.CONSULTANT, language="en")
    engagement_id = make_case(consultants=[consultant], start=-20,
                              status=EngagementStatus.ACTIVE)
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        cases.add_unit(engagement, DaycareUnit(
            name=SECOND_UNIT, municipality_code=773, ownership=Ownership.MUNICIPAL,
            kind=UnitKind.NURSERY, children=30))
        db.session.commit()
        units = {link.unit.name: link.unit_id for link in engagement.units}
        reference = engagement.reference
    return engagement_id, reference, units, login_client(user=consultant)


def table(app, rows: list[dict], columns: list[str] | None = None) -> list[list[str]]:
    """A header and rows: every item answered 3 unless a row says otherwise."""
    items = codes(app)
    columns = columns or ["case", "unit", "occasion", "respondent", "role", "date", *items]
    lines = [columns]
    for row in rows:
        values = {code: "3" for code in items} | row
        lines.append([str(values.get(column, "")) for column in columns])
    return lines


def csv_bytes(lines: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(lines)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(lines: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, engagement_id: int, data: bytes, name: str = "svar.csv"):
    return client.post(f"/evaluation/cases/{engagement_id}/import",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored(app) -> list[tuple]:
    with app.app_context():
        return [(r.unit.name, r.occasion, r.respondent_code, r.respondent_role, r.responded_on,
                 services.answer_values(r)) for r in db.session.scalars(
            sa.select(Response).order_by(Response.occasion, Response.respondent_code))]


def error_list(page: str) -> list[str]:
    block = page.split('class="mb-0 import-errors">', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", item).replace("&#39;", "'")
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


# --- the page -------------------------------------------------------------------------------

def test_a_csv_file_is_imported_on_the_case_page(app, setup):
    engagement_id, reference, units, client = setup
    page = client.get(f"/evaluation/cases/{engagement_id}/import").get_data(as_text=True)
    assert "Import self-assessments" in page and f"{SECOND_UNIT} ({units[SECOND_UNIT]})" in page
    baseline_day = TODAY - timedelta(days=14)
    lines = table(app, [
        {"case": reference, "unit": "Børnehuset i Morsø Kommune", "occasion": "før",
         "respondent": "p12", "role": "leder", "date": baseline_day.strftime("%d-%m-%Y"),
         "LM3": "ved ikke", "FS2": "Ikke relevant", "EK1": "5"},
        {"unit": str(units[SECOND_UNIT]), "occasion": "baseline", "respondent": "",
         "role": "pedagogue", "date": baseline_day.isoformat()},
        {"case": reference, "unit": "børnehuset i morsø kommune", "occasion": "Efter",
         "respondent": "P12", "role": "leader", "date": TODAY.isoformat(), "EK1": "4"},
    ])
    response = upload(client, engagement_id, csv_bytes(lines, ";"))
    assert response.status_code == 302
    assert response.location == f"/evaluation/cases/{engagement_id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "Imported: 3 responses from 2 respondents in 2 units." in page

    rows = stored(app)
    assert [(unit, occasion, role, day) for unit, occasion, _code, role, day, _a in rows] == [
        ("Børnehuset i Morsø Kommune", Occasion.BASELINE, RespondentRole.LEADER, baseline_day),
        (SECOND_UNIT, Occasion.BASELINE, RespondentRole.PEDAGOGUE, baseline_day),
        ("Børnehuset i Morsø Kommune", Occasion.END, RespondentRole.LEADER, TODAY),
    ]  # by occasion, then code: P12 before the generated R-…
    by_code = {(code, occasion): answers for _u, occasion, code, _r, _d, answers in rows}
    assert by_code["P12", Occasion.BASELINE]["LM3"] is MissingCode.DONT_KNOW
    assert by_code["P12", Occasion.BASELINE]["FS2"] is MissingCode.NOT_RELEVANT
    assert by_code["P12", Occasion.BASELINE]["EK1"] == 5
    assert by_code["P12", Occasion.END]["EK1"] == 4
    generated = [code for code, _occasion in by_code if code != "P12"]
    assert len(generated) == 1 and re.fullmatch(r"R-[A-HJ-NP-Z2-9]{5}", generated[0])


def test_an_xlsx_workbook_is_imported_with_numbers_and_dates_as_excel_keeps_them(app, setup):
    engagement_id, reference, units, client = setup
    items = codes(app)
    header = ["Case", "Unit", "Occasion", "Respondent", "Role", "Date", "Instrument", *items]
    day = datetime.combine(TODAY - timedelta(days=3), datetime.min.time())
    lines = [header,
             [reference, SECOND_UNIT, "baseline", "A7", "assistant", day, "egenvurdering-v1",
              *[2] * len(items)],
             [None] * len(header),  # a blank row is skipped
             [reference, SECOND_UNIT, "baseline", "A8", "leader", day, None,
              *[4.0] * len(items)]]
    response = upload(client, engagement_id, xlsx_bytes(lines), "svar.xlsx")
    assert response.status_code == 302
    rows = stored(app)
    assert [(code, role, d, set(answers.values())) for _u, _o, code, role, d, answers in rows
            ] == [("A7", RespondentRole.ASSISTANT, day.date(), {2}),
                  ("A8", RespondentRole.LEADER, day.date(), {4})]


def test_an_invalid_file_names_every_problem_by_row_and_column_and_writes_nothing(
        app, setup, make_case):
    engagement_id, reference, units, client = setup
    other = make_case(applicant="Esbjerg Kommune", municipality=561)
    with app.app_context():
        other_reference = db.session.get(Engagement, other).reference
    services_code = _record(app, engagement_id, "Q1")
    unit = "Børnehuset i Morsø Kommune"
    good = {"case": reference, "unit": unit, "occasion": "baseline", "role": "leader",
            "date": TODAY.isoformat()}
    lines = table(app, [
        good | {"respondent": "P1"},                                        # row 2: valid
        good | {"respondent": "P2", "LE1": "", "BP3": "3,5"},               # row 3
        good | {"respondent": "P3", "LM2": "9"},                            # row 4
        good | {"respondent": "P1"},                                        # row 5
        good | {"respondent": "Mette", "occasion": "sometime", "role": "chef"},  # row 6
        good | {"respondent": "P6", "unit": "Solsikken",
                "date": (TODAY + timedelta(days=1)).isoformat()},           # row 7
        good | {"respondent": "P7", "case": other_reference, "date": "2026-13-01"},  # row 8
        good | {"respondent": services_code},                               # row 9
    ])
    response = upload(client, engagement_id, csv_bytes(lines))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "12 problems; nothing was imported." in page
    assert error_list(page) == [
        "Row 3, column LE1: Missing answer: give a whole number from 1 to 5, or ikke relevant "
        "or ved ikke.",
        "Row 3, column BP3: 3,5 is not an answer: give a whole number from 1 to 5, or mark "
        "the question as not relevant or don't know.",
        "Row 4, column LM2: 9 is outside the scale 1–5.",
        "Row 5, column respondent: The respondent P1 has another row for this occasion: "
        "row 2.",
        "Row 6, column occasion: Unknown occasion sometime. Use baseline, midway, end or "
        "follow_up (før, midtvej, efter, opfølgning).",
        "Row 6, column role: Unknown role chef. Use leader, pedagogue, assistant, "
        "municipal_consultant or observer.",
        "Row 6, column respondent: A respondent code is 2 to 16 letters, digits, - or _ with "
        "at least one digit, e.g. R-7F3K2; never a name.",
        f"Row 7, column unit: Unknown unit Solsikken: not one of the units of {reference} "
        f"(Børnehuset i Morsø Kommune, {SECOND_UNIT}).",
        "Row 7, column date: The date lies in the future. Enter the day the answers were "
        "given.",
        f"Row 8, column case: This import is for {reference}; the row names "
        f"{other_reference}.",
        "Row 8, column date: 2026-13-01 is not a date: write YYYY-MM-DD or DD-MM-YYYY.",
        f"Row 9, column respondent: The respondent {services_code} has already answered at "
        "this occasion (baseline (before)) on the case.",
    ]
    assert len(stored(app)) == 1  # only the response recorded before


def _record(app, engagement_id: int, code: str) -> str:
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        services.record_response(
            engagement, engagement.units[0].unit_id, services.default_version(),
            Occasion.BASELINE, RespondentRole.LEADER, TODAY,
            {item: 3 for item in codes(app)}, None, code)
        db.session.commit()
    return code


def test_a_code_that_already_answered_at_the_occasion_is_refused(app, setup):
    engagement_id, reference, _units, client = setup
    _record(app, engagement_id, "Q1")
    lines = table(app, [{"case": reference, "unit": "Børnehuset i Morsø Kommune",
                         "occasion": "baseline", "respondent": "q1", "role": "leader",
                         "date": TODAY.isoformat()}])
    response = upload(client, engagement_id, csv_bytes(lines))
    assert error_list(response.get_data(as_text=True)) == [
        "Row 2, column respondent: The respondent Q1 has already answered at this occasion "
        "(baseline (before)) on the case."]


def test_unknown_doubled_and_missing_columns_are_named_in_row_one(app, setup):
    engagement_id, reference, _units, client = setup
    items = codes(app)
    lines = table(app, [{"case": reference}],
                  columns=["case", "unit", "occasion", "respondent", "date", "XX9", "LM1",
                           "lm1", *items[1:]])
    page = upload(client, engagement_id, csv_bytes(lines)).get_data(as_text=True)
    assert error_list(page) == [
        "Row 1, column XX9: Unknown column: neither case, unit, occasion, respondent, role, "
        "date, instrument nor the code of a question of a published instrument.",
        "Row 1, column lm1: The column appears twice.",
        "Row 1: The column role is missing.",
    ]
    lines = table(app, [{"case": reference, "unit": "Børnehuset i Morsø Kommune",
                         "occasion": "end", "role": "leader", "date": TODAY.isoformat()}],
                  columns=["unit", "occasion", "respondent", "role", "date", *items[:-1]])
    page = upload(client, engagement_id, csv_bytes(lines)).get_data(as_text=True)
    assert error_list(page) == [
        f"Row 1: The column {items[-1]} is missing: a question of egenvurdering-v1."]
    assert stored(app) == []


def test_files_that_are_not_tables_are_refused(app, setup):
    engagement_id, reference, _units, client = setup
    page = upload(client, engagement_id, b"PK\x03\x04 broken", "svar.xlsx").get_data(
        as_text=True)
    assert "The file cannot be read as an XLSX workbook." in page
    response = upload(client, engagement_id, b"a,b", "svar.txt")
    assert response.status_code == 400
    assert "Choose a .csv or .xlsx file." in response.get_data(as_text=True)
    lines = table(app, [])
    assert error_list(upload(client, engagement_id, csv_bytes(lines)).get_data(
        as_text=True)) == ["The file has no answers to import."]
    lines = table(app, [{"case": reference, "unit": SECOND_UNIT, "occasion": "end",
                         "role": "leader", "date": TODAY.isoformat()}])
    lines[1].append("3")  # e.g. 3,5 written without quotes: one cell too many
    assert error_list(upload(client, engagement_id, csv_bytes(lines)).get_data(
        as_text=True)) == ["Row 2: The row has more cells than the header has columns."]


def test_the_template_has_a_row_per_unit_and_imports_once_filled_in(app, setup):
    engagement_id, reference, _units, client = setup
    response = client.get(f"/evaluation/cases/{engagement_id}/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="{reference}-egenvurdering.csv"'
    text = response.get_data().decode("utf-8-sig")
    header, *rows = [line.split(",") for line in text.strip().splitlines()]
    assert header == importing.COLUMNS + codes(app)
    assert [row[:2] for row in rows] == [[reference, "Børnehuset i Morsø Kommune"],
                                        [reference, SECOND_UNIT]]
    assert all(row[6] == "egenvurdering-v1" and set(row[7:]) == {""} for row in rows)
    # Filled in for the first unit only: the untouched row is left out.
    rows[0][2:6] = ["baseline", "P5", "pedagogue", TODAY.strftime("%d-%m-%Y")]
    rows[0][7:] = ["4"] * (len(header) - 7)
    response = upload(client, engagement_id, csv_bytes([header, *rows]))
    assert response.status_code == 302
    assert [(unit, code) for unit, _o, code, *_rest in stored(app)] == [
        ("Børnehuset i Morsø Kommune", "P5")]


# --- the parts --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("3", 3), ("3.0", 3), ("ved ikke", MissingCode.DONT_KNOW),
    ("Dont_Know", MissingCode.DONT_KNOW), ("IKKE  RELEVANT", MissingCode.NOT_RELEVANT),
    ("not_relevant", MissingCode.NOT_RELEVANT), ("VV", MissingCode.DONT_KNOW),
])
def test_a_cell_holds_a_number_or_a_missing_code(text, expected):
    version = importing.VersionInfo(1, "egenvurdering-v1", ("LM1",), 1, 5, True)
    assert importing._parse_answer(text, version) == (expected, None)


@pytest.mark.parametrize("text, expected", [
    ("2026-03-04", date(2026, 3, 4)), ("04-03-2026", date(2026, 3, 4)),
    ("4.3.2026", date(2026, 3, 4)), ("31-02-2026", None), ("4 March", None), ("", None),
])
def test_dates_are_read_the_iso_way_or_the_danish_way(text, expected):
    assert importing._parse_date(text) == expected


def test_danish_headers_and_words_mean_the_same_columns():
    assert [importing.column_key(name) for name in
            ("Forløb", "Enhed", "Måletidspunkt", "Rolle", "Dato", "lm1", " EK2 ")] == [
        "case", "unit", "occasion", "role", "date", "LM1", "EK2"]
    assert importing.OCCASION_WORDS["opfølgning"] is Occasion.FOLLOW_UP
    assert importing.ROLE_WORDS["pædagogmedhjælper"] is RespondentRole.ASSISTANT


# --- the command line -------------------------------------------------------------------------

def test_the_command_imports_rows_of_several_cases(app, runner, setup, make_case, tmp_path):
    engagement_id, reference, units, _client = setup
    other = make_case(applicant="Esbjerg Kommune", municipality=561, start=-5)
    with app.app_context():
        other_reference = db.session.get(Engagement, other).reference
    lines = table(app, [
        {"case": reference, "unit": SECOND_UNIT, "occasion": "baseline", "respondent": "K1",
         "role": "leader", "date": TODAY.isoformat()},
        {"case": other_reference.lower(), "unit": "Børnehuset i Esbjerg Kommune",
         "occasion": "før", "respondent": "K1", "role": "pædagog",
         "date": TODAY.isoformat()},
    ])
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes(lines))
    result = runner.invoke(args=["evaluation", "import", str(path), "--by",
                                 _client.user.email])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Imported 2 response(s) from 2 respondent(s) in 2 unit(s) of {reference}, "
        f"{other_reference} (baseline 2).")
    with app.app_context():
        assert sorted(db.session.execute(sa.select(Response.engagement_id,
                                                   Response.respondent_code,
                                                   Response.entered_by_id)).all()) == [
            (engagement_id, "K1", _client.user.id), (other, "K1", _client.user.id)]


def test_the_command_takes_the_case_and_refuses_a_bad_file_whole(app, runner, setup,
                                                                   tmp_path):
    engagement_id, reference, _units, _client = setup
    items = codes(app)
    columns = ["unit", "occasion", "respondent", "role", "date", *items]
    lines = table(app, [
        {"unit": SECOND_UNIT, "occasion": "baseline", "respondent": "K1", "role": "leader",
         "date": TODAY.isoformat()},
        {"unit": SECOND_UNIT, "occasion": "baseline", "respondent": "K2", "role": "leader",
         "date": TODAY.isoformat()},
        {"unit": SECOND_UNIT, "occasion": "baseline", "respondent": "K3", "role": "leader",
         "date": TODAY.isoformat(), "LM2": "9"},
    ], columns=columns)
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes(lines))
    result = runner.invoke(args=["evaluation", "import", str(path), "--case", reference])
    assert result.exit_code == 1
    # The command speaks the default language (Danish once translated).
    assert re.search(r"^(Row|Række) 4, (column|kolonne) LM2: 9 .* 1–5\.$", result.output,
                     re.MULTILINE), result.output
    assert "1 error(s) in svar.csv; nothing was imported." in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0

    path.write_bytes(csv_bytes(lines[:3]))
    result = runner.invoke(args=["evaluation", "import", str(path), "--case", reference])
    assert result.exit_code == 0, result.output
    assert "Imported 2 response(s) from 2 respondent(s) in 1 unit(s)" in result.output

    result = runner.invoke(args=["evaluation", "import", str(path), "--case", "FORL-1999-001"])
    assert result.exit_code == 2 and "there is no case FORL-1999-001" in result.output
