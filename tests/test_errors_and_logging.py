import io
import json
import logging

import pytest

from consultancy.security.permissions import public
from consultancy.web.weblog import JsonFormatter


def test_not_found_page_is_in_the_layout_and_in_danish(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Siden findes ikke" in page and "navbar" in page


@pytest.fixture
def crash(make_app, monkeypatch):
    """Request `path` of an app whose view there fails as a bug would, answered as in
    production (the error is not propagated to the test)."""
    def get(path: str):
        app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
        # The traceback is logged, and that is expected here; the logger is shared by every
        # app of the process, so it is switched on again for the tests after this one.
        monkeypatch.setattr(app.logger, "disabled", True)

        @public
        def broken():
            raise RuntimeError("secret internals")
        app.add_url_rule(path, view_func=broken)
        return app.test_client().get(path)
    return get


def test_a_crash_shows_a_friendly_page_without_a_stack_trace(crash):
    response = crash("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Noget gik galt" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_method_not_allowed_is_405_in_the_layout(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "Ikke tilladt" in response.get_data(as_text=True)


def test_each_request_logs_one_structured_line(app, login_client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("consultancy.request")
    logger.addHandler(handler)
    try:
        client = login_client()
        client.get("/")
        client.get("/admin/users")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["method"] == "GET" and first["path"] == "/" and first["status"] == 200
    assert first["user_id"] == client.user.id
    assert isinstance(first["duration_ms"], float)
    assert second["path"] == "/admin/users" and second["status"] == 403
