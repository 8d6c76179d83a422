"""Every registered route, for every role: no view is left unguarded."""
import pytest
from flask import url_for

from consultancy.models import Role
from consultancy.permissions import PUBLIC, TokenAccess, access_of

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def routes(app):
    """(endpoint, url, methods) for every rule, with sample values for its arguments."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            url = url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
            found.append((rule.endpoint, url, sorted(rule.methods - SKIPPED_METHODS)))
    return found


def test_every_view_declares_who_may_use_it(app):
    with app.test_request_context():
        undeclared = [endpoint for endpoint, _url, _methods in routes(app)
                      if access_of(endpoint) is None]
    assert undeclared == []


def test_anonymous_visitors_reach_only_public_views(app, client):
    for endpoint, url, methods in routes(app):
        with app.test_request_context():
            access = access_of(endpoint)
        for method in methods:
            response = client.open(url, method=method)
            sent_to_login = response.status_code == 302 and response.location.startswith("/login")
            if access == PUBLIC:
                assert not sent_to_login, (endpoint, method)
            elif isinstance(access, TokenAccess):
                assert response.status_code == 401, (endpoint, method)
            else:
                assert sent_to_login, (endpoint, method, response.status_code)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_where_it_has_no_business(app, login_client, role):
    client = login_client(role)
    for endpoint, url, methods in routes(app):
        with app.test_request_context():
            access = access_of(endpoint)
        if access == PUBLIC:
            continue
        if isinstance(access, TokenAccess):
            # a session cookie never opens the API, whatever the role
            assert client.get(url).status_code == 401, endpoint
        elif role in access:
            if "GET" in methods:
                response = client.get(url)
                # a redirect elsewhere than to the login page (a refused empty form) is fine
                assert response.status_code in (200, 302, 404), endpoint
                assert not response.location or not response.location.startswith("/login")
        else:
            for method in methods:
                assert client.open(url, method=method).status_code == 403, (endpoint, method)


def test_admin_pages_are_for_admins_only(login_client):
    for role in (Role.TEAM, Role.CONSULTANT, Role.EVALUATOR):
        response = login_client(role).get("/admin/users")
        assert response.status_code == 403
        assert "Du har ikke adgang til denne side." in response.get_data(as_text=True)
    assert login_client(Role.ADMIN).get("/admin/users").status_code == 200
