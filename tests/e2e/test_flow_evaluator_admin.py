"""Flows of the external evaluator and the administrator."""
import io
import json
import re
import uuid
import zipfile

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, sign_in
from tests.e2e.flows import open_menu

pytestmark = pytest.mark.e2e


def _identifying_texts(url: str) -> set[str]:
    """What must never leave in an export: the names of people, daycare units and
    applicants other than municipalities, case references, respondent codes and the
    sessions' free text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            texts = set(connection.scalars(sa.text(
                "SELECT name FROM users UNION SELECT name FROM daycare_units "
                "UNION SELECT name FROM engagement_contacts "
                "UNION SELECT contact_name FROM applications "
                "UNION SELECT reference FROM engagements "
                "UNION SELECT respondent_code FROM evaluation_responses "
                "UNION SELECT summary FROM engagement_sessions "
                "UNION SELECT next_steps FROM engagement_sessions "
                "UNION SELECT applicant_name FROM engagements "
                "WHERE applicant_name NOT LIKE '% Kommune'")))
    finally:
        engine.dispose()
    return {text for text in texts if text}


def test_the_evaluator_downloads_the_xlsx_export_without_names(new_page, live_server):
    page = new_page()
    sign_in(page, "evaluator@demo.example")
    open_menu(page, "Evaluering", "Eksportér effektdata")
    expect(page.get_by_role("heading", name="Effektdata til evaluatorer")).to_be_visible()
    choice = page.get_by_role("form", name="Vælg dataene")
    choice.get_by_role("radio", name="Excel-projektmappe (XLSX)").check()
    with page.expect_download() as started:
        choice.get_by_role("button", name="Hent (ZIP)").click()
    download = started.value
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))
    assert sorted(archive.namelist()) == ["effect_data.xlsx", "manifest.json"]

    workbook_bytes = archive.read("effect_data.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    assert workbook.sheetnames == ["data", "activity", "codebook", "items"]
    workbook.close()
    sheets = pd.read_excel(io.BytesIO(workbook_bytes), sheet_name=None, dtype=str)
    data = sheets["data"]
    assert len(data) > 0
    assert list(data.columns[:4]) == ["engagement_id", "unit_id", "respondent_id",
                                      "respondent_role"]
    assert data["engagement_id"].str.fullmatch(r"E-[0-9a-f]{12}").all()
    assert len(sheets["activity"]) > 0
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"]

    texts = "\n".join(
        "\n".join(frame.columns.astype(str)) + "\n" + frame.to_csv(index=False)
        for frame in sheets.values()) + json.dumps(manifest, ensure_ascii=False)
    names = _identifying_texts(live_server[1]["FLASK_SQLALCHEMY_DATABASE_URI"])
    assert len(names) > 50
    leaked = sorted(name for name in names if name in texts)
    assert leaked == []


def test_an_admin_changes_a_role_and_finds_it_in_the_audit_log(new_page):
    email = f"mads.{uuid.uuid4().hex[:8]}@example.dk"
    page = new_page()
    sign_in(page, "admin@demo.example")
    open_menu(page, "Administration", "Brugere")
    page.get_by_role("link", name="Ny bruger").click()
    form = page.get_by_role("main")
    form.get_by_label("Navn").fill("Mads Midlertidig")
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Rolle").select_option(label="Praksiskonsulent")
    form.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("Mads Midlertidig")

    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Praksiskonsulent")
    row.get_by_role("link", name="Mads Midlertidig").click()
    expect(page.get_by_role("heading", name="Mads Midlertidig", level=1)).to_be_visible()
    page.get_by_role("main").get_by_label("Rolle").select_option(label="Team Dagtilbud")
    page.get_by_role("main").get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("Mads Midlertidig")
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Team Dagtilbud")

    # The change in the audit log: who, what and before/after.
    open_menu(page, "Administration", "Revisionslog")
    page.get_by_label("Tabel").fill("users")
    page.get_by_role("button", name="Filtrér").click()
    changes = page.get_by_role("table", name="Ændrede felter").filter(
        has=page.get_by_role("cell", name="role", exact=True)).first
    expect(changes).to_be_visible()
    entry = page.get_by_role("row").filter(has=changes).first
    expect(entry).to_contain_text("Ada Admin")
    role_change = changes.get_by_role("row").filter(
        has=page.get_by_role("cell", name="role", exact=True))
    expect(role_change.get_by_role("cell")).to_have_text(
        ["role", re.compile("consultant|Praksiskonsulent"), re.compile("team|Team Dagtilbud")])

    # And it took effect: the user now signs in to Team Dagtilbud's start page.
    other = new_page()
    sign_in(other, email)
    expect(other.get_by_role("main")).to_contain_text("Du er logget ind som Team Dagtilbud.")
