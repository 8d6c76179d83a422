from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from consultancy.extensions import db
from consultancy.models import Role, User
from consultancy.web.i18n import format_date, format_datetime, format_number

ROOT = Path(__file__).parent.parent
CATALOGUES = ROOT / "consultancy" / "translations" / "da" / "LC_MESSAGES"


def test_danish_is_the_default_and_english_is_a_click_away(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in page and ">Log ind<" in page
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.location == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Sign in<" in page


def test_a_users_choice_is_remembered_on_the_user(app, login_client):
    client = login_client(Role.TEAM)
    client.post("/language", data={"language": "en"})
    with app.app_context():
        assert db.session.get(User, client.user.id).language == "en"
    another_browser = app.test_client(user=client.user)
    assert "Welcome" in another_browser.get("/").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(client):
    client.post("/language", data={"language": "xx"})
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


def test_the_language_switch_does_not_redirect_elsewhere(client):
    response = client.post("/language", data={"language": "en", "next": "https://evil.example/"})
    assert response.location == "/"


@pytest.mark.parametrize("language, value, shown", [
    ("da", date(2026, 3, 5), "05-03-2026"),
    ("en", date(2026, 3, 5), "5 Mar 2026"),
    # Winter and summer time, and the night the clocks go forward (29 March 2026).
    ("da", datetime(2026, 1, 15, 11, 0, tzinfo=timezone.utc), "15-01-2026 12:00"),
    ("da", datetime(2026, 7, 15, 11, 0, tzinfo=timezone.utc), "15-07-2026 13:00"),
    ("da", datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), "29-03-2026 01:59"),
    ("da", datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc), "29-03-2026 03:00"),
    ("da", datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc), "01-01-2027 00:30"),
])
def test_dates_are_shown_in_copenhagen_in_the_users_format(app, language, value, shown):
    with app.test_request_context():
        from flask import session
        session["language"] = language
        formatted = format_datetime(value) if isinstance(value, datetime) else format_date(value)
    assert formatted == shown


@pytest.mark.parametrize("language, shown", [("da", "1.234,5"), ("en", "1,234.5")])
def test_decimals_use_the_users_separator(app, language, shown):
    with app.test_request_context():
        from flask import session
        session["language"] = language
        assert format_number(1234.5) == shown


def _catalogue_ids(path):
    with open(path, "rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0]: message
                for message in read_po(handle) if message.id}


def test_every_message_in_the_code_has_a_danish_translation():
    methods = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                "ngettext": (1, 2)}
    used = set()
    for folder in (ROOT / "consultancy", ROOT / "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                folder, methods, keywords=keywords):
            used.add(message if isinstance(message, str) else message[0])
    catalogue = _catalogue_ids(CATALOGUES / "messages.po")
    untranslated = sorted(text for text in used
                          if text not in catalogue or not catalogue[text].string
                          or catalogue[text].fuzzy)
    assert untranslated == []


@pytest.mark.parametrize("domain", ["messages", "wtforms"])
def test_compiled_catalogues_match_their_sources(domain):
    def messages(catalogue):
        as_key = lambda value: value if isinstance(value, str) else tuple(value)  # noqa: E731
        return {as_key(m.id): as_key(m.string) for m in catalogue if m.id}
    with open(CATALOGUES / f"{domain}.po", "rb") as handle:
        source = messages(read_po(handle))
    with open(CATALOGUES / f"{domain}.mo", "rb") as handle:
        compiled = messages(read_mo(handle))
    assert compiled == source, "run `make translations` and commit the .mo files"


def test_english_pages_contain_no_danish_leftovers(login_client):
    client = login_client(Role.ADMIN, language="en")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Users" in page and "Brugere" not in page
