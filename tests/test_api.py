"""The evaluator API: bearer tokens issued on the command line (shown once, stored hashed,
revocable), the effect data as CSV, Parquet and JSON, the codebook, and the refusals."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from consultancy.evaluation.effect_data import LONG_COLUMNS
from consultancy.extensions import db
from consultancy.models import ApiToken, AuditEntry, Role, User
from tests.test_effect_export import SECRETS, effect_case  # noqa: F401 (a fixture)


@pytest.fixture
def issue_token(app, runner, make_user):
    """`flask tokens create` for a new user of `role`: (user id, the token printed)."""
    def issue(role: Role = Role.EVALUATOR) -> tuple[int, str]:
        user = make_user(role)
        result = runner.invoke(args=["tokens", "create", user.email.upper()])
        assert result.exit_code == 0, result.output
        return user.id, result.output.strip().splitlines()[-1]
    return issue


def get(client, url: str, token: str | None = None, **query):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers, query_string=query)


def test_a_token_is_printed_once_on_the_last_line_and_stored_only_hashed(app, runner,
                                                                          issue_token):
    user_id, token = issue_token()
    assert len(token) >= 40 and " " not in token
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert stored.user_id == user_id and stored.prefix == token[:8]
        assert token not in (stored.token_hash, stored.prefix)
    listing = runner.invoke(args=["tokens", "list"]).output
    assert f"{token[:8]}..." in listing and token not in listing


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.ADMIN])
def test_tokens_are_only_for_evaluators_and_team(app, runner, make_user, role):
    user = make_user(role)
    result = runner.invoke(args=["tokens", "create", user.email])
    assert result.exit_code == 1 and "kun til eksterne evaluatorer" in result.output
    result = runner.invoke(args=["tokens", "create", "nobody@example.org"])
    assert result.exit_code == 1 and "nobody@example.org" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_data_is_refused_without_a_valid_token(app, client, issue_token):
    response = get(client, "/api/v1/effect-data")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json["error"] == "missing_token"
    response = get(client, "/api/v1/effect-data", "not-a-token")
    assert response.status_code == 401 and response.json["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    _user_id, token = issue_token()
    assert get(client, "/api/v1/codebook", token).status_code == 200


def test_a_revoked_token_or_a_deactivated_user_stops_at_once(app, client, runner, issue_token):
    _user_id, token = issue_token()
    assert get(client, "/api/v1/codebook", token).status_code == 200
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0 and "er tilbagekaldt" in result.output
    assert get(client, "/api/v1/codebook", token).status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output.splitlines()[0]

    user_id, token = issue_token()
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert get(client, "/api/v1/codebook", token).status_code == 401


def test_a_token_whose_user_became_a_consultant_is_refused(app, client, issue_token):
    user_id, token = issue_token()
    with app.app_context():
        db.session.get(User, user_id).role = Role.CONSULTANT
        db.session.commit()
    response = get(client, "/api/v1/effect-data", token)
    assert response.status_code == 403 and response.json["error"] == "insufficient_scope"


def test_the_effect_data_reads_as_csv_parquet_and_json_without_secrets(app, client,
                                                                       effect_case,
                                                                       issue_token):
    effect_case()
    _user_id, token = issue_token()
    response = get(client, "/api/v1/effect-data", token)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert not any(secret in text for secret in SECRETS)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == LONG_COLUMNS and len(frame) == 7
    parquet = pd.read_parquet(io.BytesIO(get(client, "/api/v1/effect-data", token,
                                             format="parquet").data))
    assert list(parquet.columns) == LONG_COLUMNS and len(parquet) == 7
    assert parquet["value"].dropna().tolist() == frame["value"].dropna().tolist()
    rows = json.loads(get(client, "/api/v1/effect-data", token, format="json").data)
    assert len(rows) == 7 and list(rows[0]) == LONG_COLUMNS
    assert rows[0]["engagement_id"] == frame["engagement_id"][0]


def test_filters_and_the_activity_table(app, client, effect_case, issue_token):
    effect_case()
    _user_id, token = issue_token(Role.TEAM)
    other = get(client, "/api/v1/effect-data", token, type="one_year", format="json")
    assert other.status_code == 200 and json.loads(other.data) == []
    activity = pd.read_csv(io.BytesIO(get(client, "/api/v1/activity", token).data))
    assert activity["sessions_total"].tolist() == [2]
    assert activity["hours_total"].tolist() == [3.5]


@pytest.mark.parametrize("query, field", [
    ({"format": "xml"}, "format"),
    ({"type": "weekly"}, "type"),
    ({"year": "26"}, "year"),
])
def test_bad_parameters_get_a_json_error_naming_the_field(app, client, issue_token, query,
                                                         field):
    _user_id, token = issue_token()
    response = get(client, "/api/v1/effect-data", token, **query)
    assert response.status_code == 400 and response.json["field"] == field
    assert response.json["message"]


def test_the_codebook_lists_variables_and_items_in_the_users_language(app, client,
                                                                     issue_token):
    user_id, token = issue_token()
    codebook = get(client, "/api/v1/codebook", token).json
    variables = {row["variable"] for row in codebook["variables"] if row["file"] == "data"}
    assert variables == set(LONG_COLUMNS)
    lm1 = next(item for item in codebook["items"] if item["item"] == "LM1")
    assert lm1["wording_da"] and lm1["wording_en"] and lm1["instrument_version"]


def test_every_api_download_is_audited_with_the_tokens_user(app, client, effect_case,
                                                            issue_token):
    effect_case()
    user_id, token = issue_token()
    get(client, "/api/v1/effect-data", token, format="parquet", type="mini")
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export")).one()
        stored = db.session.scalars(sa.select(ApiToken)).one()
        token_id, used = stored.id, stored.last_used_at
    assert entry.actor_id == user_id and used is not None
    assert entry.details == {"export": "effect-data", "format": "parquet", "channel": "api",
                             "token": token_id, "filters": {"type": "mini"}, "rows": 7}


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Token abc", "abc",
])
def test_without_a_bearer_token_the_answer_says_how_to_send_one(client, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/codebook", headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": "missing_token",
                             "message": "Send a token: Authorization: Bearer <token>."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_unknown_token_and_a_token_without_the_scope_are_told_apart(app, client,
                                                                       issue_token):
    response = get(client, "/api/v1/codebook", "not-a-token")
    assert response.status_code == 401 and response.json == {
        "error": "invalid_token", "message": "The token is unknown, revoked or expired."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    user_id, token = issue_token()
    with app.app_context():
        db.session.get(User, user_id).role = Role.ADMIN
        db.session.commit()
    response = get(client, "/api/v1/codebook", token)
    assert response.status_code == 403 and response.json == {
        "error": "insufficient_scope",
        "message": "The token's user may not use this part of the API."}
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_read_in_any_case_and_the_token_without_spaces(app, client,
                                                                     issue_token, scheme):
    user_id, token = issue_token(Role.TEAM)
    response = client.get("/api/v1/codebook",
                          headers={"Authorization": f"{scheme}  {token} "})
    assert response.status_code == 200
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert stored.last_used_at is not None and stored.user_id == user_id
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export")).one()
        assert entry.actor_id == user_id


def test_a_session_cookie_never_opens_the_api(app, login_client):
    for role in (Role.EVALUATOR, Role.TEAM):
        response = login_client(role).get("/api/v1/codebook")
        assert response.status_code == 401 and response.json["error"] == "missing_token"


def test_the_token_not_the_session_cookie_names_who_downloaded(app, login_client,
                                                               issue_token):
    evaluator_id, token = issue_token()
    signed_in = login_client(Role.TEAM)
    response = signed_in.get("/api/v1/codebook", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export")).one()
    assert entry.actor_id == evaluator_id != signed_in.user.id
