"""The flag-rule catalogue is the one list of rules: the pass judges by it, the admin page
sets its thresholds within its ranges, the pages show its texts, and a rule it lists
without a stored row gets one."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.flags import catalogue
from consultancy.flags.catalogue import CASE, DAYS, Action, FlagRuleSpec, Parameter
from consultancy.flags.services import stored_rules
from consultancy.models import EngagementStatus, Flag, FlagRule, Role, Severity
from tests.conftest import TODAY


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def no_session_yet(facts, params: dict, today: date):
    """A rule's condition as the catalogue holds them: pure, facts in."""
    if not facts.is_open or facts.start_date is None or facts.first_session_on is not None:
        return None
    due = facts.start_date + timedelta(days=params["days"])
    return {"since": facts.start_date.isoformat()} if today >= due else None


# A new rule, all of it: what a developer adds to the catalogue (with lazy texts there).
NO_SESSION_YET = FlagRuleSpec(
    "no_session_yet", CASE, no_session_yet, Severity.INFO,
    "No session yet", "The case has started, but no session has been held.",
    lambda detail: f"Started {detail['since']} without a session",
    lambda flag: Action("Log the first session", "engagements.session_new",
                        {"engagement_id": flag.engagement_id}),
    (Parameter("days", "Days after the start", DAYS, 1, 90, 14),))


def open_flags(app, rule_code: str) -> list[Flag]:
    with app.app_context():
        flags = db.session.scalars(sa.select(Flag).where(
            Flag.rule_code == rule_code, Flag.is_open)).all()
        db.session.expunge_all()
        return flags


def test_the_catalogue_lists_the_rules_the_migrations_stored_with_their_defaults(app):
    with app.app_context():
        rules = db.session.scalars(sa.select(FlagRule).order_by(FlagRule.position)).all()
        assert [rule.code for rule in rules] == list(catalogue.CATALOGUE)
        for rule in rules:
            spec = catalogue.CATALOGUE[rule.code]
            assert (rule.severity, rule.params, rule.type_params) == (
                spec.severity, spec.defaults, spec.type_defaults), rule.code
            assert all(p.minimum <= p.default <= p.maximum for p in spec.parameters)
        assert stored_rules().keys() == catalogue.CATALOGUE.keys()  # nothing to store


def test_a_rule_added_to_the_catalogue_is_stored_judged_shown_and_editable(
        app, monkeypatch, runner, make_case, login_client):
    engagement_id = make_case(type_code="one_year", status=EngagementStatus.ACTIVE,
                              start=-20, new_consultants=2)
    monkeypatch.setitem(catalogue.CATALOGUE, NO_SESSION_YET.code, NO_SESSION_YET)

    # The pass stores the rule with its defaults, after the others, and judges by it.
    result = runner.invoke(args=["flags", "run", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    [flag] = open_flags(app, "no_session_yet")
    assert (flag.engagement_id, flag.detail) == (engagement_id, {"since": days(-20).isoformat()})
    with app.app_context():
        stored = db.session.get(FlagRule, "no_session_yet")
        assert (stored.position, stored.severity, stored.enabled, stored.params) == (
            len(catalogue.CATALOGUE), Severity.INFO, True, {"days": 14})

    # Its texts: the name, the message from the detail and the resolving action.
    page = login_client(Role.TEAM, language="en").get("/flags/").get_data(as_text=True)
    assert "No session yet" in page and f"Started {days(-20).isoformat()} without a session" \
        in page
    assert f'href="/engagements/{engagement_id}/sessions/new">Log the first session' in page

    # The admin page lists it with its description and threshold, and sets it in range.
    admin = login_client(Role.ADMIN)
    listing = admin.get("/admin/flag-rules").get_data(as_text=True)
    assert 'href="/admin/flag-rules/no_session_yet">No session yet' in listing
    assert "The case has started, but no session has been held." in listing
    assert "Days after the start: 14 dage" in listing
    url = "/admin/flag-rules/no_session_yet"
    form = {"severity": "warning", "enabled": "y", "days": "91", "one_year-days": "",
            "mini-days": ""}
    refused = admin.post(url, data=form)
    assert refused.status_code == 400
    assert "Skriv et helt tal fra 1 til 90." in refused.get_data(as_text=True)
    assert admin.post(url, data=form | {"days": "30"}).status_code == 302

    # The next pass judges with the new threshold (20 days < 30): the flag is resolved,
    # and the stored row is neither stored again nor reset.
    result = runner.invoke(args=["flags", "run", "--today", TODAY.isoformat()])
    assert result.output.strip().endswith("raised 0, resolved 1, open 0"), result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FlagRule).where(
            FlagRule.code == "no_session_yet")) == 1
        stored = db.session.get(FlagRule, "no_session_yet")
        assert (stored.severity, stored.params) == (Severity.WARNING, {"days": 30})


def test_a_threshold_the_stored_row_lacks_is_judged_by_its_default(app, make_case,
                                                                   monkeypatch):
    """A threshold added to an existing rule needs no migration either."""
    engagement_id = make_case(type_code="one_year", status=EngagementStatus.ACTIVE,
                              start=-20, new_consultants=2)
    monkeypatch.setitem(catalogue.CATALOGUE, NO_SESSION_YET.code, NO_SESSION_YET)
    with app.app_context():
        stored_rules()
        db.session.execute(sa.update(FlagRule).where(FlagRule.code == "no_session_yet")
                           .values(params={}))
        db.session.commit()
        from consultancy.flags.services import evaluate
        evaluate(TODAY, [engagement_id])
        db.session.commit()
    assert len(open_flags(app, "no_session_yet")) == 1


def test_a_stored_rule_no_longer_listed_is_shown_by_its_code_and_judges_nothing(
        app, monkeypatch, runner, make_case, admin_client):
    make_case(type_code="one_year", status=EngagementStatus.ACTIVE, start=-10,
              new_consultants=1)  # one consultant of two: team_incomplete holds
    assert len(open_flags(app, "team_incomplete")) == 1
    monkeypatch.delitem(catalogue.CATALOGUE, "team_incomplete")
    result = runner.invoke(args=["flags", "run", "--today", TODAY.isoformat()])
    assert result.output.strip().endswith("raised 0, resolved 1, open 0"), result.output
    listing = admin_client.get("/admin/flag-rules").get_data(as_text=True)
    assert 'href="/admin/flag-rules/team_incomplete">team_incomplete</a>' in listing
    assert admin_client.get("/admin/flag-rules/team_incomplete").status_code == 200

