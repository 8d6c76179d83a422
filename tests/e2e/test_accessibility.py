"""axe-core on every main page, as the role that uses it, at desktop and at phone width.

Each page is also saved as a screenshot (tests/artifacts/desktop-<name>.png and
phone-<name>.png) for a person to look at.
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.e2e

CONSULTANT = "konsulent@demo.example"
TEAM = "team@demo.example"
EVALUATOR = "evaluator@demo.example"
ADMIN = "admin@demo.example"


def first_href(page, start: str, selector: str, pattern: str) -> str:
    """The first link under `selector` on `start` whose path matches `pattern`."""
    page.goto(start)
    for href in page.locator(selector).evaluate_all("links => links.map(a => a.pathname)"):
        if re.fullmatch(pattern, href):
            return href
    raise AssertionError(f"no link like {pattern} on {start}")


def my_case(page) -> str:
    """The consultant's first active case, from the start page."""
    return first_href(page, "/", "#main article a", r"/engagements/\d+")


def case_number(page) -> str:
    return my_case(page).rsplit("/", 1)[1]


# name, who signs in (None: nobody), the path or a function of the page giving it
PAGES = [
    ("login", None, "/login"),
    ("apply", None, "/apply"),
    ("accessibility", None, "/accessibility"),
    ("start-consultant", CONSULTANT, "/"),
    ("start-team", TEAM, "/"),
    ("start-evaluator", EVALUATOR, "/"),
    ("start-admin", ADMIN, "/"),
    ("case", CONSULTANT, my_case),
    ("session-form", CONSULTANT, lambda page: my_case(page) + "/sessions/new"),
    ("self-assessments", CONSULTANT, lambda page: f"/evaluation/cases/{case_number(page)}"),
    ("self-assessment-form", CONSULTANT,
     lambda page: f"/evaluation/cases/{case_number(page)}/responses/new"),
    ("flags", CONSULTANT, "/flags/"),
    ("flags-team", TEAM, "/flags/"),
    ("round-ranking", TEAM,
     lambda page: first_href(page, "/rounds", "#main table a", r"/rounds/\d+")),
    ("evaluation-summary", EVALUATOR, "/evaluation/summary"),
    ("evaluation-export", EVALUATOR, "/evaluation/export"),
    ("codebook", EVALUATOR, "/evaluation/codebook"),
    ("admin-users", ADMIN, "/admin/users"),
    ("admin-audit", ADMIN, "/admin/audit"),
    ("admin-instruments", ADMIN, "/admin/instruments"),
]

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name, email, path", PAGES, ids=[name for name, *_ in PAGES])
def test_no_serious_accessibility_violations(new_page, name, email, path, width):
    page = new_page(viewport=WIDTHS[width])
    if email:
        sign_in(page, email)
    target = path(page) if callable(path) else path
    response = page.goto(target)
    assert response.status == 200, f"{target} answered {response.status}"
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{width}-{name}")
    violations = axe_violations(page)
    assert violations == [], f"{name} ({target}) at {width} width: {violations}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("email, menu", [(TEAM, "Ansøgninger"), (ADMIN, "Administration")],
                         ids=["team", "admin"])
def test_the_open_menus_have_no_serious_violations(new_page, email, menu, width):
    """The header as it is used: folded out on a phone, with one drop-down open."""
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, email)
    toggler = page.get_by_role("button", name="Vis menu")
    if toggler.is_visible():
        toggler.click()
        page.locator("#main-nav.show").wait_for()
    page.locator("#main-nav").get_by_role("button", name=menu, exact=True).click()
    page.locator(".dropdown-menu.show").wait_for()
    screenshot(page, f"{width}-menu-{email.split('@')[0]}")
    violations = axe_violations(page)
    assert violations == [], f"the open {menu} menu at {width} width: {violations}"
