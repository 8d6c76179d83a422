"""The sessions export: codes and counts only, a date filter, constant queries, CLI and download."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from consultancy.engagements import services
from consultancy.engagements.exchange import SESSION_COLUMNS, sessions_frame
from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementType,
    MemberRole,
    Ownership,
    Role,
    SessionFormat,
    SubFormat,
    UnitKind,
    User,
)
from consultancy.services.clock import COPENHAGEN

START = date(2026, 3, 2)  # a Monday; the sessions follow weekly
TODAY = date(2026, 3, 20)
NOW = datetime.combine(START, time(9), tzinfo=COPENHAGEN)
SECRET = "Hemmelig note om praksis"
FREE_TEXT = {"summary", "next_steps", "name", "names", "contact", "contacts", "email",
             "applicant", "applicant_name", "consultant_names"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def make_case(app, make_user):
    """A case with `sessions` weekly sessions from START (after TODAY: planned); its reference."""
    def make(sessions: int = 2, type_code: str = "one_year", consultants: int = 1) -> str:
        people = [make_user(Role.CONSULTANT, name=f"Konsulent Navnesen {n}")
                  for n in range(consultants)]
        with app.test_request_context():
            engagement_type = db.session.scalar(sa.select(EngagementType).where(
                EngagementType.code == type_code))
            unit = DaycareUnit(name="Børnehuset Solsikken", municipality_code=161,
                               ownership=Ownership.MUNICIPAL, kind=UnitKind.INTEGRATED,
                               children=60)
            db.session.add(unit)
            db.session.flush()
            engagement = services.create_case(engagement_type, 161, "Glostrup Kommune", START,
                                              [unit], None, NOW, hour_budget=None)
            users = [db.session.get(User, person.id) for person in people]
            for user in users:
                services.assign_consultant(engagement, user, MemberRole.LEAD, START)
            themes = {theme.code: theme.id for theme in services.themes()}
            for week in range(sessions):
                services.log_session(engagement, services.SessionData(
                    held_on=START + timedelta(weeks=week), hours=Decimal("2.25"),
                    format=SessionFormat.PRACTICE_MEETING, sub_format=SubFormat.SIDE_BY_SIDE,
                    consultant_ids=[user.id for user in users], unit_ids=[unit.id],
                    theme_ids=[themes["learning"], themes["play"]], leaders=1,
                    pedagogical_staff=4, assistants=2, municipal_consultants=1,
                    summary=SECRET, next_steps="Næste skridt aftalt med lederen"),
                    users[0], TODAY)
            db.session.commit()
            return engagement.reference
    return make


def test_one_row_per_session_with_codes_and_counts_and_no_free_text(app, make_case):
    reference = make_case(sessions=4, consultants=2)
    with app.app_context():
        frame = sessions_frame()

    assert list(frame.columns) == [
        "reference", "engagement_type", "municipality_code", "status", "date", "hours",
        "format", "sub_format", "consultants", "leaders", "pedagogical_staff", "assistants",
        "municipal_consultants", "themes"] == SESSION_COLUMNS
    assert not FREE_TEXT & set(frame.columns)
    assert len(frame) == 4
    rows = frame.to_dict("records")
    assert [row["date"] for row in rows] == [START + timedelta(weeks=n) for n in range(4)]
    assert [row["status"] for row in rows] == ["held", "held", "held", "planned"]
    first = rows[0]
    assert (first["reference"], first["engagement_type"], first["municipality_code"]) == \
        (reference, "one_year", 161)
    assert (first["hours"], first["format"], first["sub_format"]) == \
        (2.25, "practice_meeting", "side_by_side")
    assert (first["consultants"], first["leaders"], first["pedagogical_staff"],
            first["assistants"], first["municipal_consultants"]) == (2, 1, 4, 2, 1)
    assert first["themes"] == "play;learning"  # in the vocabulary's order

    text = frame.to_csv(index=False)
    assert SECRET not in text and "Næste skridt" not in text and "Navnesen" not in text
    assert "Glostrup Kommune" not in text and "Solsikken" not in text


def test_a_session_without_sub_format_or_themes_has_empty_cells(app, make_case):
    reference = make_case(sessions=0)
    with app.test_request_context():
        engagement = db.session.scalar(sa.select(Engagement).where(
            Engagement.reference == reference))
        user = engagement.members[0].user
        services.log_session(engagement, services.SessionData(
            held_on=START, hours=Decimal("1"), format=SessionFormat.KICKOFF, sub_format=None,
            consultant_ids=[user.id], unit_ids=[], summary="Opstart"), user, TODAY)
        db.session.commit()
        [row] = sessions_frame().to_dict("records")
    assert row["sub_format"] is None and row["themes"] == "" and row["format"] == "kickoff"


def test_the_date_filter_is_inclusive_at_both_ends(app, make_case):
    make_case(sessions=5)  # 2, 9, 16, 23 and 30 March
    with app.app_context():
        def dates(date_from=None, date_to=None):
            return list(sessions_frame(date_from, date_to)["date"])
        assert dates(date(2026, 3, 9), date(2026, 3, 23)) == [
            date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
        assert dates(date_from=date(2026, 3, 24)) == [date(2026, 3, 30)]
        assert dates(date_to=date(2026, 3, 1)) == []
        assert len(dates()) == 5


def test_the_export_runs_the_same_number_of_queries_for_2_and_20_sessions(
        app, make_case, query_counter):
    def count() -> tuple[int, int]:
        with app.app_context(), query_counter() as statements:
            frame = sessions_frame()
        return len(frame), len(statements)

    make_case(sessions=2)
    rows, few = count()
    assert rows == 2
    make_case(sessions=9, type_code="mini", consultants=2)
    make_case(sessions=9)
    rows, many = count()
    assert rows == 20
    assert many == few


def test_the_command_writes_csv_and_xlsx_through_the_shared_writer(app, runner, make_case,
                                                                   tmp_path):
    make_case(sessions=3)
    out = tmp_path / "sessions.xlsx"
    result = runner.invoke(args=["sessions", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet.title == "sessions" and sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == SESSION_COLUMNS
    assert sheet.max_row == 4

    out = tmp_path / "march.csv"
    result = runner.invoke(args=["sessions", "export", "--format", "csv", "--out", str(out),
                                 "--from", "2026-03-09", "--to", "2026-03-09"])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as write_table writes it
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == SESSION_COLUMNS
    assert [row[4] for row in rows[1:]] == ["2026-03-09"]


@pytest.mark.parametrize("options, wrong, echoed", [
    (["--from", "2026-13-01"], "--from", "2026-13-01"),
    (["--to", "1-3-2026"], "--to", "1-3-2026"),
    (["--from", "2026-02-30"], "--from", "2026-02-30"),
    (["--from", "2026-03-10", "--to", "2026-03-01"], "--from", "2026-03-10"),
])
def test_the_command_refuses_a_bad_date_or_a_reversed_period(app, runner, tmp_path, options,
                                                             wrong, echoed):
    out = tmp_path / "sessions.csv"
    result = runner.invoke(args=["sessions", "export", "--out", str(out), *options])
    assert result.exit_code == 2
    assert wrong in result.output and echoed in result.output
    assert "Traceback" not in result.output


def test_the_command_needs_a_known_format(app, runner, tmp_path):
    result = runner.invoke(args=["sessions", "export", "--out", str(tmp_path / "s.pdf")])
    assert result.exit_code == 2 and "--format" in result.output


def test_team_and_admin_download_csv_and_xlsx(app, make_case, team_client, admin_client):
    reference = make_case(sessions=3)
    response = team_client.get("/engagements/sessions/export.csv?from=2026-03-09")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == SESSION_COLUMNS
    assert [row[0] for row in rows[1:]] == [reference, reference]

    response = admin_client.get("/engagements/sessions/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.max_row == 4


def test_the_download_refuses_a_bad_period_and_an_unknown_format(app, team_client):
    response = team_client.get("/engagements/sessions/export.csv?from=01-03-2026")
    assert response.status_code == 400
    assert "01-03-2026" in response.get_data(as_text=True)
    response = team_client.get("/engagements/sessions/export.csv?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 400
    assert "2026-03-10" in response.get_data(as_text=True)
    assert team_client.get("/engagements/sessions/export.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.EVALUATOR])
def test_consultants_and_evaluators_may_not_download(app, login_client, role):
    client = login_client(role)
    assert client.get("/engagements/sessions/export.csv").status_code == 403
    assert client.get("/engagements/sessions/export.xlsx").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    response = client.get("/engagements/sessions/export.csv")
    assert response.status_code in (302, 401)
