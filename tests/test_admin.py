import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import AuditEntry, Role, User


def user_by_email(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def count_users(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


NEW_USER = {"name": "Karen Konsulent", "email": "Karen@Kommune.dk", "role": "consultant",
            "language": "da", "active": "y", "password": "a long enough password"}


def test_admin_creates_a_user_who_can_then_sign_in(app, admin_client):
    response = admin_client.post("/admin/users/new", data=NEW_USER)
    assert response.status_code == 302
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Karen Konsulent" in page and "karen@kommune.dk" in page
    assert app.test_client().post("/login", data={
        "email": "karen@kommune.dk", "password": "a long enough password"}).status_code == 302


def test_email_is_unique_whatever_its_case(app, admin_client, make_user):
    make_user(email="karen@kommune.dk")
    before = count_users(app)
    response = admin_client.post("/admin/users/new", data=NEW_USER)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Der findes allerede en bruger med denne e-mailadresse." in page
    assert 'value="Karen Konsulent"' in page  # the form keeps what was typed
    assert count_users(app) == before


def test_a_forged_role_is_refused_and_nothing_is_written(app, admin_client):
    before = count_users(app)
    response = admin_client.post("/admin/users/new", data={**NEW_USER, "role": "superuser"})
    assert response.status_code == 400
    assert "Ikke et gyldigt valg." in response.get_data(as_text=True)
    assert count_users(app) == before


def test_bad_fields_get_messages_next_to_them(admin_client):
    response = admin_client.post("/admin/users/new", data={
        **NEW_USER, "name": "", "email": "not-an-email", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error"' in page and "Skriv et navn." in page
    assert 'id="email-error"' in page and "Skriv en gyldig e-mailadresse" in page
    assert 'id="password-error"' in page and "Brug mindst 10 tegn." in page


def test_changing_a_role_is_audited_with_old_and_new_value(app, admin_client, make_user):
    user = make_user(Role.CONSULTANT)
    response = admin_client.post(f"/admin/users/{user.id}", data={
        "name": user.name, "email": user.email, "role": "team", "language": "da",
        "active": "y"})
    assert response.status_code == 302
    assert user_by_email(app, user.email).role is Role.TEAM
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name == "users", AuditEntry.record_id == str(user.id),
            AuditEntry.action == "update")).one()
    assert entry.changes == {"role": ["consultant", "team"]}
    assert entry.actor_id == admin_client.user.id


def test_an_admin_cannot_lock_themself_out(app, admin_client):
    me = admin_client.user
    response = admin_client.post(f"/admin/users/{me.id}", data={
        "name": me.name, "email": me.email, "role": "team", "language": "da", "active": "y"})
    assert response.status_code == 400
    assert "Du kan ikke fjerne din egen administratorrolle." in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/users/{me.id}", data={
        "name": me.name, "email": me.email, "role": "admin", "language": "da"})
    assert "Du kan ikke deaktivere din egen konto." in response.get_data(as_text=True)
    assert user_by_email(app, me.email).role is Role.ADMIN
    assert user_by_email(app, me.email).active


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/9999").status_code == 404


def test_user_list_runs_the_same_queries_for_3_or_40_users(admin_client, make_user,
                                                          assert_constant_queries):
    for _ in range(2):
        make_user()
    page = assert_constant_queries(admin_client, "/admin/users",
                                   lambda: [make_user() for _ in range(37)])
    assert "40 rækker" in page
