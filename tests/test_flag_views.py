"""What people see of flags and do with them: the flags page, a flag's page (acknowledge,
snooze), the bell, the banner on a case, the timeline and the start page.

Flags are raised the way the app raises them: cases are made with dates in the past and
the commit brings their flags up to date (`consultancy.flags.refresh`); the applications'
flags come from a full pass (`evaluate`).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from consultancy.extensions import db
from consultancy.flags.services import evaluate
from consultancy.models import (
    Application,
    AuditEntry,
    Engagement,
    Flag,
    FlagEvent,
    Role,
    SessionFormat,
    User,
)
from consultancy.services.clock import utcnow
from tests.conftest import TODAY
from tests.test_applications import errors_of


def english(day) -> str:
    return format_date(day, "d MMM yyyy", locale="en")


def danish(day) -> str:
    return format_date(day, "dd-MM-yyyy", locale="da")


# The usual case here, for `make_case`: a one-year course in Glostrup that started 60 days
# ago with nothing logged, so it lacks its baseline, has had no session and has one
# consultant of two (three warnings).
QUIET_CASE = dict(type_code="one_year", municipality=161, applicant="Glostrup Kommune",
                  start=-60)


@pytest.fixture
def over_budget(make_case, make_user):
    """A mini course in Morsø whose consultant has used 11 of its 10 hours: one critical
    flag (past 100 % only 'exceeded' holds, not 'nearly used')."""
    def make(consultant: User | None = None) -> int:
        consultant = consultant or make_user(Role.CONSULTANT)
        return make_case(type_code="mini", start=-20, applicant="Morsø Kommune",
                         municipality=773, consultants=[consultant],
                         sessions=[(-15, 11, SessionFormat.KICKOFF)])
    return make


@pytest.fixture
def waiting_application(app, make_application):
    """A mini application that arrived 20 days ago and is not decided: the daily pass flags
    it (review overdue after 14 days)."""
    def make() -> int:
        application_id = make_application()
        with app.test_request_context():
            application = db.session.get(Application, application_id)
            application.submitted_at = utcnow() - timedelta(days=20)
            evaluate(TODAY)
            db.session.commit()
        return application_id
    return make


def open_rules(app, engagement_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Flag.rule_code).where(
            Flag.engagement_id == engagement_id, Flag.resolved_on.is_(None))))


def flag_id(app, rule: str, engagement_id: int | None = None) -> int:
    with app.app_context():
        query = sa.select(Flag.id).where(Flag.rule_code == rule)
        if engagement_id is not None:
            query = query.where(Flag.engagement_id == engagement_id)
        return db.session.scalar(query)


def reference(app, engagement_id: int) -> str:
    with app.app_context():
        return db.session.get(Engagement, engagement_id).reference


def rows(page: str) -> list[str]:
    return re.findall(r'<tr class="flag-row">(.*?)</tr>', page, re.S)


def bell(page: str) -> str:
    found = re.search(r'class="[^"]*flag-bell[^"]*"[^>]*aria-label="([^"]+)"', page)
    return found.group(1) if found else ""


# --- the flags page ------------------------------------------------------------------------

def test_team_sees_every_flag_most_severe_first_in_words_and_marks(
        app, login_client, make_user, make_case, over_budget, waiting_application):
    anna = make_user(Role.CONSULTANT, name="Anna")
    glostrup = make_case(consultants=[anna], **QUIET_CASE)
    morsoe = over_budget()
    application_id = waiting_application()
    assert open_rules(app, glostrup) == {"baseline_missing", "no_recent_activity",
                                         "team_incomplete"}
    assert open_rules(app, morsoe) == {"hours_exceeded"}

    page = login_client(Role.TEAM, language="en").get("/flags/").get_data(as_text=True)
    found = rows(page)
    assert len(found) == 5
    first = found[0]
    assert "‼" in first and "Critical" in first and "Hour budget exceeded" in first
    assert "11 of 10 hours used" in first
    assert f'href="/engagements/{morsoe}"' in first and reference(app, morsoe) in first
    assert "Morsø Kommune" in first
    assert "Review the hour budget" in first  # team may change the budget
    assert all("⚠" in row and "Warning" in row for row in found[1:])
    started = english(TODAY - timedelta(days=60))
    assert any(f"No session since the start on {started} (60 days)" in row for row in found)
    waiting = next(row for row in found if "Application awaiting a decision" in row)
    assert f'href="/applications/{application_id}"' in waiting
    assert f"Ready for a decision since {english(TODAY - timedelta(days=20))}" in waiting
    assert "Review the application" in waiting


def test_a_consultant_sees_only_the_flags_of_their_own_cases(
        app, login_client, make_user, make_case, over_budget, waiting_application,
        evaluator_client):
    anna = make_user(Role.CONSULTANT, name="Anna", language="en")
    mine = make_case(consultants=[anna], **QUIET_CASE)
    theirs = over_budget()
    waiting_application()
    page = login_client(user=anna).get("/flags/").get_data(as_text=True)
    assert len(rows(page)) == 3
    assert reference(app, mine) in page and reference(app, theirs) not in page
    assert "Application awaiting a decision" not in page
    assert 'id="filter-consultant"' not in page  # no filter by consultant for consultants
    # A consultant cannot widen the list by asking for someone else's cases.
    other = login_client(Role.CONSULTANT).user
    assert len(rows(login_client(user=anna).get(
        f"/flags/?consultant={other.id}").get_data(as_text=True))) == 3
    assert evaluator_client.get("/flags/").status_code == 403


@pytest.mark.parametrize("query, expected", [
    ("severity=critical", {"hours_exceeded"}),
    ("rule=team_incomplete", {"team_incomplete"}),
    ("consultant={bo}", {"hours_exceeded"}),
    ("reference={glostrup}", {"baseline_missing", "no_recent_activity", "team_incomplete"}),
    ("state=snoozed", set()),
    ("state=resolved", set()),
    ("severity=nonsense&state=nonsense", {"baseline_missing", "no_recent_activity",
                                          "team_incomplete", "hours_exceeded"}),
])
def test_the_flags_page_filters(app, login_client, make_user, make_case, over_budget,
                                query, expected):
    anna, bo = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    glostrup = make_case(consultants=[anna], **QUIET_CASE)
    over_budget(bo)
    names = {"hours_exceeded": "Hour budget exceeded", "team_incomplete": "Team incomplete",
             "baseline_missing": "Baseline missing", "no_recent_activity": "No recent activity"}
    url = "/flags/?" + query.format(bo=bo.id, glostrup=reference(app, glostrup)[-6:])
    page = login_client(Role.TEAM, language="en").get(url).get_data(as_text=True)
    shown = {code for code, name in names.items()
             if any(f">{name}</a>" in row for row in rows(page))}
    assert shown == expected
    if not expected:
        assert "No flags match the filter." in page


def test_the_flags_page_runs_as_many_queries_for_many_flags_as_for_few(
        app, login_client, make_user, make_case, over_budget, waiting_application,
        assert_constant_queries):
    anna = make_user(Role.CONSULTANT)
    make_case(consultants=[anna], **QUIET_CASE)
    waiting_application()

    def grow():
        for _ in range(6):
            make_case(consultants=[anna], **QUIET_CASE)
            over_budget(anna)
        waiting_application()

    page = assert_constant_queries(login_client(Role.TEAM), "/flags/", grow)
    assert len(rows(page)) == 25 and "29 rækker" in page  # 7 × 3 + 6 + 2 flags, paged
    assert_constant_queries(login_client(user=anna), "/flags/?state=all",
                            lambda: make_case(consultants=[anna], **QUIET_CASE))
    assert_constant_queries(login_client(user=anna), "/", lambda: over_budget(anna))


# --- the bell ------------------------------------------------------------------------------

def test_the_bell_says_how_many_flags_need_attention(app, login_client, make_user,
                                                      make_case, evaluator_client):
    anna = make_user(Role.CONSULTANT, language="en")
    make_case(consultants=[anna], **QUIET_CASE)
    client = login_client(user=anna)
    page = client.get("/").get_data(as_text=True)
    assert bell(page) == "3 flags need attention"
    assert "bell-icon" in page and 'href="/flags/"' in page
    client.post(f"/flags/{flag_id(app, 'team_incomplete')}", data={
        "acknowledge-comment": "Bo starter i næste måned.", "acknowledge-submit": "y"})
    assert bell(client.get("/").get_data(as_text=True)) == "2 flags need attention"
    # Someone else's case is not on this consultant's bell; the team sees every flag.
    make_case(consultants=[make_user(Role.CONSULTANT)], **QUIET_CASE)
    assert bell(client.get("/").get_data(as_text=True)) == "2 flags need attention"
    assert bell(login_client(Role.TEAM, language="en").get("/").get_data(
        as_text=True)) == "5 flags need attention"
    assert "flag-bell" not in evaluator_client.get("/").get_data(as_text=True)


# --- acknowledging and snoozing ------------------------------------------------------------

def test_acknowledging_needs_a_comment_and_is_recorded(app, login_client, make_user,
                                                       make_case):
    anna = make_user(Role.CONSULTANT, language="en")
    case_id = make_case(consultants=[anna], **QUIET_CASE)
    flag = flag_id(app, "team_incomplete")
    client = login_client(user=anna)
    page = client.get(f"/flags/{flag}?next=/engagements/{case_id}").get_data(as_text=True)
    assert "Team incomplete" in page and "1 of 2 consultants on the case" in page

    response = client.post(f"/flags/{flag}?next=/engagements/{case_id}", data={
        "acknowledge-comment": "   ", "acknowledge-submit": "y"})
    assert response.status_code == 400
    assert "Say what is being done about it." in errors_of(
        response.get_data(as_text=True))["acknowledge-comment"]

    response = client.post(f"/flags/{flag}?next=/engagements/{case_id}", data={
        "acknowledge-comment": "Team Dagtilbud finder en konsulent mere.",
        "acknowledge-submit": "y"})
    assert response.status_code == 302 and response.location == f"/engagements/{case_id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "The flag is acknowledged." in page
    assert "Team Dagtilbud finder en konsulent mere." in page  # in the banner and timeline

    active = client.get("/flags/").get_data(as_text=True)
    assert "Team incomplete" not in "".join(rows(active))
    acknowledged = client.get("/flags/?state=acknowledged").get_data(as_text=True)
    assert len(rows(acknowledged)) == 1
    assert "Team Dagtilbud finder en konsulent mere." in acknowledged

    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name.in_(("flags", "flag_events")),
            AuditEntry.actor_id.is_not(None))).all()
        assert {(e.table_name, e.action, e.actor_id) for e in entries} == {
            ("flags", "update", anna.id), ("flag_events", "create", anna.id)}
        update = next(e for e in entries if e.table_name == "flags")
        assert update.changes["acknowledgement"][1] == "Team Dagtilbud finder en konsulent mere."


def test_snoozing_in_danish_shows_the_mistake_by_the_field_and_keeps_the_comment(
        app, login_client, make_user, make_case):
    anna = make_user(Role.CONSULTANT)  # Danish
    make_case(consultants=[anna], **QUIET_CASE)
    flag = flag_id(app, "no_recent_activity")
    response = login_client(user=anna).post(f"/flags/{flag}", data={
        "snooze-until": "", "snooze-comment": "Kommunen holder ferielukket.",
        "snooze-submit": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Skriv datoen." in errors_of(page)["snooze-until"]
    assert "Kommunen holder ferielukket.</textarea>" in page


def test_a_snoozed_flag_leaves_the_lists_until_its_day(app, login_client, make_user,
                                                      make_case, clock):
    anna = make_user(Role.CONSULTANT, language="en")
    case_id = make_case(consultants=[anna], **QUIET_CASE)
    flag = flag_id(app, "no_recent_activity")
    client = login_client(user=anna)

    response = client.post(f"/flags/{flag}", data={
        "snooze-until": (TODAY - timedelta(days=1)).isoformat(),
        "snooze-comment": "Ferie", "snooze-submit": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a day after today." in errors_of(page)["snooze-until"]
    assert f'value="{(TODAY - timedelta(days=1)).isoformat()}"' in page

    week = TODAY + timedelta(days=7)
    response = client.post(f"/flags/{flag}?next=https://evil.example/", data={
        "snooze-until": week.isoformat(), "snooze-comment": "Ferie", "snooze-submit": "y"})
    assert response.status_code == 302 and response.location == f"/flags/{flag}"
    page = client.get(response.location).get_data(as_text=True)
    assert f"The flag is snoozed until {english(week)}." in page
    assert f"Snoozed until {english(week)}" in page

    assert "No recent activity" not in "".join(rows(client.get("/flags/").get_data(
        as_text=True)))
    snoozed = client.get("/flags/?state=snoozed").get_data(as_text=True)
    assert "No recent activity" in snoozed and f"Snoozed until {english(week)}" in snoozed
    assert bell(client.get("/").get_data(as_text=True)) == "2 flags need attention"
    case_page = client.get(f"/engagements/{case_id}").get_data(as_text=True)
    banner = case_page.split('class="flag-banner', 1)[1].split("</section>", 1)[0]
    assert "No recent activity" not in banner and "Baseline missing" in banner

    clock.shift(timedelta(days=7))  # the whole app sees the day the snooze ends
    client = login_client(user=anna)  # a week on, the old session has expired
    assert "No recent activity" in "".join(rows(client.get("/flags/").get_data(
        as_text=True)))
    assert bell(client.get("/").get_data(as_text=True)) == "3 flags need attention"

    with app.app_context():
        event = db.session.scalar(sa.select(FlagEvent))
        assert (event.kind.value, event.snoozed_until, event.comment) == ("snoozed", week,
                                                                          "Ferie")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.table_name == "flag_events", AuditEntry.action == "create")) == 1


def test_who_may_see_and_act_on_a_flag(app, login_client, make_user, make_case,
                                      waiting_application):
    anna = make_user(Role.CONSULTANT)
    make_case(consultants=[anna], **QUIET_CASE)
    application_id = waiting_application()
    flag = flag_id(app, "team_incomplete")
    waiting = flag_id(app, "review_overdue")
    ack = {"acknowledge-comment": "Set", "acknowledge-submit": "y"}

    stranger = login_client(Role.CONSULTANT)
    assert stranger.get(f"/flags/{flag}").status_code == 403
    assert stranger.post(f"/flags/{flag}", data=ack).status_code == 403
    assert login_client(user=anna).get(f"/flags/{waiting}").status_code == 403
    assert login_client(user=anna).get("/flags/999").status_code == 404

    login_client(user=anna).post(f"/flags/{flag}", data={
        "acknowledge-comment": "Intern bemærkning om teamet", "acknowledge-submit": "y"})
    evaluator_client = login_client(Role.EVALUATOR, language="en")
    page = evaluator_client.get(f"/flags/{flag}").get_data(as_text=True)
    assert "Team incomplete" in page and "acknowledge-comment" not in page
    assert "You can read this flag but not act on it." in page
    # Evaluators read that it was acknowledged, not by whom, and no free text.
    assert "Acknowledged" in page and "Acknowledged by" not in page
    assert "Intern bemærkning om teamet" not in page
    assert evaluator_client.post(f"/flags/{flag}", data=ack).status_code == 403

    team = login_client(Role.TEAM, language="en")
    page = team.get(f"/flags/{waiting}").get_data(as_text=True)
    assert f'href="/applications/{application_id}"' in page
    assert "Review the application" in page and "acknowledge-comment" in page
    assert team.post(f"/flags/{waiting}", data={
        "acknowledge-comment": "Afgøres på mødet torsdag.",
        "acknowledge-submit": "y"}).status_code == 302


# --- the case page, its timeline and the start page ---------------------------------------

def test_the_case_banner_offers_the_step_that_resolves_each_flag(
        app, login_client, make_user, make_case):
    anna = make_user(Role.CONSULTANT, language="en")
    case_id = make_case(consultants=[anna], **QUIET_CASE)
    client = login_client(user=anna)
    page = client.get(f"/engagements/{case_id}").get_data(as_text=True)
    banner = page.split('class="flag-banner', 1)[1].split("</section>", 1)[0]
    assert "3 open flags" in banner
    assert "Baseline missing" in banner and "⚠" in banner and "Warning" in banner
    assert (f'href="/engagements/{case_id}/sessions/new?format=kickoff">'
            "Log the kick-off meeting (baseline)" in banner)
    form = client.get(f"/engagements/{case_id}/sessions/new?format=kickoff").get_data(
        as_text=True)
    assert '<option selected value="kickoff">' in form
    assert "Log or plan a session" in banner
    assert "Add a consultant" not in banner  # the team is Team Dagtilbud's to set
    assert "Acknowledge or snooze" in banner

    team_banner = login_client(Role.TEAM, language="en").get(
        f"/engagements/{case_id}").get_data(as_text=True).split('class="flag-banner', 1)[1]
    assert f'href="/engagements/{case_id}#team">Add a consultant' in team_banner

    evaluator = login_client(Role.EVALUATOR, language="en").get(
        f"/engagements/{case_id}").get_data(as_text=True)
    evaluator_banner = evaluator.split('class="flag-banner', 1)[1].split("</section>", 1)[0]
    assert "Baseline missing" in evaluator_banner and "Details" in evaluator_banner
    assert "sessions/new" not in evaluator_banner
    assert "Acknowledge or snooze" not in evaluator_banner

    # Logging the kick-off resolves the baseline flag at once.
    with app.app_context():
        unit_id = db.session.get(Engagement, case_id).units[0].unit_id
    response = client.post(f"/engagements/{case_id}/sessions/new", data={
        "held_on": TODAY.isoformat(), "hours": "2", "format": "kickoff", "sub_format": "",
        "consultant_ids": str(anna.id), "unit_ids": str(unit_id),
        "summary": "Opstart og førmåling med lederne.", "leaders": "1",
        "pedagogical_staff": "4", "assistants": "0", "municipal_consultants": "0"})
    assert response.status_code == 302, errors_of(response.get_data(as_text=True))
    assert open_rules(app, case_id) == {"team_incomplete"}
    page = client.get(f"/engagements/{case_id}").get_data(as_text=True)
    banner = page.split('class="flag-banner', 1)[1].split("</section>", 1)[0]
    assert "1 open flag" in banner and "Baseline missing" not in banner
    assert "Flag resolved" in page


def test_the_case_page_shows_the_stored_phase(app, login_client, make_user, make_case):
    anna = make_user(Role.CONSULTANT)
    case_id = make_case(consultants=[anna], **QUIET_CASE)
    client = login_client(user=anna)
    assert "Fase: Gennemførelse" in client.get(f"/engagements/{case_id}").get_data(
        as_text=True)
    with app.app_context():  # as if the daily pass had moved it on
        db.session.execute(sa.update(Engagement).where(Engagement.id == case_id)
                           .values(phase="closing"))
        db.session.commit()
    assert "Fase: Afslutning" in client.get(f"/engagements/{case_id}").get_data(as_text=True)
    assert "Fase: Afslutning" in client.get("/").get_data(as_text=True)


def test_the_timeline_tells_phases_and_what_was_done_with_flags(
        app, login_client, make_user, make_case):
    anna = make_user(Role.CONSULTANT, name="Anna", language="en")
    case_id = make_case(consultants=[anna], **QUIET_CASE)
    client = login_client(user=anna)
    flag = flag_id(app, "team_incomplete")
    client.post(f"/flags/{flag}", data={
        "acknowledge-comment": "Vi venter på en ny kollega.", "acknowledge-submit": "y"})
    client.post(f"/flags/{flag_id(app, 'no_recent_activity')}", data={
        "snooze-until": (TODAY + timedelta(days=10)).isoformat(),
        "snooze-comment": "Sommerferie", "snooze-submit": "y"})

    page = client.get(f"/engagements/{case_id}").get_data(as_text=True)
    timeline = page.split('id="timeline-heading"', 1)[1]
    assert "▶</span> Phase" in timeline and "Entered phase Implementation" in timeline
    assert "⚑</span> Flag raised" in timeline and "Team incomplete" in timeline
    assert "✓</span> Flag acknowledged" in timeline and "Vi venter på en ny kollega." in timeline
    assert "⏸</span> Flag snoozed" in timeline
    assert f"until {english(TODAY + timedelta(days=10))} · by Anna" in timeline
    assert "Sommerferie" in timeline

    evaluator = login_client(Role.EVALUATOR, language="en").get(
        f"/engagements/{case_id}").get_data(as_text=True)
    timeline = evaluator.split('id="timeline-heading"', 1)[1]
    assert "Flag acknowledged" in timeline and "Flag snoozed" in timeline
    assert "Vi venter på en ny kollega." not in evaluator and "Sommerferie" not in evaluator


def test_the_consultants_start_page_puts_what_needs_attention_first(
        app, login_client, make_user, make_case):
    anna = make_user(Role.CONSULTANT, language="en")
    make_case(consultants=[anna], **QUIET_CASE)
    page = login_client(user=anna).get("/").get_data(as_text=True)
    assert page.index("Needs attention") < page.index("My active cases")
    attention = page.split('id="attention-heading"', 1)[1].split("</section>", 1)[0]
    assert attention.count("attention-item") == 3
    assert "Log the kick-off meeting (baseline)" in attention
    assert "Glostrup Kommune" in attention

    calm = login_client(Role.CONSULTANT, language="en").get("/").get_data(as_text=True)
    assert "Nothing needs attention on your cases." in calm


def test_the_team_start_page_counts_flags_by_severity(app, login_client, make_user,
                                                     make_case, over_budget):
    make_case(consultants=[make_user(Role.CONSULTANT)], **QUIET_CASE)
    over_budget()
    page = login_client(Role.TEAM, language="en").get("/").get_data(as_text=True)
    counts = page.split('id="flag-counts-heading"', 1)[1].split("</section>", 1)[0]
    found = dict(re.findall(
        r'href="/flags/\?severity=(\w+)">.*?<span class="flag-count">(\d+)</span>', counts,
        re.S))
    assert found == {"critical": "1", "warning": "3", "info": "0"}
    assert "Critical" in counts and "‼" in counts
