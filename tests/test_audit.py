from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from consultancy import audit
from consultancy.extensions import db
from consultancy.models import AuditEntry, Engagement, Role, User


def entries(app, **where):
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return db.session.scalars(query).all()


def test_create_update_delete_are_recorded_with_values(app):
    with app.test_request_context():
        audit.set_actor(None)
        user = User(email="a@example.dk", name="A", role=Role.TEAM, password_hash="x")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        user.name = "B"
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
    created, updated, deleted = entries(app, table_name="users", record_id=str(user_id))
    assert created.action == "create"
    assert created.changes["email"] == [None, "a@example.dk"]
    assert created.changes["password_hash"] == [None, "***"]
    assert updated.action == "update" and updated.changes == {"name": ["A", "B"]}
    assert deleted.action == "delete" and deleted.changes["name"] == ["B", None]


def test_an_entry_is_part_of_the_changes_transaction(app):
    with app.app_context():
        db.session.add(User(email="gone@example.dk", name="Gone", role=Role.TEAM,
                            password_hash="x"))
        db.session.flush()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
        db.session.rollback()
    assert entries(app) == []


def test_fields_that_did_not_change_are_not_recorded(app, make_user):
    user = make_user()
    with app.app_context():
        loaded = db.session.get(User, user.id)
        loaded.name = loaded.name
        db.session.commit()
    assert entries(app, action="update") == []


def test_login_events_are_recorded_with_the_client_address(app, client, make_user):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": "wrong"},
                environ_base={"REMOTE_ADDR": "192.0.2.44"})
    failed = entries(app, action="login_failed")[0]
    assert failed.client_address == "192.0.2.44"
    assert failed.record_id == str(user.id) and failed.note == user.email


@pytest.fixture
def audit_history(app, make_user):
    """Three entries by two users on two days."""
    alice = make_user(Role.ADMIN, name="Alice")
    bob = make_user(Role.TEAM, name="Bob")
    day = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    with app.app_context():
        db.session.execute(sa.delete(AuditEntry))
        db.session.add_all([
            AuditEntry(at=day, actor_id=alice.id, action="update", table_name="users",
                       record_id=str(bob.id), changes={"name": ["Bo", "Bob"]}),
            AuditEntry(at=day + timedelta(days=1), actor_id=bob.id, action="update",
                       table_name="users", record_id=str(alice.id),
                       changes={"language": ["da", "en"]}),
            AuditEntry(at=day + timedelta(days=1), actor_id=alice.id, action="login",
                       table_name="users", record_id=str(alice.id)),
        ])
        db.session.commit()
    return alice, bob


def test_admin_reads_and_filters_the_audit_log(login_client, audit_history):
    alice, bob = audit_history
    client = login_client(user=alice)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("<td class=\"text-nowrap\">") == 3
    assert "10-03-2026 13:00" in page  # shown in Copenhagen time, Danish date

    by_bob = client.get(f"/admin/audit?user={bob.id}").get_data(as_text=True)
    assert by_bob.count("<td class=\"text-nowrap\">") == 1 and "language" in by_bob

    on_record = client.get(f"/admin/audit?table=users&record={bob.id}").get_data(as_text=True)
    assert on_record.count("<td class=\"text-nowrap\">") == 1 and "Bo" in on_record

    first_day = client.get("/admin/audit?date_from=2026-03-10&date_to=2026-03-10")
    assert first_day.get_data(as_text=True).count("<td class=\"text-nowrap\">") == 1


def test_a_bad_audit_filter_says_so(login_client, audit_history):
    client = login_client(user=audit_history[0])
    page = client.get("/admin/audit?date_from=10.03.2026").get_data(as_text=True)
    assert "Ikke en gyldig dato." in page


def test_audit_log_runs_the_same_queries_whatever_its_length(app, admin_client,
                                                            assert_constant_queries):
    def add(count):
        with app.app_context():
            db.session.add_all(AuditEntry(actor_id=admin_client.user.id, action="login",
                                          table_name="users", record_id="1")
                               for _ in range(count))
            db.session.commit()
    add(2)
    assert_constant_queries(admin_client, "/admin/audit", lambda: add(60))


def test_audit_dates_are_filtered_by_copenhagen_days(app):
    from consultancy.admin.services import AuditFilter, audit_query
    with app.app_context():
        # 23:30 UTC on 9 March is 00:30 on 10 March in Copenhagen.
        db.session.add(AuditEntry(at=datetime(2026, 3, 9, 23, 30, tzinfo=timezone.utc),
                                  action="login"))
        db.session.commit()
        on_the_10th = db.session.scalars(audit_query(AuditFilter(
            date_from=date(2026, 3, 10), date_to=date(2026, 3, 10)))).all()
    assert len(on_the_10th) == 1


def test_the_old_value_is_recorded_even_when_it_was_not_loaded(app, make_user):
    user = make_user(Role.TEAM)
    with app.app_context():
        loaded = db.session.get(User, user.id)
        db.session.commit()  # expires every attribute
        loaded.role = Role.ADMIN
        db.session.commit()
    assert entries(app, action="update")[-1].changes == {"role": ["team", "admin"]}


def test_bulk_statements_on_audited_tables_leave_a_summary(app, make_user):
    make_user(name="A")
    make_user(name="B")
    with app.app_context():
        db.session.execute(sa.update(User).values(language="en"))
        db.session.commit()
    summary = entries(app, action="update")[-1]
    assert summary.table_name == "users" and summary.note == "bulk statement, 2 rows"



# --- changes made through the pages: cascades, collections, true old values ---------------

def changes_since(app, last_id: int) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > last_id)
                                  .order_by(AuditEntry.id)).all()


def last_entry_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


@pytest.fixture
def logged_session(app, make_case, login_client):
    """A case with two consultants and two units, and a held session with both consultants,
    both units and two themes: (the lead's client, case id, session id)."""
    from consultancy.engagements import services
    from consultancy.models import DaycareUnit, EngagementSession, Ownership, Theme, UnitKind

    engagement_id = make_case(new_consultants=2, sessions=[(-1, 2)])
    with app.test_request_context():
        engagement = db.session.get(services.Engagement, engagement_id)
        services.add_unit(engagement, DaycareUnit(
            name="Vuggestuen Spiren", municipality_code=773, ownership=Ownership.MUNICIPAL,
            kind=UnitKind.NURSERY, children=24))
        session = db.session.scalar(sa.select(EngagementSession).where(
            EngagementSession.engagement_id == engagement_id))
        themes = db.session.scalars(sa.select(Theme.id).order_by(Theme.id).limit(2)).all()
        session.units = services._relink(session.units, [u.unit_id for u in engagement.units],
                                         "unit_id", services.SessionUnit)
        session.themes = services._relink(session.themes, themes, "theme_id",
                                          services.SessionTheme)
        db.session.commit()
        lead = db.session.get(User, engagement.members[0].user_id)
        db.session.expunge(lead)
        return login_client(user=lead), engagement_id, session.id


def session_form(app, session_id: int, **changes) -> dict:
    """What the session's edit form posts when nothing is changed, with `changes`."""
    from consultancy.engagements.forms import session_values
    from consultancy.models import EngagementSession

    with app.app_context():
        values = session_values(db.session.get(EngagementSession, session_id))
    data = {key: [str(item) for item in value] if isinstance(value, list)
            else "" if value is None else getattr(value, "value", str(value))
            for key, value in values.items()}
    data.update(changes)
    return data


def test_deleting_a_contact_is_recorded_with_what_it_held(app, make_case, team_client):
    engagement_id = make_case()
    team_client.post(f"/engagements/{engagement_id}/contacts", data={
        "name": "Lone Leder", "title": "Dagtilbudsleder", "email": "lone@morsoe.example",
        "phone": "12345678", "unit": ""})
    [added] = entries(app, table_name="engagement_contacts")
    before = last_entry_id(app)
    assert team_client.post(f"/engagements/{engagement_id}/contacts/{added.record_id}/delete"
                            ).status_code == 302
    [deleted] = changes_since(app, before)
    assert (deleted.action, deleted.table_name, deleted.record_id) == (
        "delete", "engagement_contacts", added.record_id)
    assert deleted.changes["name"] == ["Lone Leder", None]
    assert deleted.changes["email"] == ["lone@morsoe.example", None]
    assert deleted.actor_id == team_client.user.id


def test_consultants_units_and_themes_taken_off_a_session_are_recorded(app, logged_session):
    client, engagement_id, session_id = logged_session
    form = session_form(app, session_id)
    kept_consultant, gone_consultant = form["consultant_ids"]
    kept_unit, gone_unit = form["unit_ids"]
    kept_theme, gone_theme = form["theme_ids"]
    before = last_entry_id(app)
    assert client.post(f"/engagements/{engagement_id}/sessions/{session_id}/edit", data={
        **form, "consultant_ids": [kept_consultant], "unit_ids": [kept_unit],
        "theme_ids": [kept_theme]}).status_code == 302
    removed = {entry.table_name: entry for entry in changes_since(app, before)
               if entry.action == "delete"}
    assert removed["session_consultants"].record_id == f"{session_id}:{gone_consultant}"
    assert removed["session_consultants"].changes == {
        "session_id": [session_id, None], "user_id": [int(gone_consultant), None]}
    assert removed["session_units"].changes["unit_id"] == [int(gone_unit), None]
    assert removed["session_themes"].changes["theme_id"] == [int(gone_theme), None]
    assert all(entry.actor_id == client.user.id for entry in removed.values())


def test_deleting_a_session_records_its_links_too(app, logged_session):
    client, engagement_id, session_id = logged_session
    before = last_entry_id(app)
    client.post(f"/engagements/{engagement_id}/sessions/{session_id}/delete",
                data={"version": session_form(app, session_id)["version"]})
    deleted = [(entry.table_name, entry.action) for entry in changes_since(app, before)]
    assert deleted.count(("engagement_sessions", "delete")) == 1
    assert deleted.count(("session_consultants", "delete")) == 2
    assert deleted.count(("session_units", "delete")) == 2
    assert deleted.count(("session_themes", "delete")) == 2


def test_editing_a_summary_records_the_old_and_the_new_text(app, logged_session):
    client, engagement_id, session_id = logged_session
    before = last_entry_id(app)
    client.post(f"/engagements/{engagement_id}/sessions/{session_id}/edit",
                data=session_form(app, session_id, summary="Vi legede i sandkassen."))
    [updated] = changes_since(app, before)
    assert updated.changes["summary"] == ["Vi så på legen i garderoben.",
                                          "Vi legede i sandkassen."]
    assert set(updated.changes) == {"summary"}


def case_form(app, engagement_id: int, **changes) -> dict:
    """What the case's edit form posts when nothing is changed, with `changes`."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        data = {"start_date": engagement.start_date.isoformat(),
                "planned_end": engagement.planned_end.isoformat(),
                "hour_budget": str(engagement.hour_budget), "goals": "\n".join(engagement.goals),
                "documentation_form": engagement.documentation_form,
                "themes": [str(link.theme_id) for link in engagement.themes],
                "version": str(engagement.version)}
    data.update(changes)
    return data


def test_editing_goals_records_the_old_and_the_new_goals(app, make_case, team_client):
    engagement_id = make_case()
    url = f"/engagements/{engagement_id}/edit"
    team_client.post(url, data=case_form(app, engagement_id, goals="Styrke legen"))
    before = last_entry_id(app)
    team_client.post(url, data=case_form(app, engagement_id,
                                         goals="Styrke legen\nBedre overgange"))
    [updated] = changes_since(app, before)
    assert updated.changes["goals"] == [["Styrke legen"], ["Styrke legen", "Bedre overgange"]]


def test_saving_a_session_unchanged_records_nothing_and_keeps_its_version(app, logged_session):
    client, engagement_id, session_id = logged_session
    form = session_form(app, session_id)
    before = last_entry_id(app)
    assert client.post(f"/engagements/{engagement_id}/sessions/{session_id}/edit",
                       data=form).status_code == 302
    assert changes_since(app, before) == []
    assert session_form(app, session_id)["version"] == form["version"]


def test_saving_a_case_unchanged_records_nothing(app, make_case, team_client):
    engagement_id = make_case()
    url = f"/engagements/{engagement_id}/edit"
    team_client.post(url, data=case_form(app, engagement_id, goals="Styrke legen",
                                         themes=["1", "2"]))
    form = case_form(app, engagement_id)
    before = last_entry_id(app)
    assert team_client.post(url, data=form).status_code == 302
    assert changes_since(app, before) == []
    assert case_form(app, engagement_id)["version"] == form["version"]


def test_a_change_of_links_alone_takes_a_new_version(app, logged_session):
    """Links are part of the session: a stale save must not silently undo them."""
    client, engagement_id, session_id = logged_session
    form = session_form(app, session_id)
    url = f"/engagements/{engagement_id}/sessions/{session_id}/edit"
    assert client.post(url, data={**form, "theme_ids": form["theme_ids"][:1]}
                       ).status_code == 302
    assert client.post(url, data=form).status_code == 409
