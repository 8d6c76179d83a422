"""Every role signs in; anyone switches between Danish and English."""
import pytest

from tests.e2e.conftest import axe_violations, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("email, heading", [
    ("konsulent@demo.example", "Kræver opmærksomhed"),
    ("team@demo.example", "Velkommen, Tove Team"),
    ("evaluator@demo.example", "Velkommen, Eva Evaluator"),
    ("admin@demo.example", "Velkommen, Ada Admin"),
])
def test_each_role_signs_in_to_its_start_page(new_page, email, heading):
    page = new_page()
    sign_in(page, email)
    assert heading in page.content()


def test_switching_to_english_and_back(new_page):
    page = new_page()
    page.goto("/login")
    assert page.get_by_role("heading", name="Log ind").is_visible()
    page.get_by_label("Sprog").select_option("en")
    page.get_by_role("button", name="Skift sprog").click()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    page.get_by_label("Language").select_option("da")
    page.get_by_role("button", name="Change language").click()
    assert page.get_by_role("heading", name="Log ind").is_visible()


def test_the_login_page_has_no_serious_accessibility_violations(new_page):
    page = new_page()
    page.goto("/login")
    assert axe_violations(page) == []
