"""Sessions end when users end them: server-side sessions (signing out, idle and absolute
lifetime, a new password, a deactivation, a new role), the current-password check
throttled and audited, the password policy, API tokens revoked with the account, no
caching of signed-in pages, and a CSRF token renewed at sign-in."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine
from flask_login.utils import encode_cookie

from consultancy.extensions import db
from consultancy.models import ApiToken, AuditEntry, Role, User, UserSession
from consultancy.rules.passwords import Weakness, weakness
from tests.conftest import PASSWORD
from tests.test_csrf import token as csrf_token

# A Monday morning in Copenhagen (UTC+1).
MONDAY_NINE = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
STRONG = "tavle kaffekop regnvejr"


def sign_in(client, user, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- signing out ---------------------------------------------------------------------------

def test_after_logout_a_copy_of_the_cookie_opens_nothing_and_other_browsers_stay(
        app, make_user):
    user = make_user(Role.TEAM)
    laptop = sign_in(app.test_client(), user)
    phone = sign_in(app.test_client(), user)
    thief = app.test_client()
    thief.set_cookie("session", session_cookie(laptop))
    assert signed_in(thief)  # the copy works as long as the session is open

    laptop.post("/logout")

    assert not signed_in(laptop)
    response = thief.get("/engagements/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert signed_in(phone)  # a second browser of the same user is another session
    with app.app_context():
        ended = db.session.scalars(sa.select(UserSession.end_reason).where(
            UserSession.user_id == user.id)).all()
    assert sorted(ended, key=lambda reason: reason or "") == [None, "logout"]


def test_a_remember_me_cookie_does_not_revive_an_ended_session(app, make_user):
    user = make_user(Role.TEAM)
    browser = sign_in(app.test_client(), user)
    with browser.session_transaction() as session:
        login_id = session["_user_id"]
    browser.post("/logout")
    with app.test_request_context():
        remembered = encode_cookie(login_id)
    browser.set_cookie("remember_token", remembered)
    assert not signed_in(browser)


def test_a_session_ends_when_idle_and_at_the_end_of_the_working_day(app, make_user):
    user = make_user()
    with time_machine.travel(MONDAY_NINE, tick=False) as clock:
        browser = sign_in(app.test_client(), user)
        for _ in range(3):  # a request every 90 minutes keeps it open
            clock.shift(timedelta(minutes=90))
            assert signed_in(browser)
        clock.shift(timedelta(hours=2, minutes=1))  # then two hours without one
        assert not signed_in(browser)

        sign_in(browser, user)
        for _ in range(7):
            clock.shift(timedelta(hours=1))
            assert signed_in(browser)
        clock.shift(timedelta(hours=1))  # eight hours after signing in
        assert not signed_in(browser)


def test_the_last_request_is_written_at_most_once_a_minute(app, make_user):
    user = make_user()

    def last_seen():
        with app.app_context():
            return db.session.scalar(sa.select(UserSession.last_seen_at).where(
                UserSession.user_id == user.id))
    with time_machine.travel(MONDAY_NINE, tick=False) as clock:
        browser = sign_in(app.test_client(), user)
        clock.shift(timedelta(seconds=50))
        browser.get("/")
        assert last_seen() == MONDAY_NINE
        clock.shift(timedelta(seconds=20))
        browser.get("/")
        assert last_seen() == MONDAY_NINE + timedelta(seconds=70)


# --- password change -----------------------------------------------------------------------

def test_a_new_password_ends_the_other_sessions_and_renews_this_one(app, make_user):
    user = make_user()
    browser = sign_in(app.test_client(), user)
    other = sign_in(app.test_client(), user)
    copy = app.test_client()
    copy.set_cookie("session", session_cookie(browser))

    response = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": STRONG, "confirm": STRONG})
    assert response.status_code == 302

    assert signed_in(browser)
    assert not signed_in(other)
    assert not signed_in(copy)  # whoever copied this browser's cookie is out too


def change(client, current: str, new: str = STRONG, **environ):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm": new},
        environ_base=environ)


def test_the_current_password_check_is_audited_and_throttled(app, login_client):
    client = login_client()
    for _ in range(5):
        response = change(client, "wrong guess")
        assert response.status_code == 400
        assert "Den nuværende adgangskode er forkert." in response.get_data(as_text=True)
    assert audit_actions(app)[-5:] == ["password_check_failed"] * 5

    response = change(client, PASSWORD)  # right, but too late
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert ("For mange forkerte adgangskoder. Vent 15 minutter, og prøv igen."
            in response.get_data(as_text=True))
    assert audit_actions(app)[-1] == "password_check_throttled"
    with app.app_context():
        assert db.session.get(User, client.user.id).check_password(PASSWORD)
    # The guesses count against the account's sign-in as well: the same secret.
    response = app.test_client().post("/login", data={
        "email": client.user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert response.status_code == 429


WEAK = [
    ("aaaaaaaaaa", "for let at gætte"),
    ("1234567890", "for let at gætte"),
    ("password123", "for let at gætte"),
    (PASSWORD, "Vælg en anden adgangskode end den nuværende."),
    ("mette.madsen@kommune.dk", "må ikke indeholde brugerens e-mailadresse eller navn"),
    ("MetteMadsen!2026", "må ikke indeholde brugerens e-mailadresse eller navn"),
    ("short", "Brug mindst 10 tegn."),
]


@pytest.mark.parametrize("new, message", WEAK)
def test_the_account_page_refuses_weak_passwords_next_to_the_field(app, login_client, new,
                                                                  message):
    client = login_client(email="mette.madsen@kommune.dk", name="Mette Madsen")
    response = change(client, PASSWORD, new)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<div id="new_password-error"[^>]*>(.*?)</div>', page, re.S)
    assert error and message in error.group(1)
    with app.app_context():
        assert db.session.get(User, client.user.id).check_password(PASSWORD)


def test_a_strong_password_is_accepted(app, login_client):
    client = login_client(email="mette.madsen@kommune.dk", name="Mette Madsen")
    assert change(client, PASSWORD, STRONG).status_code == 302
    with app.app_context():
        assert db.session.get(User, client.user.id).check_password(STRONG)


def test_administrators_and_the_command_line_meet_the_same_policy(app, admin_client, runner):
    new_user = {"name": "Karen Konsulent", "email": "karen@kommune.dk", "role": "consultant",
                "language": "da", "active": "y"}
    response = admin_client.post("/admin/users/new", data={**new_user,
                                                           "password": "1234567890"})
    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)
    response = admin_client.post("/admin/users/new", data={**new_user,
                                                           "password": "KarenKonsulent1"})
    assert "må ikke indeholde brugerens e-mailadresse eller navn" in \
        response.get_data(as_text=True)
    result = runner.invoke(args=["users", "create", "eva@uni.dk", "--name", "Eva",
                                 "--role", "team", "--password", "aaaaaaaaaa"])
    assert result.exit_code != 0 and "for let at gætte" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(
            User.email.in_(["karen@kommune.dk", "eva@uni.dk"]))) is None


@pytest.mark.parametrize("password, email, name, current, expected", [
    ("short", "", "", None, Weakness.TOO_SHORT),
    ("aaaaaaaaaa", "", "", None, Weakness.GUESSABLE),
    ("1234567890", "", "", None, Weakness.GUESSABLE),
    ("qwertyuiop", "", "", None, Weakness.GUESSABLE),
    ("password123", "", "", None, Weakness.GUESSABLE),
    ("tavle kaffekop regnvejr", "", "", "tavle kaffekop regnvejr", Weakness.UNCHANGED),
    ("Jens.Hansen-1977", "jens.hansen@kommune.dk", "Jens Hansen", None, Weakness.PERSONAL),
    ("jens@kommune.dk!", "jens@kommune.dk", "J H", None, Weakness.PERSONAL),
    ("hansen.jens1977", "jh@kommune.dk", "Jens Hansen", None, Weakness.PERSONAL),
    ("tavle kaffekop regnvejr", "jens@kommune.dk", "Jens Hansen", None, None),
    ("correct horse battery", "", "", None, None),
    ("demo-praksis", "admin@demo.example", "Ada Admin", None, None),
    ("Æbleskiver i december!", "", "", None, None),
    ("x" * 300, "", "", None, Weakness.GUESSABLE),
])
def test_the_password_rule(password, email, name, current, expected):
    assert weakness(password, min_length=10, min_score=3, email=email, name=name,
                    current=current) is expected


# --- deactivation, role change and API tokens ----------------------------------------------

def edit(admin_client, user, **changes):
    data = {"name": user.name, "email": user.email, "role": user.role.value,
            "language": "da", "active": "y", **changes}
    data = {key: value for key, value in data.items() if value is not None}
    response = admin_client.post(f"/admin/users/{user.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def issue(runner, user) -> str:
    result = runner.invoke(args=["tokens", "create", user.email])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def api(client, token: str):
    return client.get("/api/v1/codebook", headers={"Authorization": f"Bearer {token}"})


def test_deactivation_ends_sessions_and_revokes_tokens_for_good(app, admin_client, make_user,
                                                               runner):
    user = make_user(Role.EVALUATOR)
    browser = sign_in(app.test_client(), user)
    token = issue(runner, user)
    assert api(app.test_client(), token).status_code == 200

    edit(admin_client, user, active=None)
    assert not signed_in(browser)
    assert api(app.test_client(), token).status_code == 401

    edit(admin_client, user)  # active again
    assert api(app.test_client(), token).status_code == 401
    assert not signed_in(browser)
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken).where(
            ApiToken.user_id == user.id)).one()  # revoked, not deleted
        assert stored.revoked_at is not None
    listing = runner.invoke(args=["tokens", "list"]).output
    assert token[:8] in listing
    assert api(app.test_client(), issue(runner, user)).status_code == 200  # a new one works


def test_a_new_role_ends_sessions_and_a_role_without_the_api_revokes_tokens(
        app, admin_client, make_user, runner):
    user = make_user(Role.EVALUATOR)
    browser = sign_in(app.test_client(), user)
    token = issue(runner, user)

    edit(admin_client, user, role="team")  # still a role with API access
    assert not signed_in(browser)
    assert api(app.test_client(), token).status_code == 200

    edit(admin_client, user, role="consultant")
    edit(admin_client, user, role="evaluator")
    assert api(app.test_client(), token).status_code == 401


def test_an_administrator_who_sets_their_own_password_stays_signed_in(app, make_user):
    admin = make_user(Role.ADMIN)
    browser = sign_in(app.test_client(), admin)
    other = sign_in(app.test_client(), admin)
    edit(browser, admin, password=STRONG)
    assert signed_in(browser)
    assert not signed_in(other)


# --- caching and CSRF ----------------------------------------------------------------------

def test_signed_in_pages_and_the_api_are_not_cached_static_files_are(app, login_client,
                                                                    runner, make_user):
    client = login_client(Role.TEAM)
    for url in ("/", "/engagements/", "/account/password"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    token = issue(runner, make_user(Role.EVALUATOR))
    assert api(app.test_client(), token).headers["Cache-Control"] == "no-store"
    assert api(app.test_client(), "wrong").headers["Cache-Control"] == "no-store"
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_the_csrf_token_from_before_signing_in_is_refused_afterwards(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user(Role.TEAM)
    browser = app.test_client()
    before = csrf_token(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                            "csrf_token": before})
    assert response.status_code == 302

    response = browser.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert "Formularen var udløbet" in response.get_data(as_text=True)
    assert signed_in(browser)

    after = csrf_token(browser.get("/account/password").get_data(as_text=True))
    assert after != before
    assert browser.post("/logout", data={"csrf_token": after}).status_code == 302
    assert not signed_in(browser)
