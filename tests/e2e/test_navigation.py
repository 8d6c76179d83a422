"""The header: the menu opens on a phone, its drop-downs open by mouse and by keyboard, and at
1280 px the fullest headers (Team Dagtilbud, administrator) fit on one row."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, sign_in
from tests.e2e.test_accessibility import ADMIN, TEAM

pytestmark = pytest.mark.e2e

# The drop-downs of each role's header, with the first link in each and where it leads.
MENUS = {
    TEAM: [("Forløb", "Alle forløb", "/engagements/"),
           ("Ansøgninger", "Ansøgninger", "/applications"),
           ("Evaluering", "Effektopsummering", "/evaluation/summary")],
    ADMIN: [("Forløb", "Alle forløb", "/engagements/"),
            ("Evaluering", "Effektopsummering", "/evaluation/summary"),
            ("Administration", "Brugere", "/admin/users")],
}
MENU_CASES = [(email, *menu) for email, menus in MENUS.items() for menu in menus]
MENU_IDS = [f"{email.split('@')[0]}-{menu[0]}" for email, *menu in MENU_CASES]
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(locator):
            return
    raise AssertionError(f"{locator} was not reached with Tab")


def open_menu_by_mouse(page) -> None:
    toggler = page.get_by_role("button", name="Vis menu")
    if toggler.is_visible():
        assert toggler.get_attribute("aria-expanded") == "false"
        toggler.click()
        page.locator("#main-nav.show").wait_for()
        assert toggler.get_attribute("aria-expanded") == "true"


def test_the_toggler_opens_and_closes_the_menu_on_a_phone(new_page):
    page = new_page(viewport=PHONE)
    sign_in(page, TEAM)
    menu = page.locator("#main-nav")
    assert not menu.is_visible()
    open_menu_by_mouse(page)
    assert page.get_by_role("button", name="Ansøgninger").is_visible()
    assert page.get_by_role("button", name="Log ud").is_visible()
    page.get_by_role("button", name="Vis menu").click()
    page.locator("#main-nav:not(.show):not(.collapsing)").wait_for(state="attached")
    assert not menu.is_visible()


def test_the_toggler_opens_the_menu_by_keyboard(new_page):
    page = new_page(viewport=PHONE)
    sign_in(page, TEAM)
    toggler = page.get_by_role("button", name="Vis menu")
    tab_to(page, toggler)
    page.keyboard.press("Enter")
    page.locator("#main-nav.show").wait_for()
    assert toggler.get_attribute("aria-expanded") == "true"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("email, title, first, target", MENU_CASES, ids=MENU_IDS)
def test_a_drop_down_opens_by_mouse(new_page, width, email, title, first, target):
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, email)
    open_menu_by_mouse(page)
    toggle = page.locator("#main-nav").get_by_role("button", name=title, exact=True)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    item = page.locator(".dropdown-menu.show").get_by_role("link", name=first, exact=True)
    item.wait_for()
    item.click()
    page.wait_for_url(f"**{target}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("email, title, first, target", MENU_CASES, ids=MENU_IDS)
def test_a_drop_down_opens_by_keyboard(new_page, width, email, title, first, target):
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, email)
    toggler = page.get_by_role("button", name="Vis menu")
    if toggler.is_visible():
        tab_to(page, toggler)
        page.keyboard.press("Enter")
        page.locator("#main-nav.show").wait_for()
    toggle = page.locator("#main-nav").get_by_role("button", name=title, exact=True)
    tab_to(page, toggle)
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    menu = page.locator(".dropdown-menu.show")
    menu.wait_for()
    # Escape closes it and gives the focus back; the arrow key opens it on its first link.
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert focused(toggle)
    page.keyboard.press("ArrowDown")
    item = menu.get_by_role("link", name=first, exact=True)
    item.wait_for()
    assert focused(item)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}")


HEADER_ROWS = """() => {
  const bar = document.querySelector('header nav > .container');
  const box = bar.getBoundingClientRect();
  const parts = [...bar.querySelectorAll(
      ':scope > .navbar-brand, .navbar-nav > .nav-item, #main-nav > form, #main-nav > div')]
    .filter(el => el.getBoundingClientRect().width > 0)
    .map(el => { const r = el.getBoundingClientRect();
                 return {text: el.innerText.trim().split('\\n')[0], top: r.top, bottom: r.bottom,
                         left: r.left, right: r.right}; });
  return {parts, left: box.left, right: box.right, height: bar.parentElement.offsetHeight,
          scroll: document.documentElement.scrollWidth, width: window.innerWidth,
          barScroll: bar.scrollWidth, barWidth: bar.clientWidth};
}"""


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("email", [TEAM, ADMIN])
def test_the_header_fits_on_one_row_at_1280(new_page, email, language):
    page = new_page(viewport=DESKTOP)
    sign_in(page, email)
    if language == "en":
        page.get_by_label("Sprog").select_option("en")
        page.get_by_role("button", name="Skift sprog").click()
        page.get_by_role("button", name="Sign out").wait_for()
    found = page.evaluate(HEADER_ROWS)
    parts = found["parts"]
    assert len(parts) >= 6, parts
    # One row: every part overlaps the brand's row, and nothing sticks out of the bar.
    brand = parts[0]
    below = [p["text"] for p in parts
             if p["top"] >= brand["bottom"] or p["bottom"] <= brand["top"]]
    assert below == [], f"on a second row: {below}"
    outside = [p["text"] for p in parts
               if p["right"] > found["right"] + 0.5 or p["left"] < found["left"] - 0.5]
    assert outside == [], f"outside the header: {outside}"
    assert found["barScroll"] <= found["barWidth"]
    assert found["scroll"] <= found["width"]
    assert found["height"] < 80, f"the header is {found['height']} px tall"
