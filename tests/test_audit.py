import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from consultancy.extensions import db
from consultancy.models import (
    AuditEntry,
    DaycareUnit,
    Engagement,
    EngagementType,
    EngagementUnit,
    JobRun,
    Ownership,
    Role,
    RunStatus,
    UnitKind,
    User,
)
from consultancy.security import audit
from tests.conftest import FROZEN_AT


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
    from consultancy.admin.queries import AuditFilter, audit_query
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


# The listeners are registered once per process; this runs the first registration in a
# process of its own, so that a test of it cannot pass on listeners left by another test.
FIRST_APP_OF_A_PROCESS = """
import json, sys
from flask_migrate import upgrade
from consultancy import create_app
from consultancy.extensions import db
from consultancy.models import AuditEntry, JobRun, Role, User
from tests.conftest import app_config

app = create_app(app_config(sys.argv[1]), instance_path=sys.argv[2])
with app.app_context():
    upgrade()
    user = User(email="a@example.dk", name="A", role=Role.TEAM, active=True, language="da")
    user.set_password("not the point here at all")
    db.session.add(user)
    db.session.commit()  # expires every attribute
    user.role = Role.ADMIN
    db.session.commit()
    db.session.execute(db.update(User).values(language="en"))
    db.session.commit()
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    print(json.dumps([[e.action, e.changes, e.note] for e in entries]))
"""


def test_the_first_app_of_a_process_audits_changes_with_their_old_values(app, tmp_path):
    # `app` is not used here: it shows mutation testing (which only sees this process) that
    # the test covers the registration, so that a mutant of it is run in the child too.
    found = subprocess.run(
        [sys.executable, "-c", FIRST_APP_OF_A_PROCESS, f"sqlite:///{tmp_path / 'fresh.db'}",
         str(tmp_path)], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parent.parent)
    assert found.returncode == 0, found.stderr
    created, updated, bulk = json.loads(found.stdout.splitlines()[-1])
    assert created[0] == "create" and created[1]["password_hash"] == [None, audit.REDACTED]
    assert updated[:2] == ["update", {"role": ["team", "admin"]}]
    assert bulk == ["update", None, "bulk statement, 1 rows"]


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


# --- bulk statements ---------------------------------------------------------------------------

def unit_rows(count: int) -> list[dict]:
    return [{"name": f"Bulkhuset {n}", "municipality_code": 773, "ownership": Ownership.MUNICIPAL,
             "kind": UnitKind.NURSERY, "children": 10 + n} for n in range(count)]


def units_named_bulk(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(DaycareUnit.name).where(
            DaycareUnit.name.like("Bulkhuset %"))))


@pytest.mark.parametrize("count", [1, 3])
def test_a_bulk_insert_writes_its_rows_once_and_one_summary_with_the_count(app, make_user,
                                                                            count):
    actor = make_user(Role.ADMIN)
    before = len(entries(app))
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        audit.set_actor(actor.id)
        db.session.execute(sa.insert(DaycareUnit), unit_rows(count))
        db.session.commit()
    assert units_named_bulk(app) == [f"Bulkhuset {n}" for n in range(count)]
    [summary] = entries(app)[before:]
    assert (summary.action, summary.table_name, summary.note) == (
        "create", "daycare_units", f"bulk statement, {count} rows")
    assert (summary.actor_id, summary.client_address) == (actor.id, "192.0.2.7")
    assert (summary.record_id, summary.changes) == (None, None)


def test_a_single_row_insert_statement_counts_one_row(app):
    before = len(entries(app))
    with app.app_context():
        db.session.execute(sa.insert(DaycareUnit).values(**unit_rows(1)[0]))
        db.session.commit()
    assert units_named_bulk(app) == ["Bulkhuset 0"]
    assert [e.note for e in entries(app)[before:]] == ["bulk statement, 1 rows"]


def test_a_bulk_insert_returning_hands_the_rows_back_and_counts_them(app):
    before = len(entries(app))
    with app.app_context():
        ids = db.session.scalars(sa.insert(DaycareUnit).returning(DaycareUnit.id),
                                 unit_rows(3)).all()
        db.session.commit()
        assert sorted(db.session.scalars(sa.select(DaycareUnit.id).where(
            DaycareUnit.name.like("Bulkhuset %")))) == sorted(ids)
    assert len(ids) == 3
    assert [(e.action, e.note) for e in entries(app)[before:]] == [
        ("create", "bulk statement, 3 rows")]


def test_a_bulk_delete_counts_the_rows_it_removed(app):
    with app.app_context():
        db.session.execute(sa.insert(DaycareUnit), unit_rows(4))
        db.session.commit()
    before = len(entries(app))
    with app.app_context():
        db.session.execute(sa.delete(DaycareUnit).where(DaycareUnit.name.in_(
            ["Bulkhuset 1", "Bulkhuset 3", "Bulkhuset 9"])))
        db.session.commit()
    assert units_named_bulk(app) == ["Bulkhuset 0", "Bulkhuset 2"]
    assert [(e.action, e.table_name, e.note) for e in entries(app)[before:]] == [
        ("delete", "daycare_units", "bulk statement, 2 rows")]


def test_a_rolled_back_bulk_statement_leaves_no_entry(app):
    before = len(entries(app))
    with app.app_context():
        db.session.execute(sa.insert(DaycareUnit), unit_rows(2))
        db.session.rollback()
    assert units_named_bulk(app) == [] and len(entries(app)) == before


def test_bulk_statements_on_operational_tables_are_not_audited(app):
    before = len(entries(app))
    with app.app_context():
        db.session.execute(sa.insert(JobRun), [{
            "job": "flags", "run_on": date(2026, 6, 17), "started_at": datetime.now(timezone.utc),
            "status": RunStatus.DONE}])
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1
    assert len(entries(app)) == before


def test_reading_is_not_a_bulk_statement(app, make_user):
    make_user()
    before = len(entries(app))
    with app.app_context():
        assert len(db.session.scalars(sa.select(User)).all()) == 1
        db.session.commit()
    assert len(entries(app)) == before


# --- what an entry says --------------------------------------------------------------------

def test_values_are_recorded_as_their_json_types(app, make_case):
    case_id = make_case(start=None)
    with app.app_context():
        unit = db.session.scalar(sa.select(DaycareUnit))
        unit.children, unit.kind = 41, UnitKind.KINDERGARTEN
        engagement = db.session.get(Engagement, case_id)
        engagement.start_date, engagement.hour_budget = date(2026, 8, 3), Decimal("12.5")
        db.session.commit()
        engagement.start_date = None
        db.session.commit()
    [unit_change] = entries(app, action="update", table_name="daycare_units")
    start_change, start_removed = [entry for entry in entries(
        app, action="update", table_name="engagements")
        if entry.changes and "start_date" in entry.changes][-2:]
    assert unit_change.changes == {"children": [40, 41], "kind": ["integrated", "kindergarten"]}
    assert start_change.changes == {"start_date": [None, "2026-08-03"],
                                    "hour_budget": ["10.00", "12.5"]}
    assert start_removed.changes == {"start_date": ["2026-08-03", None]}


def test_a_list_of_objects_is_recorded_as_json(app):
    with app.app_context():
        one_year = db.session.scalar(sa.select(EngagementType).where(
            EngagementType.code == "one_year"))
        one_year.phase_template = [{"code": "start", "until": {"hours_share": 0.25}}]
        db.session.commit()
    [change] = entries(app, action="update", table_name="engagement_types")
    assert change.changes["phase_template"][1] == [
        {"code": "start", "until": {"hours_share": 0.25}}]


def test_a_deleted_record_keeps_its_secrets_hidden(app, make_user):
    user = make_user(email="leaving@example.dk")
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
    [deleted] = entries(app, action="delete", table_name="users")
    assert deleted.changes["password_hash"] == [audit.REDACTED, None]
    assert deleted.changes["email"] == ["leaving@example.dk", None]


def test_a_password_change_is_recorded_but_never_shown(app, make_user):
    user = make_user()
    with app.app_context():
        loaded = db.session.get(User, user.id)
        loaded.set_password("an entirely new passphrase")
        loaded.last_login_at = datetime(2026, 6, 17, 8, tzinfo=timezone.utc)  # not audited
        db.session.commit()
    [entry] = entries(app, action="update")
    assert entry.changes["password_hash"] == [audit.REDACTED, audit.REDACTED]
    assert "last_login_at" not in entry.changes


def test_only_columns_are_recorded_never_relationships(app, make_case):
    make_case()
    [created] = entries(app, table_name="daycare_units", action="create")
    assert set(created.changes) == {"id", "name", "municipality_code", "ownership", "kind",
                                    "children"}


def test_a_record_with_two_keys_is_named_by_both(app, make_case):
    case_id = make_case()
    with app.app_context():
        unit_id = db.session.scalar(sa.select(EngagementUnit.unit_id))
    [link] = entries(app, table_name="engagement_units", action="create")
    assert link.record_id == f"{case_id}:{unit_id}"


def test_a_change_in_a_request_names_the_client_address(app, make_user, make_case):
    team = make_user(Role.TEAM)
    case_id = make_case()
    before = len(entries(app))
    app.test_client(user=team).post(f"/engagements/{case_id}/status",
                                    data={"status": "active", "reason": ""},
                                    environ_base={"REMOTE_ADDR": "198.51.100.23"})
    changed = entries(app)[before:]
    assert changed and {(e.actor_id, e.client_address) for e in changed} == {
        (team.id, "198.51.100.23")}


def test_an_event_of_a_user_names_the_user_and_an_event_of_nobody_names_nothing(app,
                                                                                 make_user):
    user = make_user()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        audit.record_event("login", user_id=user.id, note="x" * 300)
        audit.record_event("login_failed", note=None)
        audit.record_event("logout", note="")
        db.session.commit()
    login, failed, logout = entries(app)[-3:]
    assert (login.action, login.actor_id, login.table_name, login.record_id) == (
        "login", user.id, "users", str(user.id))
    assert login.note == "x" * 255 and login.client_address == "192.0.2.9"
    assert login.at == FROZEN_AT or abs(login.at - FROZEN_AT) < timedelta(minutes=5)
    for entry in (failed, logout):
        assert (entry.actor_id, entry.table_name, entry.record_id, entry.note) == (
            None, None, None, None)


def test_an_event_in_a_signed_in_request_names_the_signed_in_user(app, make_user):
    user = make_user(Role.TEAM)
    app.test_client(user=user).post("/logout")
    [logout] = entries(app, action="logout")
    assert (logout.actor_id, logout.table_name, logout.record_id) == (
        user.id, "users", str(user.id))


def test_an_event_without_a_user_names_the_acting_user(app, make_user):
    user = make_user(Role.TEAM)
    with app.test_request_context():
        audit.set_actor(user.id)
        audit.record_event("login_failed")
        db.session.commit()
    [event] = entries(app, action="login_failed")
    assert (event.actor_id, event.table_name, event.record_id) == (user.id, None, None)


def test_an_export_names_who_made_it_and_from_where(app, make_user):
    user = make_user(Role.TEAM)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        audit.set_actor(user.id)
        audit.record_export("sessions", "csv", {"from": date(2026, 1, 1), "to": None}, 3)
        db.session.commit()
    [export] = entries(app, action="export")
    assert (export.actor_id, export.client_address) == (user.id, "198.51.100.7")
    assert export.details == {"export": "sessions", "format": "csv", "rows": 3,
                              "channel": "web", "filters": {"from": "2026-01-01"}}


@pytest.mark.parametrize("kind, channel", [("everything", "web"), ("sessions", "pigeon")])
def test_an_export_of_an_unknown_kind_or_channel_is_refused(app, kind, channel):
    with app.test_request_context(), pytest.raises(ValueError, match="unknown export"):
        audit.record_export(kind, "csv", None, 1, channel=channel)


@pytest.mark.parametrize("details, shown", [
    ({"export": "sessions", "format": "csv", "rows": 1234, "channel": "web",
      "filters": {"from": "2026-01-01", "to": "2026-06-30"}},
     [("Export", "Sessions of the cases"), ("File format", "csv"),
      ("Filters", "From: 2026-01-01; To: 2026-06-30"), ("Rows", "1,234"),
      ("Channel", "web page")]),
    ({"export": "effect-data", "format": "parquet", "rows": None, "channel": "api",
      "token": 7, "filters": {}},
     [("Export", "Effect data"), ("File format", "parquet"), ("Filters", "none"),
      ("Rows", "—"), ("Channel", "API (token 7)")]),
    ({"export": "applications", "format": "xlsx", "rows": 2, "channel": "cli"},
     [("Export", "Applications with scores and decisions"), ("File format", "xlsx"),
      ("Filters", "none"), ("Rows", "2"), ("Channel", "command line")]),
    # Names the labels do not know yet (an older entry) are shown as they are.
    ({"export": "gone", "format": "xlsx", "rows": 0, "channel": "fax",
      "filters": {"colour": "red"}},
     [("Export", "gone"), ("File format", "xlsx"), ("Filters", "colour: red"), ("Rows", "0"),
      ("Channel", "fax")]),
    ({"reason": "moved", "count": 2}, [("reason", "moved"), ("count", "2")]),
])
def test_an_entrys_details_are_described_for_people(app, details, shown):
    with app.test_request_context(), force_locale("en"):
        assert audit.describe(details) == shown


def test_changes_to_operational_records_are_not_audited(app):
    with app.app_context():
        run = JobRun(job="flags", run_on=date(2026, 6, 17),
                     started_at=datetime(2026, 6, 17, 4, tzinfo=timezone.utc),
                     status=RunStatus.RUNNING)
        db.session.add(run)
        db.session.commit()
        run.status = RunStatus.DONE
        db.session.commit()
        db.session.delete(run)
        db.session.commit()
    assert entries(app) == []
