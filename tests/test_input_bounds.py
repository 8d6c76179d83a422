"""Hostile input gets a clear answer, never an error page: integers past what the database
holds in paths and query strings, NUL characters anywhere, fields left out of a form,
multipart parts without a name, bodies past the size limit.

Routes and parameters are found by walking the URL map and the pages (tests/formwalk.py),
not listed by hand."""
from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

import consultancy
from consultancy.extensions import db
from consultancy.models import EngagementContact, EngagementStatus, EngagementStatusChange, Role
from consultancy.services.clock import COPENHAGEN
from tests import formwalk
from tests.test_api import get as api_get, issue_token  # noqa: F401 (a fixture)

HUGE = "99999999999999999999"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=COPENHAGEN)


def _path_with(rule, number: str) -> str:
    """The rule's path with `number` for every integer and a plausible value elsewhere."""
    def value(match):
        converter, _name = match.group(1), match.group(2)
        return number if converter and converter.startswith("int") else "csv"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


@pytest.mark.parametrize("number, expected", [
    (HUGE, {404}), (str(2**31), {404}),
    ("2147483647", {403, 404}),  # the largest id there can be: no such record (or no access)
])
def test_integers_past_the_database_in_a_path_are_pages_not_found(app, admin_client,
                                                                  number, expected):
    rules = formwalk.int_routes(app)
    assert len(rules) > 40  # the walk found the routes with ids
    answers = {}
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _path_with(rule, number)
            answers[method, url] = admin_client.open(url, method=method).status_code
    assert {key: status for key, status in answers.items() if status not in expected} == {}


def test_nul_in_a_path_is_a_page_not_found(app, admin_client):
    for url in ("/admin/flag-rules/baseline%00missing", "/engagements/sessions/export.c%00sv",
                "/rounds/1/export.%00"):
        assert admin_client.get(url).status_code == 404, url


@pytest.fixture
def walked(make_app):
    """The app with a small world (tests/formwalk.py) and every page each role reaches."""
    app = make_app()
    with time_machine.travel(NOW, tick=False):
        users = formwalk.populate(app, NOW.date())
        pages = []
        for role, user in users.items():
            client = formwalk.client_for(app, user)
            for page in formwalk.crawl(app, client, formwalk.START_PAGES.get(role, ("/",))):
                pages.append((client, page))
        yield app, pages


def int_arg_names() -> set[str]:
    """Every query parameter a view reads as an integer (through consultancy.web.inputs)."""
    source = "".join(path.read_text() for path in Path(consultancy.__file__).parent.rglob(
        "*.py"))
    return set(re.findall(r"""int_arg\(["'](\w+)["']\)""", source))


def query_names(page: formwalk.Page) -> set[str]:
    """The query parameters a page takes: its filter forms' fields, the ones in its links
    back to itself, and ?page=."""
    names = {"page"}
    for form in page.forms:
        if form.method == "get" and form.endpoint == page.endpoint:
            names |= set(form.fields)
    for link in page.links:
        path, _, query = link.partition("?")
        if query and path.split("#")[0] in ("", page.url.split("?")[0]):
            names |= {pair.partition("=")[0] for pair in query.split("&")}
    return names


def test_hostile_query_parameters_are_ignored_or_refused_on_every_page(walked):
    app, pages = walked
    read_as_integers = int_arg_names()
    assert {"type", "municipality", "consultant", "round", "version", "year"} <= \
        read_as_integers
    checked, answers = set(), {}
    with time_machine.travel(NOW, tick=False):
        for client, page in pages:
            if page.endpoint in checked:
                continue
            checked.add(page.endpoint)
            base = page.url.split("?")[0]
            offered = query_names(page)
            for name in sorted(offered | read_as_integers):
                values = (HUGE, str(2**31), "-1", "²", "1\x00") if name in offered \
                    else (HUGE,)
                for value in values:
                    response = client.get(base, query_string={name: value})
                    answers[page.endpoint, name, value] = response.status_code
    assert {"engagements.overview", "applications.index", "flags.index", "admin.audit_log",
            "evaluation.summary", "evaluation.response_new"} <= checked
    assert ("engagements.overview", "municipality", HUGE) in answers
    assert ("evaluation.response_new", "version", HUGE) in answers
    # Never an error page; a NUL is refused. Otherwise each page answers as it answers
    # any filter it cannot use: the lists ignore it, the export says why (a redirect with
    # a message), an unknown instrument is not found.
    wrong = {key: status for key, status in answers.items()
             if status >= 500 or ("\x00" in key[2]) != (status == 400)}
    assert wrong == {}
    for endpoint, name in [("engagements.overview", "municipality"),
                           ("engagements.overview", "type"), ("applications.index", "round"),
                           ("flags.index", "consultant"), ("evaluation.summary", "year")]:
        assert answers[endpoint, name, HUGE] == 200, (endpoint, name)
    assert answers["engagements.overview", "page", HUGE] == 404


def test_a_query_filter_of_the_api_that_is_not_a_number_is_refused(client, issue_token):
    _user, token = issue_token()
    for value in ("²", HUGE, "1\x00"):
        response = api_get(client, "/api/v1/effect-data", token, round=value)
        assert response.status_code == 400, value


# --- fields left out ---------------------------------------------------------------------

def test_a_contact_without_title_or_phone_is_added(app, make_case, team_client):
    engagement_id = make_case(status=EngagementStatus.ACTIVE)
    response = team_client.post(f"/engagements/{engagement_id}/contacts",
                                data={"name": "Mette Madsen", "unit": ""})
    assert response.status_code == 302
    assert "Kontaktpersonen er tilføjet." in team_client.get(
        response.location).get_data(as_text=True)
    with app.app_context():
        contact = db.session.scalars(sa.select(EngagementContact)).one()
        assert (contact.name, contact.title, contact.phone) == ("Mette Madsen", "", "")


def test_a_status_change_without_a_reason_is_made(app, make_case, team_client):
    engagement_id = make_case()
    response = team_client.post(f"/engagements/{engagement_id}/status",
                                data={"status": "active"})
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalars(sa.select(EngagementStatusChange)).all()[-1]
        assert (change.to_status, change.reason) == (EngagementStatus.ACTIVE, None)
    response = team_client.post(f"/engagements/{engagement_id}/status",
                                data={"status": "cancelled"})
    assert response.status_code == 400
    assert "Angiv begrundelsen for at annullere forløbet." in formwalk_errors(
        response)["reason"]


def formwalk_errors(response) -> dict[str, str]:
    """The messages shown under each field of a page."""
    return dict(re.findall(r'id="(?:new-)?([\w-]+)-error"[^>]*>\s*<span[^>]*>([^<]*)<',
                           response.get_data(as_text=True)))


def test_a_refused_form_on_the_case_page_shows_the_page_again_with_what_was_typed(
        app, make_case, team_client):
    engagement_id = make_case(status=EngagementStatus.ACTIVE)
    response = team_client.post(f"/engagements/{engagement_id}/contacts", data={
        "name": "Lone Leder", "title": "Dagtilbudsleder", "email": "lone@", "phone": "1234",
        "unit": ""})
    assert response.status_code == 400
    page = formwalk.parse_page(app, f"/engagements/{engagement_id}",
                               response.get_data(as_text=True))
    [form] = [f for f in page.forms if f.endpoint == "engagements.contact_add"]
    assert {name: form.fields[name].values for name in ("name", "title", "email", "phone")
            } == {"name": ["Lone Leder"], "title": ["Dagtilbudsleder"], "email": ["lone@"],
                  "phone": ["1234"]}
    assert page.invalid == {"email"}
    assert "<details open>" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(EngagementContact)).all() == []


# --- the request itself ------------------------------------------------------------------

def test_a_redirect_target_with_a_control_character_is_ignored(team_client):
    for target in ("/flags/\r\nX-Evil: 1", "/flags/\n", "/flags/\x00"):
        response = team_client.post("/language", data={"language": "en", "next": target})
        assert response.status_code == 302
        assert response.location == "/" and "X-Evil" not in response.headers


def test_a_multipart_part_without_a_name_is_a_bad_request(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client(user=make_user(Role.CONSULTANT))
    for disposition in (b"form-data", b'form-data; filename="svar.csv"', b'form-data; name=""'):
        body = b"--B\r\nContent-Disposition: " + disposition + b"\r\n\r\nhej\r\n--B--\r\n"
        response = client.post("/account/password", data=body,
                               content_type="multipart/form-data; boundary=B")
        assert response.status_code == 400, disposition
        assert "Formularen indeholdt en værdi, som ikke er tilladt." in response.get_data(
            as_text=True)


def test_a_body_past_the_limit_is_refused_in_danish_before_it_is_read(make_app, make_user):
    app = make_app(MAX_CONTENT_LENGTH=1024 * 1024)
    client = app.test_client(user=make_user(Role.CONSULTANT))
    size = 50 * 1024 * 1024
    body = io.BytesIO(b"--B\r\n" + b"x" * size)
    response = client.post("/evaluation/cases/1/import", input_stream=body,
                           content_length=size,
                           content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "For stor" in page
    assert "højst 1 MB i alt" in page
    assert body.tell() < 1024 * 1024  # refused on its Content-Length, not read
