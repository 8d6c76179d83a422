from datetime import timedelta

import pytest
import sqlalchemy as sa

from consultancy.auth.services import Outcome, authenticate
from consultancy.extensions import db
from consultancy.models import AuditEntry, Role, ThrottleEvent, User
from consultancy.services.clock import utcnow
from tests.conftest import PASSWORD


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page_is_danish_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in page
    assert "Log ind" in page
    assert 'for="email"' in page and 'for="password"' in page


def test_signing_in_and_out(app, client, make_user):
    user = make_user(Role.TEAM, email="Tove@Example.dk")
    response = client.post("/login", data={"email": "tove@EXAMPLE.dk", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert user.name in page

    client.post("/logout")
    assert client.get("/").status_code == 302
    assert audit_actions(app)[-2:] == ["login", "logout"]


def test_login_returns_to_a_local_next_page_only(client, make_user):
    user = make_user(Role.ADMIN)
    response = client.post("/login", data={
        "email": user.email, "password": PASSWORD, "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"
    client.post("/logout")
    response = client.post("/login", data={
        "email": user.email, "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("email, password", [
    ("nobody@example.dk", PASSWORD),   # unknown email
    ("known@example.dk", "wrong password"),
])
def test_wrong_credentials_get_one_message_that_reveals_nothing(app, client, make_user,
                                                                email, password):
    make_user(email="known@example.dk")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "E-mailadressen eller adgangskoden er forkert." in page
    assert f'value="{email}"' in page  # what was typed is kept
    assert audit_actions(app)[-1] == "login_failed"


def test_inactive_user_is_told_the_account_is_deactivated(app, client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Din konto er deaktiveret" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("data, field, message", [
    ({"password": PASSWORD}, "email", "Skriv din e-mailadresse."),
    ({"email": "a@example.dk"}, "password", "Skriv din adgangskode."),
    ({"email": "a" * 250 + "@example.dk", "password": PASSWORD}, "email",
     "Feltet må højst være 254 tegn langt."),
])
def test_bad_login_input_is_refused_next_to_the_field_and_writes_nothing(
        app, client, data, field, message):
    response = client.post("/login", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<div id="{field}-error" class="invalid-feedback d-block">' in page
    assert message in page
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleEvent)) == 0


def test_messages_follow_the_chosen_language(client):
    client.post("/language", data={"language": "en"})
    response = client.post("/login", data={"email": "x@example.dk", "password": "nope"})
    assert "The email address or the password is wrong." in response.get_data(as_text=True)


def test_five_failures_for_one_email_throttle_further_attempts(app, client, make_user):
    user = make_user()
    for _ in range(5):
        assert client.post("/login", data={
            "email": user.email, "password": "wrong"}).status_code == 401
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert "For mange mislykkede loginforsøg. Vent 15 minutter" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    assert audit_actions(app)[-1] == "login_throttled"


def test_five_failures_from_one_address_throttle_every_email(client, make_user):
    user = make_user()
    for number in range(5):
        client.post("/login", data={"email": f"guess{number}@example.dk", "password": "x"},
                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 429
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert response.status_code == 302


def test_throttling_holds_across_workers_and_restarts(make_app, make_user):
    user = make_user()
    first_worker = make_app().test_client()
    for _ in range(5):
        first_worker.post("/login", data={"email": user.email, "password": "wrong"})
    another_worker = make_app().test_client()
    response = another_worker.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_failures_older_than_the_window_no_longer_count(app, make_user):
    user = make_user()
    window = timedelta(minutes=15)
    start = utcnow()
    with app.test_request_context():
        for minute in range(5):
            authenticate(user.email, "wrong", "192.0.2.1", start + timedelta(minutes=minute),
                         5, window)
        at_limit = authenticate(user.email, PASSWORD, "192.0.2.1",
                                start + timedelta(minutes=14), 5, window)
        after_window = authenticate(user.email, PASSWORD, "192.0.2.1",
                                    start + timedelta(minutes=16), 5, window)
    assert at_limit.outcome is Outcome.THROTTLED
    assert after_window.outcome is Outcome.SIGNED_IN


def test_a_successful_login_clears_the_emails_failures(app, client, make_user):
    user = make_user()
    for _ in range(4):
        client.post("/login", data={"email": user.email, "password": "wrong"})
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/logout")
    for _ in range(4):
        client.post("/login", data={"email": user.email, "password": "wrong"},
                    environ_base={"REMOTE_ADDR": "192.0.2.9"})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert response.status_code == 302


def test_changing_password(app, login_client, make_user):
    client = login_client(Role.CONSULTANT)
    other_device = app.test_client(user=client.user)

    response = client.post("/account/password", data={
        "current_password": "not it", "new_password": "a new long password",
        "confirm": "a new long password"})
    assert response.status_code == 400
    assert "Den nuværende adgangskode er forkert." in response.get_data(as_text=True)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm": "short"})
    assert "Brug mindst 10 tegn." in response.get_data(as_text=True)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new long password",
        "confirm": "another long password"})
    assert "De to adgangskoder er ikke ens." in response.get_data(as_text=True)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new long password",
        "confirm": "a new long password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session stays signed in
    assert other_device.get("/").status_code == 302  # other sessions are signed out

    fresh = app.test_client()
    assert fresh.post("/login", data={
        "email": client.user.email, "password": "a new long password"}).status_code == 302
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "update", AuditEntry.table_name == "users")).one()
        assert entry.changes["password_hash"] == ["***", "***"]
        assert entry.actor_id == client.user.id


def test_a_deactivated_users_session_ends_at_once(app, admin_client, login_client):
    consultant = login_client(Role.CONSULTANT)
    assert consultant.get("/").status_code == 200
    user = consultant.user
    admin_client.post(f"/admin/users/{user.id}", data={
        "name": user.name, "email": user.email, "role": "consultant", "language": "da"})
    with app.app_context():
        assert db.session.get(User, user.id).active is False
    assert consultant.get("/").status_code == 302


def test_a_burst_of_simultaneous_failures_is_still_throttled_at_five(make_app, tmp_path):
    """Ten wrong passwords at once, each on its own connection: at most five are checked."""
    import threading

    from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

    if ON_POSTGRES:  # committed data is needed, outside the test's rolled-back transaction
        from consultancy import create_app
        from consultancy.config import database_url
        from tests.conftest import app_config
        app = create_app(app_config(database_url(TEST_DATABASE_URL)),
                         instance_path=str(tmp_path))
    else:
        app = make_app()
    statuses = []
    start = threading.Barrier(10)

    def attempt():
        client = app.test_client()
        start.wait()
        statuses.append(client.post("/login", data={
            "email": "burst@example.dk", "password": "wrong"}).status_code)
    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if ON_POSTGRES:
        with app.app_context():
            db.session.execute(sa.delete(ThrottleEvent))
            db.session.execute(sa.delete(AuditEntry))
            db.session.commit()
            db.engine.dispose()
    assert sorted(statuses) == [401] * 5 + [429] * 5


def test_ipv6_clients_are_counted_per_64_network(client, make_user):
    user = make_user()
    for host in range(5):
        client.post("/login", data={"email": f"x{host}@example.dk", "password": "x"},
                    environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{host + 1}"})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "2001:db8:1:2::99"})
    assert response.status_code == 429
