"""Administrators set the flag rules: severity, on/off, thresholds and per-type thresholds."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import AuditEntry, EngagementType, Flag, FlagRule, Role, Severity, User

RULE_URL = "/admin/flag-rules/no_recent_activity"
TODAY = date(2026, 3, 2)


def rule(app, code: str) -> FlagRule:
    with app.app_context():
        found = db.session.get(FlagRule, code)
        db.session.expunge(found)
        return found


def no_recent_activity(**changes) -> dict:
    return {"severity": "warning", "enabled": "y", "days": "42", "one_year-days": "",
            "mini-days": "30", **changes}


def test_admin_sees_every_rule_in_order_with_its_thresholds(admin_client):
    page = admin_client.get("/admin/flag-rules").get_data(as_text=True)
    links = [page.index(f'href="/admin/flag-rules/{code}"') for code in (
        "baseline_missing", "no_recent_activity", "hours_nearly_used", "hours_exceeded",
        "midway_status_missing", "end_assessment_due", "overdue_close", "team_incomplete",
        "review_overdue")]
    assert links == sorted(links)
    assert "Der er ikke holdt en session i et stykke tid" in page  # a rule's description
    assert "Dage uden session: 42 dage; Minivejledningsforløb: 30 dage" in page
    assert "Andel af timebudgettet: 80 %" in page
    assert "Måneder efter starten: 6 måneder" in page and "Dages henstand: 14 dage" in page
    assert "Advarsel" in page and "Kritisk" in page and "Slået til" in page
    assert 'href="/admin/flag-rules"' in page  # the admin menu links here


def test_the_form_shows_the_current_values_and_a_field_per_type(admin_client):
    page = admin_client.get(RULE_URL).get_data(as_text=True)
    assert 'name="days"' in page and 'value="42"' in page
    assert 'name="mini-days"' in page and 'value="30"' in page
    assert 'name="one_year-days"' in page
    assert "Etårigt rådgivnings- og vejledningsforløb" in page
    assert "næste flaggennemgang" in page


def test_application_rules_and_rules_without_thresholds_have_no_fields_per_type(admin_client):
    page = admin_client.get("/admin/flag-rules/review_overdue").get_data(as_text=True)
    assert 'name="days"' in page and 'name="mini-days"' not in page
    page = admin_client.get("/admin/flag-rules/team_incomplete").get_data(as_text=True)
    assert 'name="severity"' in page and 'type="number"' not in page


def test_admin_changes_severity_a_threshold_and_a_type_threshold(app, admin_client):
    response = admin_client.post(RULE_URL, data=no_recent_activity(
        severity="critical", days="50", **{"one_year-days": "60", "mini-days": ""}))
    assert response.status_code == 302 and response.location == "/admin/flag-rules"
    saved = rule(app, "no_recent_activity")
    assert saved.severity is Severity.CRITICAL and saved.enabled
    assert saved.params == {"days": 50}
    assert saved.type_params == {"one_year": {"days": 60}}  # the emptied mini value is gone
    page = admin_client.get("/admin/flag-rules").get_data(as_text=True)
    assert "Dage uden session: 50 dage; Etårigt rådgivnings- og vejledningsforløb: 60 dage" \
        in page
    page = admin_client.get(RULE_URL).get_data(as_text=True)
    assert '<option selected value="critical">' in page and 'value="60"' in page


def test_a_rule_can_be_switched_off(app, admin_client):
    response = admin_client.post(RULE_URL, data={
        key: value for key, value in no_recent_activity().items() if key != "enabled"})
    assert response.status_code == 302
    assert not rule(app, "no_recent_activity").enabled
    assert "Slået fra" in admin_client.get("/admin/flag-rules").get_data(as_text=True)


def test_a_change_is_audited(app, admin_client):
    admin_client.post(RULE_URL, data=no_recent_activity(days="50"))
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name == "flag_rules",
            AuditEntry.record_id == "no_recent_activity")).one()
    assert entry.action == "update" and entry.actor_id == admin_client.user.id
    assert set(entry.changes) == {"params"}
    assert entry.changes["params"] == [{"days": 42}, {"days": 50}]  # JSON, old and new


@pytest.mark.parametrize("changes, field, message", [
    ({"days": "0"}, "days", "Skriv et helt tal fra 1 til 365."),
    ({"days": "abc"}, "days", "Ikke et gyldigt heltal."),
    ({"days": ""}, "days", "Skriv en værdi."),
    ({"mini-days": "1000"}, "mini-days", "Skriv et helt tal fra 1 til 365."),
    ({"mini-days": "2,5"}, "mini-days", "Ikke et gyldigt heltal."),
    ({"severity": "fatal"}, "severity", "Ikke et gyldigt valg."),
])
def test_bad_values_are_refused_next_to_the_field_and_kept(app, admin_client, changes, field,
                                                          message):
    before = rule(app, "no_recent_activity")
    response = admin_client.post(RULE_URL, data=no_recent_activity(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page[page.index(f'id="{field}-error"'):]
    assert error[:error.index("</div>")].count(message) == 1
    if field != "severity":
        assert f'value="{changes[field]}"' in page  # what was typed is kept
    after = rule(app, "no_recent_activity")
    assert (after.severity, after.params, after.type_params) == (
        before.severity, before.params, before.type_params)


def test_unknown_rule_is_404(admin_client):
    assert admin_client.get("/admin/flag-rules/no_such_rule").status_code == 404
    assert admin_client.post("/admin/flag-rules/no_such_rule",
                             data=no_recent_activity()).status_code == 404


@pytest.mark.parametrize("role", [Role.TEAM, Role.CONSULTANT, Role.EVALUATOR])
def test_only_admins_may_see_or_change_the_rules(app, login_client, role):
    client = login_client(role)
    assert client.get("/admin/flag-rules").status_code == 403
    assert client.get(RULE_URL).status_code == 403
    assert client.post(RULE_URL, data=no_recent_activity(days="1")).status_code == 403
    assert rule(app, "no_recent_activity").params == {"days": 42}


def test_the_service_refuses_what_the_form_cannot_send(app):
    from consultancy.admin.services import UserError, update_flag_rule

    with app.test_request_context():
        setting = db.session.get(FlagRule, "no_recent_activity")
        for params, type_params, field in [
            ({"days": True}, {}, "days"),
            ({"days": 42, "weeks": 2}, {}, "weeks"),
            ({}, {}, "days"),
            ({"days": 42}, {"mini": {"days": 0}}, "mini-days"),
            ({"days": 42}, {"no_such_type": {"days": 10}}, None),
        ]:
            with pytest.raises(UserError) as refused:
                update_flag_rule(setting, Severity.WARNING, True, params, type_params)
            assert refused.value.field == field
        review = db.session.get(FlagRule, "review_overdue")
        with pytest.raises(UserError):
            update_flag_rule(review, Severity.WARNING, True, {"days": 14},
                             {"mini": {"days": 7}})


def _quiet_mini_case(app, consultant_id: int, held_days_ago: int) -> int:
    """A mini case started 60 days before TODAY, its one session held `held_days_ago`."""
    from consultancy.engagements import services as cases
    from consultancy.models import DaycareUnit, MemberRole, Ownership, SessionFormat, UnitKind
    from consultancy.services.clock import utcnow

    with app.test_request_context():
        mini = db.session.scalar(sa.select(EngagementType).where(EngagementType.code == "mini"))
        consultant = db.session.get(User, consultant_id)
        unit = DaycareUnit(name="Børnehuset Mælkebøtten", municipality_code=773,
                           ownership=Ownership.SELF_OWNED, kind=UnitKind.INTEGRATED,
                           children=40)
        engagement = cases.create_case(mini, 773, "Børnehuset Mælkebøtten",
                                       TODAY - timedelta(days=60), [unit], None, utcnow())
        cases.assign_consultant(engagement, consultant, MemberRole.LEAD,
                                TODAY - timedelta(days=60))
        db.session.flush()
        cases.log_session(engagement, cases.SessionData(
            held_on=TODAY - timedelta(days=held_days_ago), hours=Decimal("2"),
            format=SessionFormat.KICKOFF, sub_format=None, consultant_ids=[consultant.id],
            unit_ids=[unit.id], summary="Opstart med lederen."), consultant, TODAY)
        db.session.commit()
        return engagement.id


def _flagged(app, engagement_id: int) -> bool:
    from consultancy.flags.services import evaluate

    with app.app_context():
        evaluate(TODAY)
        db.session.commit()
        return db.session.scalar(sa.select(Flag.id).where(
            Flag.rule_code == "no_recent_activity", Flag.engagement_id == engagement_id,
            Flag.resolved_on.is_(None))) is not None


def test_the_flag_pass_uses_the_new_threshold_for_the_type(app, admin_client, make_user):
    engagement_id = _quiet_mini_case(app, make_user(Role.CONSULTANT).id, held_days_ago=35)
    assert _flagged(app, engagement_id)  # 35 days without a session; mini allows 30

    admin_client.post(RULE_URL, data=no_recent_activity(**{"mini-days": "40"}))
    assert not _flagged(app, engagement_id)  # the open flag is resolved

    admin_client.post(RULE_URL, data=no_recent_activity(**{"mini-days": "", "days": "35"}))
    assert _flagged(app, engagement_id)  # without its own value, mini takes the general one
