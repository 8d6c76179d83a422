"""Flows of a practice consultant on a case: the session log, the hour budget and flags."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect

from tests.e2e.conftest import sign_in
from tests.e2e.flows import danish, flask, new_mini_case, today

pytestmark = pytest.mark.e2e

OPEN_FLAGS = re.compile(r"^\d+ (åbent|åbne) flag$")  # the case's banner of open flags


def _fill_session(page, day, hours: str, session_format: str, sub_format: str = "",
                  summary: str = "") -> None:
    page.get_by_label("Dato").fill(day.isoformat())
    page.get_by_label("Timer", exact=True).fill(hours)
    page.get_by_label("Form", exact=True).select_option(label=session_format)
    if sub_format:
        page.get_by_label("Underform").select_option(label=sub_format)
    if summary:
        page.get_by_label("Referat").fill(summary)
    page.get_by_role("button", name="Gem sessionen").click()


def test_a_consultant_logs_sessions_until_the_budget_warns_and_a_quiet_case_is_flagged(
        new_page, live_server):
    env = live_server[1]
    start = today() - timedelta(days=21)
    team = new_page()
    sign_in(team, "team@demo.example")
    reference = new_mini_case(team, "Børnehuset Kæret", "Karen Konsulent", start)

    page = new_page()
    sign_in(page, "konsulent@demo.example")
    mine = page.get_by_role("region", name="Mine aktive forløb")
    mine.get_by_role("link", name=f"{reference} · Børnehuset Kæret").click()
    expect(page.get_by_role("heading", name=reference, level=1)).to_be_visible()
    hours = page.get_by_role("region", name="Timer")
    expect(hours).to_contain_text("0 af 10 timer brugt, 10 tilbage.")

    sessions = [
        (start, "3", "Opstartsmøde", "", "Opstart med leder og personale."),
        (start + timedelta(days=10), "3", "Praksismøde", "Skulder ved skulder",
         "Legen på legepladsen."),
        (today(), "2", "Ledelsessparring", "Formel, individuel", "Organiseringen af legen."),
    ]
    for day, length, session_format, sub_format, summary in sessions:
        expect(page.get_by_role("main")).not_to_contain_text("Timebudgettet er næsten brugt")
        page.get_by_role("link", name="Registrér en session").click()
        expect(page.get_by_role("heading", name="Registrér en session")).to_be_visible()
        _fill_session(page, day, length, session_format, sub_format, summary)
        expect(page.get_by_role("status")).to_contain_text(
            f"Sessionen den {danish(day)} er registreret.")
    # 8 of 10 hours: the budget warns, on the bar and as a flag on the case.
    expect(hours.get_by_role("meter")).to_have_accessible_name(re.compile("80 %"))
    expect(hours).to_contain_text("8 af 10 timer brugt, 2 tilbage.")
    flags = page.get_by_role("region", name=OPEN_FLAGS)
    expect(flags).to_contain_text("Timebudgettet er næsten brugt")
    expect(flags).to_contain_text("8 af 10 timer brugt")

    # A session planned in a fortnight, which is then never held.
    planned_on = today() + timedelta(days=14)
    page.get_by_role("link", name="Planlæg en session").click()
    expect(page.get_by_role("heading", name="Planlæg en session")).to_be_visible()
    _fill_session(page, planned_on, "1,5", "Praksismøde", "Fagligt oplæg")
    expect(page.get_by_role("status")).to_contain_text(
        f"Sessionen den {danish(planned_on)} er planlagt.")
    timeline = page.get_by_role("region", name="Tidslinje")
    expect(timeline.get_by_role("listitem").filter(has_text=danish(planned_on)).first
           ).to_contain_text("Planlagt")

    # The morning pass 45 days on: nothing held for more than 30 days on a mini course.
    later = today() + timedelta(days=45)
    try:
        counts = flask(env, "flags", "run", "--today", later.isoformat())
        assert int(re.search(r"raised (\d+)", counts).group(1)) >= 1
        page.reload()
        flags = page.get_by_role("region", name=OPEN_FLAGS)
        expect(flags).to_contain_text("Ingen aktivitet for nylig")
        expect(flags).to_contain_text(f"Ingen session siden {danish(today())} (45 dage)")
        expect(flags.get_by_role("link", name="Registrér eller planlæg en session")
               ).to_be_visible()
    finally:
        # Back to today for the cases the other tests look at.
        flask(env, "flags", "run")


FOCUS_SHOWN = """() => {
    const style = getComputedStyle(document.activeElement);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    return outline || shadow;
}"""


def _expect_focus_shown(page) -> None:
    """The focused element shows an outline or a ring. Polled on a timer, not on animation
    frames, which a busy headless browser may hold back."""
    try:
        page.wait_for_function(FOCUS_SHOWN, timeout=5000, polling=50)
    except PlaywrightTimeoutError:
        element = page.evaluate("document.activeElement.outerHTML.slice(0, 160)")
        raise AssertionError(f"no visible focus on {element}") from None


def _tab_to(page, target, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus; the focus is visible on every
    element passed on the way."""
    for _ in range(limit):
        page.keyboard.press(key)
        _expect_focus_shown(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus")


def test_a_consultant_logs_a_session_with_the_keyboard_alone(new_page):
    team = new_page()
    sign_in(team, "team@demo.example")
    reference = new_mini_case(team, "Den private børnehave Tusindfryd", "Kasper Konsulent",
                              today() - timedelta(days=7))
    case_url = team.url

    page = new_page()
    # Bootstrap then draws focus rings at once rather than fading them in.
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, "konsulent2@demo.example")
    page.goto(case_url)
    expect(page.get_by_role("heading", name=reference, level=1)).to_be_visible()
    # From here on, only the keyboard. The skip link first, then into the page.
    _tab_to(page, page.get_by_role("link", name="Spring til indhold"))
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("link", name="Registrér en session"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Registrér en session")).to_be_visible()

    expect(page.get_by_label("Dato")).to_have_value(today().isoformat())  # today by default
    hours = page.get_by_label("Timer", exact=True)
    _tab_to(page, hours)
    page.keyboard.type("1,5")
    _tab_to(page, page.get_by_label("Form", exact=True))
    page.keyboard.press("ArrowDown")  # Praksismøde → Ledelsessparring
    expect(page.get_by_label("Form", exact=True)).to_have_value("leadership_sparring")
    sub_format = page.get_by_label("Underform")
    _tab_to(page, sub_format)
    for _ in range(4):  # past the practice meeting's three to "Formel, individuel"
        page.keyboard.press("ArrowDown")
    expect(sub_format).to_have_value("formal_individual")
    # Back with Shift+Tab to check the format, and forward again.
    _tab_to(page, page.get_by_label("Form", exact=True), key="Shift+Tab")
    _tab_to(page, sub_format)

    consultant = page.get_by_role("checkbox", name="Kasper Konsulent")
    expect(consultant).to_be_checked()  # the one who logs is present by default
    leaders = page.get_by_role("spinbutton", name="Ledere")
    _tab_to(page, leaders)
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    staff = page.get_by_role("spinbutton", name="Pædagogisk personale")
    _tab_to(page, staff)
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    expect(leaders).to_have_value("1")
    expect(staff).to_have_value("4")
    theme = page.get_by_role("checkbox", name="Faglig ledelse")
    _tab_to(page, theme)
    page.keyboard.press("Space")
    expect(theme).to_be_checked()
    _tab_to(page, page.get_by_label("Referat"))
    page.keyboard.type("Sparring med lederen om at organisere legen i mindre grupper.")
    _tab_to(page, page.get_by_label("Aftalte næste skridt"))
    page.keyboard.type("Lederen afprøver grupperne i to uger.")
    _tab_to(page, page.get_by_role("button", name="Gem sessionen"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(
        f"Sessionen den {danish(today())} er registreret.")
    expect(page.get_by_role("region", name="Timer")).to_contain_text(
        "1,5 af 10 timer brugt, 8,5 tilbage.")
    entry = page.get_by_role("region", name="Tidslinje").get_by_role("listitem").filter(
        has_text="Sparring med lederen om at organisere legen")
    expect(entry).to_contain_text("Ledelsessparring")
