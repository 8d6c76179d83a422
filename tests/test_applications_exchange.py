"""Applications to and from spreadsheets: the export, formula neutralisation and the import."""
from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from consultancy.applications import services
from consultancy.applications.exchange import (
    APPLICATION_COLUMNS,
    UNIT_COLUMNS,
    ExchangeError,
    export_frame,
    import_applications,
)
from consultancy.applications.queries import current_criteria_set
from consultancy.applications.services import ApplicationData, UnitData
from consultancy.exchange.exports import neutralise, write_table
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    Channel,
    DaycareUnit,
    EngagementType,
    Ownership,
    Role,
    Round,
    UnitKind,
    User,
)

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=timezone.utc)
TODAY = date(2025, 3, 10)
REFERENCE = re.compile(r"^ANS-\d{4}-\d{4}$")
# Reviewer A and B on documented_need, vulnerable_share, motivation, leadership_backing.
SCORES = ([3, 2, 2, 1], [2, 2, 3, 2])


# --- factories -----------------------------------------------------------------------------

def type_id(code: str) -> int:
    return db.session.scalar(sa.select(EngagementType.id).where(EngagementType.code == code))


def open_round(name: str = "Forår 2025", today: date = TODAY) -> int:
    """A one_year round open on `today`, with the first criteria set."""
    round_ = Round(name=name, engagement_type_id=type_id("one_year"),
                   opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=10),
                   capacity=5, criteria_set_id=current_criteria_set().id)
    db.session.add(round_)
    db.session.flush()
    return round_.id


def application_data(engagement: str = "mini", applicant: str | None = None,
                     **fields) -> ApplicationData:
    kind = ApplicantKind.INSTITUTION if applicant else ApplicantKind.MUNICIPALITY
    ownership = Ownership.SELF_OWNED if applicant else Ownership.MUNICIPAL
    values = dict(
        engagement_type_id=type_id(engagement), applicant_kind=kind, municipality_code=101,
        applicant_name=applicant, contact_name="Mette Madsen", contact_email="mm@kk.dk",
        contact_phone="12345678", documented_need="Behov", motivation="Motivation",
        leadership_backing="Opbakning", resource_hours_per_month=Decimal("10"),
        resource_participants="Leder og to pædagoger", consent=True,
        units=[UnitData(name=f"Enhed {applicant or engagement}", kind=UnitKind.INTEGRATED,
                        ownership=ownership, children=40, vulnerable_share=Decimal("30"))])
    values.update(fields)
    return ApplicationData(**values)


@pytest.fixture
def make_applications(app, make_user):
    """Submit applications; `scored` ones get two reviewers' SCORES. Returns references."""
    reviewers = []

    def make(count: int = 1, *, scored: bool = False, decide: ApplicationStatus | None = None,
             **data) -> list[str]:
        while scored and len(reviewers) < 2:
            reviewers.append(make_user(Role.TEAM).id)
        with app.test_request_context():
            references = []
            for _ in range(count):
                application = services.submit(application_data(**data), Channel.STAFF, NOW,
                                              TODAY)
                if scored:
                    criteria = application.criteria_set.criteria
                    for reviewer_id, values in zip(reviewers, SCORES):
                        review = services.assign_reviewer(
                            application, db.session.get(User, reviewer_id), NOW)
                        services.submit_scores(review, {c.id: (v, "Begrundelse")
                                                        for c, v in zip(criteria, values)}, NOW)
                if decide:
                    actor = db.session.get(User, reviewers[0])
                    services.decide(application, decide, "Begrundet", actor,
                                    NOW + timedelta(days=2))
                references.append(application.reference)
            db.session.commit()
        return references
    return make


def by_reference(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["reference"]: row for row in frame.to_dict("records")}


# --- export --------------------------------------------------------------------------------

def test_the_export_shows_means_total_and_minimums_of_submitted_reviews(app, make_applications):
    [scored] = make_applications(scored=True, decide=ApplicationStatus.WAITLISTED)
    [unscored] = make_applications()
    with app.app_context():
        round_id = open_round()
        db.session.commit()
    [in_round] = make_applications(engagement="one_year")
    with app.app_context():
        frame = export_frame(None)
        only_round = export_frame(round_id)

    assert list(frame.columns) == [
        "reference", "applicant", "applicant_kind", "engagement_type", "municipality_code",
        "round", "status", "submitted", "mean_documented_need", "mean_vulnerable_share",
        "mean_motivation", "mean_leadership_backing", "weighted_total", "minimums_met",
        "decision", "decision_date"]
    rows = by_reference(frame)
    row = rows[scored]
    assert (row["mean_documented_need"], row["mean_vulnerable_share"], row["mean_motivation"],
            row["mean_leadership_backing"]) == (2.5, 2.0, 2.5, 1.5)
    # (30*2.5 + 30*2 + 20*2.5 + 20*1.5) / 100 / 3 * 100; leadership 1.5 is under its minimum 2
    assert row["weighted_total"] == 71.7 and row["minimums_met"] == 0
    assert row["applicant"] == "København Kommune" and row["applicant_kind"] == "municipality"
    assert (row["engagement_type"], row["municipality_code"]) == ("mini", 101)
    assert (row["status"], row["decision"]) == ("waitlisted", "waitlisted")
    assert row["submitted"] == TODAY and row["decision_date"] == date(2025, 3, 12)
    assert math.isnan(rows[unscored]["weighted_total"])
    assert pd.isna(rows[unscored]["minimums_met"]) and pd.isna(rows[unscored]["decision"])
    assert rows[unscored]["status"] == "submitted"
    assert list(only_round["reference"]) == [in_round]
    assert only_round["round"][0] == "Forår 2025"


def test_the_export_runs_the_same_number_of_queries_for_2_and_20_applications(
        app, make_applications, query_counter):
    def count() -> int:
        with app.app_context(), query_counter() as statements:
            frame = export_frame(None)
        return len(frame), len(statements)

    with app.app_context():
        open_round()
        db.session.commit()
    make_applications(scored=True)
    make_applications(engagement="one_year")
    rows, few = count()
    assert rows == 2
    make_applications(9, scored=True, decide=ApplicationStatus.REJECTED)
    make_applications(9, engagement="one_year")
    rows, many = count()
    assert rows == 20
    assert many == few


def test_text_that_would_start_a_formula_is_neutralised_and_numbers_stay_numbers():
    assert neutralise('=HYPERLINK("http://x.example","klik")') == \
        '\'=HYPERLINK("http://x.example","klik")'
    for text in ("+1", "-2", "@x", "  =1+1", "\tx", "\rx", "\n=1"):
        assert neutralise(text) == "'" + text
    for value in ("Solsikken", "", "a=b", "1-2", -2, -2.5, 0, None):
        assert neutralise(value) == value


def test_formulas_in_applicant_names_are_neutralised_in_csv_and_xlsx(app, make_applications):
    names = ['=HYPERLINK("http://x.example","klik")', "+1", "-2", "@x"]
    references = [make_applications(applicant=name)[0] for name in names]
    with app.app_context():
        frame = export_frame(None)
    exported = write_table(frame, "csv")
    assert exported.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert [row["applicant"] for row in rows] == ["'" + name for name in names]
    assert {row["municipality_code"] for row in rows} == {"101"}

    sheet = openpyxl.load_workbook(io.BytesIO(write_table(frame, "xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    cells = {name: header.index(name) for name in ("reference", "applicant",
                                                    "municipality_code")}
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[cells["reference"]].value for row in rows] == references
    assert [row[cells["applicant"]].value for row in rows] == ["'" + name for name in names]
    assert all(row[cells["applicant"]].data_type == "s" for row in rows)  # no formulas
    assert {row[cells["municipality_code"]].value for row in rows} == {101}


def test_negative_numbers_stay_numbers_in_both_formats():
    frame = pd.DataFrame({"text": ["-2", "æøå"], "number": [-2, 3], "share": [-0.5, 1.25]})
    lines = write_table(frame, "csv").decode("utf-8-sig").splitlines()
    assert lines == ["text,number,share", "'-2,-2,-0.5", "æøå,3,1.25"]
    sheet = openpyxl.load_workbook(io.BytesIO(write_table(frame, "xlsx"))).active
    assert [cell.value for cell in sheet[2]] == ["'-2", -2, -0.5]
    assert [cell.data_type for cell in sheet[2]] == ["s", "n", "n"]


def test_the_xlsx_export_opens_with_a_frozen_header(app, runner, make_applications, tmp_path):
    [reference] = make_applications(scored=True)
    out = tmp_path / "ansøgninger.xlsx"
    result = runner.invoke(args=["applications", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    sheet = workbook["applications"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "reference" and sheet["A2"].value == reference
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("weighted_total") + 1).value == 71.7
    assert sheet.column_dimensions["A"].width >= len(reference)

    out = tmp_path / "export.csv"
    result = runner.invoke(args=["applications", "export", "--format", "csv", "--out", str(out),
                                 "--round", "999"])
    assert result.exit_code != 0 and "999" in result.output


# --- import --------------------------------------------------------------------------------

def application_row(key, **values) -> dict:
    row = dict(key=key, applicant_kind="municipality", applicant_name="",
               municipality_code="101", engagement_type="mini", contact_name="Mette Madsen",
               contact_email="mm@kk.dk", contact_phone="12 34 56 78",
               documented_need="Et dokumenteret behov", motivation="Motivation",
               leadership_backing="Ledelsen bakker op", resource_hours_per_month="12,5",
               resource_participants="Leder og to pædagoger")
    row.update(values)
    return row


def unit_row(key, name, **values) -> dict:
    row = dict(key=key, name=name, kind="kindergarten", ownership="municipal", children="45",
               vulnerable_share="30")
    row.update(values)
    return row


def write_csv(path, columns, rows, delimiter=","):
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.DictWriter(file, columns, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path, applications, units):
    workbook = openpyxl.Workbook()
    for sheet, columns, rows in ((workbook.active, APPLICATION_COLUMNS, applications),
                                 (workbook.create_sheet("units"), UNIT_COLUMNS, units)):
        sheet.append(columns)
        for row in rows:
            sheet.append([row[column] for column in columns])
    workbook.active.title = "applications"
    workbook.save(path)
    return path


def imported(app) -> dict[str, Application]:
    with app.app_context():
        applications = db.session.scalars(sa.select(Application)).all()
        for application in applications:
            application.unit_rows = [(link.unit.name, link.vulnerable_share)
                                     for link in application.units]
        db.session.expunge_all()
    return {application.reference: application for application in applications}


def test_a_csv_pair_is_imported_from_the_command_line(app, runner, tmp_path):
    applications = write_csv(tmp_path / "ansøgninger.csv", APPLICATION_COLUMNS, [
        application_row("1"),
        application_row("B", applicant_kind="institution", applicant_name="Den Selvejende",
                        municipality_code="751", resource_hours_per_month="8")],
        delimiter=";")
    units = write_csv(tmp_path / "enheder.csv", UNIT_COLUMNS, [
        unit_row("1", "Solsikken"), unit_row("1", "Mælkebøtten", vulnerable_share="22,5"),
        unit_row("B", "Den Selvejende", ownership="self_owned")])
    result = runner.invoke(args=["applications", "import", str(applications),
                                 "--units", str(units)])
    assert result.exit_code == 0, result.output

    created = imported(app)
    assert len(created) == 2 and all(REFERENCE.match(reference) for reference in created)
    assert sorted(created) == sorted(re.findall(r"ANS-\d{4}-\d{4}", result.output))
    first, second = sorted(created.values(), key=lambda a: a.number)
    assert first.channel is Channel.IMPORT and first.applicant_name == "København Kommune"
    assert first.resource_hours_per_month == Decimal("12.5")
    assert first.unit_rows == [("Solsikken", Decimal("30")), ("Mælkebøtten", Decimal("22.5"))]
    assert (second.applicant_kind, second.applicant_name, second.municipality_code) == \
        (ApplicantKind.INSTITUTION, "Den Selvejende", 751)


def test_an_xlsx_with_a_units_sheet_is_imported(app, tmp_path):
    path = write_xlsx(tmp_path / "ansøgninger.xlsx", [
        application_row(1, municipality_code=101, resource_hours_per_month=12.5),
        application_row(2, engagement_type="one_year", municipality_code=751,
                        contact_phone=87654321)],
        [unit_row(1, "Solsikken", children=45, vulnerable_share=0.25),
         unit_row(2, "Skovbørnehaven", vulnerable_share=40)])
    workbook = openpyxl.load_workbook(path)
    workbook["units"]["F2"].number_format = "0%"  # Solsikken's share typed as 25 %
    workbook.save(path)
    with app.test_request_context():
        round_id = open_round()
        created = import_applications(path, today=TODAY, now=NOW)
        assert [a.reference for a in created] == ["ANS-2025-0001", "ANS-2025-0002"]
        db.session.commit()

    applications = imported(app)
    mini, one_year = applications["ANS-2025-0001"], applications["ANS-2025-0002"]
    assert mini.round_id is None and one_year.round_id == round_id
    assert mini.resource_hours_per_month == Decimal("12.5")
    assert mini.unit_rows == [("Solsikken", Decimal("25"))]
    assert (one_year.municipality_code, one_year.contact_phone) == (751, "87654321")


def test_a_file_with_bad_rows_creates_nothing_and_names_every_row_and_column(app, tmp_path):
    path = write_xlsx(tmp_path / "ansøgninger.xlsx", [
        application_row("ok"),
        application_row("bad", municipality_code=999, contact_email=""),
        application_row("share", motivation="Vi vil arbejde med læringsmiljøet")],
        [unit_row("ok", "Solsikken"), unit_row("bad", "Mælkebøtten"),
         unit_row("share", "Skovbørnehaven", vulnerable_share=150)])
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ExchangeError) as raised:
            import_applications(path, today=TODAY, now=NOW)
    assert sorted(raised.value.messages) == [
        "row 3, column contact_email: Enter an email address.",
        "row 3, column municipality_code: Not a valid choice.",
        "sheet units, row 4, column vulnerable_share: Enter a percentage between 0 and 100.",
    ]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(DaycareUnit.id))) == 0


def test_import_errors_from_the_command_line_exit_non_zero(app, runner, tmp_path):
    applications = write_csv(tmp_path / "a.csv", APPLICATION_COLUMNS, [
        application_row("1"), application_row("2", engagement_type="one_yeer"),
        application_row("3", applicant_kind="institution", applicant_name="Privat")])
    units = write_csv(tmp_path / "u.csv", UNIT_COLUMNS, [
        unit_row("1", "Solsikken"), unit_row("2", "Mælkebøtten"),
        unit_row("3", "Privatbørnehaven", ownership="municipal"), unit_row("4", "Ingen")])
    result = runner.invoke(args=["applications", "import", str(applications),
                                 "--units", str(units)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("u.csv" in line and "5" in line and "key" in line for line in lines), lines
    assert any("3" in line and "engagement_type" in line and "one_yeer" in line
               for line in lines), lines
    assert any("4" in line and "applicant_kind" in line for line in lines), lines
    assert "nothing was imported" in result.output
    assert imported(app) == {}


def test_the_columns_of_the_file_are_checked_first(app, tmp_path):
    columns = [c for c in APPLICATION_COLUMNS if c != "motivation"] + ["notes"]
    applications = write_csv(tmp_path / "a.csv", columns, [
        {**{c: v for c, v in application_row("1").items() if c != "motivation"}, "notes": ""}])
    units = write_csv(tmp_path / "u.csv", UNIT_COLUMNS, [unit_row("1", "Solsikken")])
    with app.app_context(), force_locale("en"):
        with pytest.raises(ExchangeError) as raised:
            import_applications(applications, units, today=TODAY, now=NOW)
        with pytest.raises(ExchangeError) as no_units:
            import_applications(applications, today=TODAY, now=NOW)
    assert raised.value.messages[0].startswith("row 1, column notes: Unknown column.")
    assert raised.value.messages[1] == "row 1: The column motivation is missing."
    assert "units" in no_units.value.messages[0]
