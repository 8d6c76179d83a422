"""Every error of the evaluator API is JSON of one shape, `{"error", "message"}` (and
`field` where a parameter is at fault), never an HTML page: the refusals of its views and
its token check, and what the application answers for it (404, 405, 429, 500)."""
from __future__ import annotations

import pytest
from flask import abort

from consultancy.extensions import db
from consultancy.models import Role, User
from consultancy.security.permissions import public
from tests.test_api import get, issue_token  # noqa: F401 (a fixture)
from tests.test_errors_and_logging import crash  # noqa: F401 (a fixture)


def assert_shape(response, status: int, error: str, field: str | None = None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == ({"error", "message", "field"} if field else {"error", "message"})
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert body.get("field") == field
    return body


def test_a_bad_parameter_is_400_naming_the_field(app, client, issue_token):
    _user_id, token = issue_token()
    assert_shape(get(client, "/api/v1/effect-data", token, format="xml"), 400,
                 "invalid_format", "format")
    assert_shape(get(client, "/api/v1/activity", token, round="x"), 400, "invalid_filter",
                 "round")


def test_no_token_is_401_and_a_token_without_the_scope_403(app, client, issue_token):
    response = get(client, "/api/v1/codebook")
    assert_shape(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    user_id, token = issue_token(Role.EVALUATOR)
    with app.app_context():
        db.session.get(User, user_id).role = Role.CONSULTANT
        db.session.commit()
    assert_shape(get(client, "/api/v1/codebook", token), 403, "insufficient_scope")


def test_an_unknown_address_is_404_and_a_wrong_method_405(client):
    assert_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_shape(client.get("/api/v1"), 404, "not_found")
    assert_shape(client.post("/api/v1/codebook"), 405, "method_not_allowed")
    # Outside the API the same errors are pages.
    assert client.get("/api-nothing").mimetype == "text/html"


@pytest.mark.parametrize("status, error", [(429, "too_many_requests"), (400, "bad_request")])
def test_an_abort_in_the_api_is_json(app, client, status, error):
    @public
    def refused():
        abort(status)
    app.add_url_rule("/api/v1/refused", view_func=refused)
    assert_shape(client.get("/api/v1/refused"), status, error)


def test_a_crash_in_the_api_is_500_json_without_a_stack_trace(crash):
    response = crash("/api/v1/broken")
    body = assert_shape(response, 500, "server_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in body["message"]
