"""Steps shared by the flow tests: what a user does, through the page, in Danish."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

REFERENCE = re.compile(r"ANS-\d{4}-\d{4}")


def flask(env: dict, *args: str) -> str:
    """Run a `flask --app wsgi` command against the live server's database."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True)
    return done.stdout


def open_menu(page, menu: str, item: str) -> None:
    """Choose an item of a drop-down menu of the main navigation."""
    navigation = page.get_by_role("navigation", name="Hovedmenu")
    navigation.get_by_role("button", name=menu, exact=True).click()
    navigation.get_by_role("link", name=item, exact=True).click()


def expect_error_on(page, field, message: str) -> None:
    """The field is marked invalid and its description names the visible message."""
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    ids = described.split()
    assert ids, "the invalid field is described by nothing"
    errors = [page.locator(f"[id='{ident}']") for ident in ids if ident.endswith("-error")]
    assert len(errors) == 1, f"no error message among {ids}"
    expect(errors[0]).to_be_visible()
    expect(errors[0]).to_contain_text(message)


def fill_mini_application(page, applicant: str, unit: str) -> None:
    """Fill the public form for a mini course asked for by a self-owned daycare in Morsø."""
    page.get_by_label("Forløbstype").select_option(label="Minivejledningsforløb")
    page.get_by_role("radio", name="Selvejende eller privat dagtilbud").check()
    page.get_by_role("combobox", name="Kommune").select_option(label="Morsø")
    page.get_by_label("Navn på dagtilbuddet, der søger").fill(applicant)
    page.get_by_label("Kontaktperson").fill("Karen Leder")
    page.get_by_label("E-mail").fill("karen@example.dk")
    page.get_by_label("Telefon").fill("12 34 56 78")
    unit_group = page.get_by_role("group", name="Enhed 1")
    unit_group.get_by_label("Enhedens navn").fill(unit)
    unit_group.get_by_label("Type").select_option(label="Børnehave")
    unit_group.get_by_label("Ejerform").select_option(label="Selvejende")
    unit_group.get_by_label("Antal børn").fill("48")
    unit_group.get_by_label("Andel familier i udsatte positioner (%)").fill("22,5")
    page.get_by_label("Dokumenteret behov").fill("Vores egne observationer viser et behov.")
    page.get_by_label("Motivation").fill("Vi vil styrke børnefællesskaberne.")
    page.get_by_label("Ledelsesmæssig opbakning").fill("Lederen deltager i alle møder.")
    page.get_by_label("Timer afsat om måneden").fill("6")
    page.get_by_label("Hvem deltager").fill("Lederen og to pædagoger.")
    page.get_by_role("checkbox", name=re.compile("Jeg har læst privatlivserklæringen")).check()


def submit_application(page) -> str:
    """Send the filled form; the receipt's reference number."""
    page.get_by_role("button", name="Send ansøgning").click()
    receipt = page.get_by_role("heading", name="Tak – vi har modtaget jeres ansøgning")
    expect(receipt).to_be_visible()
    reference = page.get_by_role("status").get_by_text(REFERENCE).inner_text()
    assert REFERENCE.fullmatch(reference.strip())
    return reference.strip()


def today() -> date:
    """The application's today: the day in Copenhagen."""
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


def danish(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def new_mini_case(page, applicant: str, consultant: str, start: date) -> str:
    """Team Dagtilbud (signed in on `page`) creates a mini course in Morsø and puts a
    consultant on it; the case's reference."""
    open_menu(page, "Forløb", "Alle forløb")
    page.get_by_role("link", name="Nyt forløb").click()
    page.get_by_label("Forløbstype").select_option(label="Minivejledningsforløb")
    page.get_by_label("Kommune").select_option(label="Morsø")
    page.get_by_label("Ansøger").fill(applicant)
    page.get_by_label("Startdato").fill(start.isoformat())
    page.get_by_role("button", name="Opret forløb").click()
    created = page.get_by_role("status").get_by_text(re.compile(r"Forløbet FORL-\d{4}-\d{3}"))
    expect(created).to_be_visible()
    reference = re.search(r"FORL-\d{4}-\d{3}", created.inner_text()).group()
    team = page.get_by_role("region", name="Team")
    team.get_by_label("Konsulent").select_option(label=consultant)
    team.get_by_role("button", name="Tilføj til teamet").click()
    expect(page.get_by_role("region", name="Team").get_by_role("listitem").filter(
        has_text=consultant)).to_be_visible()
    return reference
