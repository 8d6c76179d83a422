"""At phone width (375 × 812) the consultant's pages fit the screen and are easy to tap.

No horizontal scrolling, and every visible control at least 44 px tall (WCAG 2.5.5's target
size): links, buttons, fields, and checkboxes and radios by their clickable box (the label
that wraps them, or the taller of the box and its label).
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, sign_in
from tests.e2e.test_accessibility import CONSULTANT, my_case

pytestmark = pytest.mark.e2e

MIN_TARGET = 44

# Every visible control, described, with the height of what a finger can hit.
SMALL_TARGETS = """(minimum) => {
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    const classes = [...el.classList].slice(0, 3).map(c => '.' + c).join('');
    return `<${el.tagName.toLowerCase()}${el.type ? ' type=' + el.type : ''}${classes}> "${text}"`;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    // Not rendered, or clipped to a pixel like a skip link until it has focus.
    return box.width > 1 && box.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const offenders = [];
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary');
  for (const el of controls) {
    let height = el.getBoundingClientRect().height;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const labels = [...(el.labels || [])];
      const wrapping = el.closest('label');
      if (wrapping) height = wrapping.getBoundingClientRect().height;
      else for (const label of labels)
        height = Math.max(height, label.getBoundingClientRect().height);
      if (!shown(wrapping || el)) continue;
    } else if (!shown(el)) continue;
    if (height + 0.5 < minimum) offenders.push(`${describe(el)}: ${height.toFixed(1)} px`);
  }
  return offenders;
}"""

# Elements that stick out to the right of the screen (not counting what scrolls inside a
# box of its own, such as a wide table in .table-responsive), and the page's width.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [];
  // Clipped by a scrolling box: one between the element and its containing block does not
  // clip an absolutely placed element (a visually hidden text in a table, say).
  const scrollsInside = (el) => {
    const position = getComputedStyle(el).position;
    if (position === 'fixed') return false;
    let placed = position !== 'absolute';
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (!placed && style.position !== 'static') placed = true;
      if (placed && ['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5 && !scrollsInside(el)) {
      wide.push(`<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
                + `${[...el.classList].slice(0, 3).map(c => '.' + c).join('')}>`
                + ` right edge ${box.right.toFixed(0)} px`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 15)};
}"""

PAGES = {
    "start page": lambda page: "/",
    "case page": my_case,
    "session form": lambda page: my_case(page) + "/sessions/new",
    "flags list": lambda page: "/flags/",
    "self-assessments": lambda page: my_case(page).replace("/engagements/", "/evaluation/cases/"),
    "self-assessment form": lambda page: (
        my_case(page).replace("/engagements/", "/evaluation/cases/") + "/responses/new"),
}


def open_as_consultant(new_page, which: str):
    page = new_page(viewport=PHONE)
    sign_in(page, CONSULTANT)
    page.goto(PAGES[which](page))
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("which", PAGES)
def test_no_horizontal_scrolling(new_page, which):
    page = open_as_consultant(new_page, which)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], (
        f"the {which} scrolls sideways ({found['scroll']} px wide on a {found['width']} px "
        f"screen): " + "; ".join(found["wide"]))


@pytest.mark.parametrize("which", PAGES)
def test_every_control_is_at_least_44_px_tall(new_page, which):
    page = open_as_consultant(new_page, which)
    # Fold out what is folded (the session form's theme groups, the case's contact form).
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    offenders = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert offenders == [], f"on the {which}, controls under {MIN_TARGET} px:\n" + "\n".join(
        offenders)


def test_the_open_menu_is_easy_to_tap(new_page):
    page = open_as_consultant(new_page, "start page")
    page.get_by_role("button", name="Vis menu").click()
    page.locator("#main-nav.show").wait_for()
    offenders = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert offenders == [], "in the open menu, controls under 44 px:\n" + "\n".join(offenders)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], "; ".join(found["wide"])


def test_the_flag_count_shows_without_opening_the_menu(new_page):
    page = open_as_consultant(new_page, "start page")
    bell = page.locator("a.flag-bell")
    assert bell.is_visible() and page.locator("#main-nav").is_hidden()
    assert bell.get_attribute("aria-label").endswith("kræver opmærksomhed")
    bell.click()
    page.wait_for_url("**/flags/")
