"""Flows of an application: the public form, then the team's review and decision."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.flows import (
    REFERENCE,
    expect_error_on,
    fill_mini_application,
    open_menu,
    submit_application,
)

pytestmark = pytest.mark.e2e


def test_an_applicant_corrects_the_form_and_gets_a_reference(new_page):
    page = new_page()
    page.goto("/apply")
    # First attempt: a mini course for a self-owned daycare, with mistakes and gaps.
    page.get_by_label("Forløbstype").select_option(label="Minivejledningsforløb")
    page.get_by_role("radio", name="Selvejende eller privat dagtilbud").check()
    page.get_by_role("combobox", name="Kommune").select_option(label="Morsø")
    page.get_by_label("Navn på dagtilbuddet, der søger").fill("Den selvejende børnehave Mosen")
    page.get_by_label("Kontaktperson").fill("Karen Leder")
    page.get_by_label("E-mail").fill("karen@")
    page.get_by_label("Telefon").fill("1234")
    unit = page.get_by_role("group", name="Enhed 1")
    unit.get_by_label("Enhedens navn").fill("Mosen")
    unit.get_by_label("Antal børn").fill("0")
    unit.get_by_label("Andel familier i udsatte positioner (%)").fill("22,5")
    page.get_by_label("Motivation").fill("Vi vil styrke børnefællesskaberne.")
    page.get_by_label("Timer afsat om måneden").fill("6,5")
    page.get_by_role("button", name="Send ansøgning").click()

    expect(page.get_by_role("alert")).to_contain_text("Ret venligst de markerede felter nedenfor.")
    expect_error_on(page, page.get_by_label("E-mail"),
                    "Skriv en gyldig e-mailadresse, fx navn@kommune.dk.")
    expect_error_on(page, page.get_by_label("Telefon"),
                    "Skriv et telefonnummer på 8 cifre, fx 12 34 56 78.")
    unit = page.get_by_role("group", name="Enhed 1")
    expect_error_on(page, unit.get_by_label("Type"), "Vælg enhedens type.")
    expect_error_on(page, unit.get_by_label("Ejerform"), "Vælg enhedens ejerform.")
    expect_error_on(page, unit.get_by_label("Antal børn"), "Skriv et tal mellem 1 og 2000.")
    expect_error_on(page, page.get_by_label("Dokumenteret behov"), "Beskriv behovet.")
    expect_error_on(page, page.get_by_label("Ledelsesmæssig opbakning"),
                    "Beskriv, hvordan ledelsen bakker op om forløbet.")
    expect_error_on(page, page.get_by_label("Hvem deltager"), "Beskriv, hvem der deltager.")
    consent = page.get_by_role("checkbox", name=re.compile("Jeg har læst privatlivserklæringen"))
    expect_error_on(page, consent, "Du skal acceptere privatlivserklæringen.")
    # The fields without mistakes are not marked.
    expect(page.get_by_label("Kontaktperson")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Motivation")).not_to_have_attribute("aria-invalid", "true")

    # Nothing typed is lost, the wrong values included.
    expect(page.get_by_label("Forløbstype").locator("option:checked")).to_have_text(
        "Minivejledningsforløb")
    expect(page.get_by_role("radio", name="Selvejende eller privat dagtilbud")).to_be_checked()
    expect(page.get_by_role("combobox", name="Kommune").locator("option:checked")).to_have_text(
        "Morsø")
    expect(page.get_by_label("Navn på dagtilbuddet, der søger")).to_have_value(
        "Den selvejende børnehave Mosen")
    expect(page.get_by_label("Kontaktperson")).to_have_value("Karen Leder")
    expect(page.get_by_label("E-mail")).to_have_value("karen@")
    expect(page.get_by_label("Telefon")).to_have_value("1234")
    expect(unit.get_by_label("Enhedens navn")).to_have_value("Mosen")
    expect(unit.get_by_label("Antal børn")).to_have_value("0")
    expect(unit.get_by_label("Andel familier i udsatte positioner (%)")).to_have_value("22,5")
    expect(page.get_by_label("Motivation")).to_have_value("Vi vil styrke børnefællesskaberne.")
    expect(page.get_by_label("Timer afsat om måneden")).to_have_value("6,5")

    # Second attempt: the mistakes put right.
    fill_mini_application(page, applicant="Den selvejende børnehave Mosen", unit="Mosen")
    assert REFERENCE.fullmatch(submit_application(page))
    expect(page.get_by_text("Miniforløb vurderes løbende")).to_be_visible()


CRITERIA = ["Dokumenteret behov", "Andel familier i udsat position", "Motivation",
            "Ledelsesmæssig opbakning"]


def _score(page, reference: str, values: list[int]) -> None:
    """An assigned reviewer scores every criterion, each with a justification."""
    open_menu(page, "Ansøgninger", "Ansøgninger")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Bedøm denne ansøgning").click()
    expect(page.get_by_role("heading", name=f"Bedøm {reference}")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("group")).to_have_count(len(CRITERIA))
    for criterion, value in zip(CRITERIA, values):
        page.get_by_role("group", name=criterion).get_by_role(
            "radio", name=re.compile(rf"^{value} – ")).check()
        page.get_by_label(f"Begrundelse for {criterion}").fill(
            f"Scoret {value} ud fra ansøgningens beskrivelse.")
    page.get_by_role("button", name="Afgiv mine scorer").click()
    expect(page.get_by_text("Dine scorer er afgivet.")).to_be_visible()


def test_two_reviewers_score_and_one_approves_which_opens_a_case(new_page):
    applicant = new_page()
    applicant.goto("/apply")
    fill_mini_application(applicant, applicant="Børnehuset Engen", unit="Engen")
    reference = submit_application(applicant)

    tove = new_page()
    sign_in(tove, "team@demo.example")
    open_menu(tove, "Ansøgninger", "Ansøgninger")
    tove.get_by_role("link", name=reference).click()
    expect(tove.get_by_role("heading", name=reference, level=1)).to_be_visible()
    review = tove.get_by_role("region", name="Bedømmelse")
    for name in ("Tove Team", "Tobias Team"):
        review.get_by_label("Bedømmer").select_option(label=name)
        review.get_by_role("button", name="Tildel").click()
        expect(review.get_by_role("listitem").filter(has_text=name)).to_contain_text(
            "endnu ikke bedømt")
    # The decision waits for two submitted reviews.
    _score(tove, reference, [2, 3, 2, 2])

    tobias = new_page()
    sign_in(tobias, "team2@demo.example")
    _score(tobias, reference, [3, 2, 2, 3])
    scores = tobias.get_by_role("region", name="Scorer")
    expect(scores.get_by_role("row", name=re.compile("^Dokumenteret behov"))).to_contain_text(
        "2,5")
    decision = tobias.get_by_role("region", name="Afgørelse")
    decision.get_by_role("radio", name="Godkend").check()
    decision.get_by_label("Begrundelse").fill("Opfylder kriterierne; der er kapacitet.")
    decision.get_by_role("button", name="Registrér afgørelse").click()

    expect(tobias.get_by_text("Afgørelsen er registreret: Godkendt.")).to_be_visible()
    opened = tobias.get_by_text(re.compile(r"Forløbet FORL-\d{4}-\d{3} er oprettet\."))
    expect(opened).to_be_visible()
    case = re.search(r"FORL-\d{4}-\d{3}", opened.inner_text()).group()
    # The new case is among all cases, with the applicant.
    open_menu(tobias, "Forløb", "Alle forløb")
    tobias.get_by_role("link", name=case).click()
    expect(tobias.get_by_role("heading", level=1)).to_contain_text(case)
    expect(tobias.get_by_role("main")).to_contain_text("Børnehuset Engen")
