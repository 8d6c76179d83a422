"""The accessibility statement (tilgængelighedserklæring): public, linked from every page's
footer, in Danish and English, with the contact address from the settings."""
import re

import pytest

from consultancy.models import Role

STATEMENT = "/accessibility"


def footer(page: str) -> str:
    return re.search(r"<footer.*?</footer>", page, re.S).group(0)


@pytest.mark.parametrize("path", ["/login", "/apply", "/privacy", STATEMENT])
def test_public_pages_link_the_statement_in_the_footer(client, path):
    page = client.get(path).get_data(as_text=True)
    assert f'href="{STATEMENT}"' in footer(page)
    assert "Tilgængelighedserklæring" in footer(page)


@pytest.mark.parametrize("role, path", [
    (Role.CONSULTANT, "/"), (Role.CONSULTANT, "/flags/"), (Role.TEAM, "/rounds"),
    (Role.EVALUATOR, "/evaluation/summary"), (Role.ADMIN, "/admin/users"),
])
def test_signed_in_pages_link_the_statement_in_the_footer(login_client, role, path):
    response = login_client(role).get(path)
    assert response.status_code == 200
    assert f'href="{STATEMENT}"' in footer(response.get_data(as_text=True))


def test_the_statement_is_public_and_in_danish_by_default(client):
    response = client.get(STATEMENT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="da">' in page
    assert "<h1" in page and "Tilgængelighedserklæring</h1>" in page
    assert "WCAG) 2.1 på niveau AA" in page and "EN 301 549" in page
    assert "Kendte begrænsninger" in page
    assert ("Du kan klage til Digitaliseringsstyrelsen, som fører tilsyn med "
            "webtilgængelighed.") in page
    assert '<a href="mailto:sbst@sbst.dk">sbst@sbst.dk</a>' in page
    assert "Erklæringen er udarbejdet den 23-11-2026." in page


def test_the_statement_in_english(client):
    client.post("/language", data={"language": "en", "next": STATEMENT})
    page = client.get(STATEMENT).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Accessibility statement</h1>" in page
    assert "WCAG) 2.1 at level AA" in page and "EN 301 549" in page
    assert "Known limitations" in page
    assert "You can complain to the Danish Agency for Digital Government" in page
    assert "The statement was prepared on 23 Nov 2026." in page
    assert 'href="/accessibility">Accessibility statement</a>' in footer(page)


def test_the_contact_and_date_are_settings(make_app):
    app = make_app(ACCESSIBILITY_CONTACT="webtilgaengelighed@example.dk",
                   ACCESSIBILITY_STATEMENT_DATE="2027-02-01")
    page = app.test_client().get(STATEMENT).get_data(as_text=True)
    address = "webtilgaengelighed@example.dk"
    assert f'<a href="mailto:{address}">{address}</a>' in page
    assert "Erklæringen er udarbejdet den 01-02-2027." in page
    assert "sbst@sbst.dk" not in page
