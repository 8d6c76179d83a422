"""Every registered route, for every role: no view is left unguarded; a view that declares
nothing is refused; a consultant taken off a case is off it, in the rule and in the query."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import url_for

from consultancy.engagements.queries import cases_of
from consultancy.extensions import db
from consultancy.models import EngagementMember, MemberRole, Role
from consultancy.models.engagements import is_current_member
from consultancy.security.permissions import (
    PUBLIC,
    TokenAccess,
    access_of,
    can_manage_case,
    can_read_case,
    can_write_case,
    is_on_case,
    pseudonymised,
    sees_case_notes,
)
from tests.conftest import TODAY

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


# --- the hook fails closed ----------------------------------------------------------------

@pytest.fixture
def app_with_an_undeclared_view(make_app):
    """An app with a view that declares no access rule, as a forgotten decorator leaves it."""
    app = make_app()
    opened = []

    @app.route("/forgotten")
    def forgotten():
        opened.append(True)
        return "the view ran"
    app.opened = opened
    return app


@pytest.mark.parametrize("role", list(Role))
def test_a_view_that_declares_no_access_is_refused_to_every_role(app_with_an_undeclared_view,
                                                                 make_user, role, caplog):
    app = app_with_an_undeclared_view
    client = app.test_client(user=make_user(role))
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "the view ran" not in response.get_data(as_text=True) and app.opened == []
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "view forgotten declares no access rule"]


def test_a_view_that_declares_no_access_sends_visitors_to_sign_in(app_with_an_undeclared_view):
    app = app_with_an_undeclared_view
    response = app.test_client().get("/forgotten")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert app.opened == []


def test_access_of_tells_public_static_undeclared_and_unknown_endpoints(app):
    with app.test_request_context():
        assert access_of(None) == PUBLIC  # no route: the 404 answers
        assert access_of("static") == PUBLIC and access_of("bootstrap.static") == PUBLIC
        assert access_of("no.such.endpoint") is None
        assert access_of("main.healthz") == PUBLIC
        assert access_of("main.index") == frozenset(Role)
        assert access_of("api.effect_data") == TokenAccess({Role.EVALUATOR, Role.TEAM})
        assert isinstance(access_of("api.effect_data"), TokenAccess)
        assert not isinstance(access_of("evaluation.summary"), TokenAccess)


def test_the_signed_in_user_is_the_actor_of_what_a_guarded_view_changes(app, make_case,
                                                                        make_user):
    from consultancy.models import AuditEntry
    team = make_user(Role.TEAM)
    case_id = make_case()
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    response = app.test_client(user=team).post(f"/engagements/{case_id}/status", data={
        "status": "active", "reason": ""})
    assert response.status_code == 302
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.id > before, AuditEntry.table_name == "engagements")).all()
        assert entries and {entry.actor_id for entry in entries} == {team.id}


def test_a_signed_in_user_is_the_actor_of_what_a_view_changes(app, make_user):
    from consultancy.models import AuditEntry
    user = make_user(Role.TEAM)
    client = app.test_client(user=user)
    client.post("/language", data={"language": "en", "next": "/"})
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name == "users", AuditEntry.action == "update")).one()
        assert entry.actor_id == user.id and entry.changes == {"language": ["da", "en"]}


# --- a former member gets no access back ---------------------------------------------------

# (start, end) in days from today for each membership of one consultant, and whether it
# runs today: the rule and the query must agree on every one.
MEMBERSHIPS = [
    ((-30, None), True), ((0, None), True), ((1, None), False), ((-30, 1), True),
    ((-30, 0), False), ((-30, -1), False), ((2, 9), False), ((-400, -300), False),
]


def test_the_query_and_the_rule_agree_on_who_is_on_a_case(app, make_case, make_user):
    consultant = make_user(Role.CONSULTANT)
    cases = [make_case() for _membership in MEMBERSHIPS]
    with app.app_context():
        for case_id, ((start, end), _runs) in zip(cases, MEMBERSHIPS):
            db.session.add(EngagementMember(
                engagement_id=case_id, user_id=consultant.id, role=MemberRole.LEAD,
                started_on=TODAY + timedelta(days=start),
                ended_on=None if end is None else TODAY + timedelta(days=end)))
        db.session.commit()
        members = db.session.scalars(sa.select(EngagementMember).order_by(
            EngagementMember.engagement_id)).all()
        by_rule = {m.engagement_id for m in members
                   if is_current_member(m.started_on, m.ended_on, TODAY)}
        by_query = set(db.session.scalars(cases_of(consultant.id, TODAY)))
    expected = {case_id for case_id, (_days, runs) in zip(cases, MEMBERSHIPS) if runs}
    assert by_rule == by_query == expected


@pytest.mark.parametrize("ended, allowed", [(None, True), (1, True), (0, False), (-1, False),
                                            (-90, False)])
def test_a_former_member_cannot_open_or_change_the_case(app, make_case, make_user, ended,
                                                        allowed):
    consultant = make_user(Role.CONSULTANT)
    case_id = make_case(consultants=[consultant], joined_on=-120, start=-120)
    if ended is not None:
        with app.app_context():
            member = db.session.scalars(sa.select(EngagementMember)).one()
            member.ended_on = TODAY + timedelta(days=ended)
            db.session.commit()
    client = app.test_client(user=consultant)
    expected = 200 if allowed else 403
    assert client.get(f"/engagements/{case_id}").status_code == expected
    assert client.get(f"/engagements/{case_id}/sessions/new").status_code == expected
    start_page = client.get("/").get_data(as_text=True)
    assert (f"/engagements/{case_id}\"" in start_page) is allowed


# --- who may read, change and manage a case -------------------------------------------------

def _member(user_id, started=-30, ended=None):
    return SimpleNamespace(user_id=user_id, started_on=TODAY + timedelta(days=started),
                           ended_on=None if ended is None else TODAY + timedelta(days=ended))


CASE = SimpleNamespace(members=[_member(1), _member(2, ended=-1), _member(3, started=5),
                                _member(4, started=-90, ended=-60), _member(4, started=-5)])


@pytest.mark.parametrize("role, user_id, read, write, manage, notes", [
    (Role.ADMIN, 99, True, True, True, True),
    (Role.TEAM, 99, True, True, True, True),
    (Role.EVALUATOR, 99, True, False, False, False),
    (Role.EVALUATOR, 1, True, False, False, False),   # even if put on the case by mistake
    (Role.CONSULTANT, 1, True, True, False, True),    # on the case
    (Role.CONSULTANT, 2, False, False, False, True),  # taken off yesterday
    (Role.CONSULTANT, 3, False, False, False, True),  # joins in five days
    (Role.CONSULTANT, 4, True, True, False, True),    # left once, back again
    (Role.CONSULTANT, 99, False, False, False, True),  # never on it
])
def test_who_may_read_change_and_manage_a_case(role, user_id, read, write, manage, notes):
    user = SimpleNamespace(id=user_id, role=role)
    assert can_read_case(user, CASE, TODAY) is read
    assert can_write_case(user, CASE, TODAY) is write
    assert can_manage_case(user) is manage
    assert sees_case_notes(user) is notes
    assert pseudonymised(user) is (not notes)
    if role is Role.CONSULTANT:
        assert is_on_case(user, CASE, TODAY) is read
