"""Facts about a case written once and read everywhere: the share of the hour budget at which
a case warns (the flag rule's setting), the hours used (one SQL sum, kept on the case with its
last and next session), who is currently on the case (one hybrid, in Python and in SQL)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from consultancy.engagements.activity import KEPT
from consultancy.engagements.queries import CONSULTANT_HOURS, case_budget, case_query
from consultancy.engagements.services import budget_for_decision
from consultancy.extensions import db
from consultancy.flags.services import case_rows, evaluate
from consultancy.models import (
    AuditEntry,
    Engagement,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    Flag,
    MemberRole,
    Role,
    SessionConsultant,
    SessionStatus,
)
from consultancy.rules.engagements import HOURS_COUNTED, PLANNED, HeldSession, budget
from tests.conftest import TODAY
from tests.test_rules_engagements import MEMBERSHIPS

NEARLY_USED_URL = "/admin/flag-rules/hours_nearly_used"


def set_nearly_used(admin_client, percent: int, mini: int | None = None) -> None:
    response = admin_client.post(NEARLY_USED_URL, data={
        "severity": "info", "enabled": "y", "percent": str(percent), "one_year-percent": "",
        "mini-percent": "" if mini is None else str(mini)})
    assert response.status_code == 302


def row_of(page: str, reference: str) -> str:
    rows = page.split("<tbody>", 1)[1]
    start = rows.index(reference)
    return rows[start:rows.index("</tr>", start)]


def reference_of(app, engagement_id: int) -> str:
    with app.app_context():
        return db.session.get(Engagement, engagement_id).reference


def open_flags(app, rule_code: str) -> set[int]:
    with app.app_context():
        evaluate(TODAY)
        db.session.commit()
        return set(db.session.scalars(sa.select(Flag.engagement_id).where(
            Flag.rule_code == rule_code, Flag.resolved_on.is_(None))))


# --- the budget warning follows the flag rule ----------------------------------------------

def test_the_budget_bar_the_overview_and_the_flag_warn_at_the_admins_share(
        app, make_case, admin_client, login_client):
    case = make_case(start=-20, status=EngagementStatus.ACTIVE, new_consultants=1,
                     sessions=[(-1, 7.5)])
    reference = reference_of(app, case)
    team = login_client(Role.TEAM, language="en")

    def warnings() -> tuple[bool, bool]:
        case_page = team.get(f"/engagements/{case}").get_data(as_text=True)
        overview = team.get("/engagements/").get_data(as_text=True)
        return ("of the budget is used." in case_page,
                "% used" in row_of(overview, reference))

    assert warnings() == (False, False)  # 75 % of 10 hours: below the rule's 80 %
    assert case not in open_flags(app, "hours_nearly_used")

    set_nearly_used(admin_client, 70)
    case_page = team.get(f"/engagements/{case}").get_data(as_text=True)
    assert "70 % of the budget is used." in case_page
    assert 'low="7.0' in case_page and 'high="7.0' in case_page  # the bar's warning mark
    assert "70 % used" in row_of(team.get("/engagements/").get_data(as_text=True), reference)
    assert case in open_flags(app, "hours_nearly_used")


def test_a_type_of_course_with_a_share_of_its_own_warns_at_it(app, make_case, admin_client,
                                                             login_client):
    mini = make_case(start=-20, status=EngagementStatus.ACTIVE, new_consultants=1,
                     sessions=[(-1, 7.5)])
    one_year = make_case(type_code="one_year", municipality=161, applicant="Glostrup Kommune",
                         hour_budget=10, start=-20, status=EngagementStatus.ACTIVE,
                         new_consultants=1, sessions=[(-1, 7.5)])
    set_nearly_used(admin_client, 80, mini=70)
    overview = login_client(Role.TEAM).get("/engagements/").get_data(as_text=True)
    assert "70 % brugt" in row_of(overview, reference_of(app, mini))  # Danish by default
    assert "brugt" not in row_of(overview, reference_of(app, one_year))
    flagged = open_flags(app, "hours_nearly_used")
    assert mini in flagged and one_year not in flagged


# --- hours used: one sum -------------------------------------------------------------------

@pytest.mark.parametrize("sessions, consultants, used, consultant_hours", [
    ([], 1, "0", "0"),
    ([(-1, 2)], 2, "2", "4"),                       # hours count once, consultant hours twice
    ([(-3, 1.5), (-1, 0.25)], 1, "1.75", "1.75"),
    ([(-2, 1.5), (3, 2)], 3, "1.5", "4.5"),         # a planned session does not count
    ([(5, 2)], 1, "0", "0"),
])
def test_the_sum_of_hours_agrees_with_the_rule_everywhere(
        app, make_case, sessions, consultants, used, consultant_hours):
    case = make_case(start=-10, status=EngagementStatus.ACTIVE, new_consultants=consultants,
                     sessions=sessions)
    with app.test_request_context():
        engagement = db.session.scalars(case_query(case, CONSULTANT_HOURS)).one()
        held = [HeldSession(s.hours, len(s.consultants)) for s in engagement.sessions
                if s.status is HOURS_COUNTED]
        by_rule = budget(engagement.hour_budget, held)
        assert (engagement.hours_used, engagement.consultant_hours) == (
            Decimal(used), Decimal(consultant_hours)) == (
            by_rule.session_hours, by_rule.consultant_hours)
        days = {status: sorted(s.held_on for s in engagement.sessions if s.status is status)
                for status in (HOURS_COUNTED, PLANNED)}  # kept on the case with the hours
        assert engagement.last_session_on == (days[HOURS_COUNTED] or [None])[-1]
        assert engagement.next_session_on == (days[PLANNED] or [None])[0]
        [row] = case_rows(TODAY, [case])  # the flag pass
        assert row.facts.hours_used == Decimal(used)
        assert budget_for_decision(engagement).session_hours == Decimal(used)
        if held:
            first = next(s for s in engagement.sessions if s.status is SessionStatus.HELD)
            assert budget_for_decision(engagement, leave_out=first).session_hours == \
                Decimal(used) - first.hours


def test_a_session_without_consultants_counts_once_in_consultant_hours(app, make_case):
    case = make_case(start=-10, new_consultants=2, sessions=[(-1, 2), (-2, 1)])
    with app.app_context():
        session_id = db.session.scalar(sa.select(EngagementSession.id).where(
            EngagementSession.engagement_id == case, EngagementSession.hours == 2))
        db.session.execute(sa.delete(SessionConsultant).where(
            SessionConsultant.session_id == session_id))
        db.session.commit()
        engagement = db.session.scalars(case_query(case, CONSULTANT_HOURS)).one()
        assert engagement.consultant_hours == Decimal(2 + 2 * 1)


def test_the_sums_are_not_audited_as_columns_of_the_case(app, make_case):
    case = make_case(start=-10, new_consultants=1, sessions=[(-1, 2)])
    with app.app_context():
        engagement = db.session.scalars(case_query(case, CONSULTANT_HOURS)).one()
        db.session.delete(engagement)
        db.session.commit()
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.table_name == "engagements", AuditEntry.action == "delete")).one()
    assert "hour_budget" in entry.changes
    assert not set(KEPT) & set(entry.changes) and "consultant_hours" not in entry.changes


def test_the_case_budget_loads_no_session(app, make_case, query_counter):
    case = make_case(start=-10, new_consultants=1, sessions=[(-1, 2), (-2, 1)])
    with app.test_request_context():
        engagement = db.session.scalars(case_query(case, CONSULTANT_HOURS)).one()
        with query_counter() as statements:
            result = case_budget(engagement)
        assert result.session_hours == 3 and result.budget == 10
        assert "sessions" not in sa.inspect(engagement).dict
        assert len(statements) == 1 and "flag_rules" in statements[0]  # the share only


def test_the_overview_sorts_by_the_same_sum(app, make_case, login_client):
    few = make_case(new_consultants=1, sessions=[(-1, 1), (2, 5)])  # 1 held, 5 planned
    many = make_case(municipality=161, new_consultants=1, sessions=[(-1, 3)])
    page = login_client(Role.TEAM).get("/engagements/?sort=hours").get_data(as_text=True)
    assert page.index(reference_of(app, few)) < page.index(reference_of(app, many))


# --- who is currently on a case: one hybrid ------------------------------------------------

@pytest.mark.parametrize("started, ended, current", MEMBERSHIPS)
def test_current_member_is_the_same_in_python_and_in_sql(app, make_case, make_user,
                                                         started, ended, current):
    case = make_case()
    user = make_user(Role.CONSULTANT)
    with app.app_context():
        member = EngagementMember(
            engagement_id=case, user_id=user.id, role=MemberRole.CO,
            started_on=TODAY + timedelta(days=started),
            ended_on=None if ended is None else TODAY + timedelta(days=ended))
        db.session.add(member)
        db.session.commit()
        in_sql = db.session.scalar(sa.select(sa.exists().where(
            EngagementMember.id == member.id, EngagementMember.is_current(TODAY))))
        assert member.is_current(TODAY) is in_sql is current


# --- views are leaves ----------------------------------------------------------------------


def test_the_figures_kept_on_a_case_are_repaired_by_the_command(app, make_case, runner):
    case = make_case(start=-10, new_consultants=1, sessions=[(-3, 2), (-1, 1.5), (4, 1)])
    right = make_case(municipality=161, new_consultants=1, sessions=[(-2, 1)])
    with app.app_context():
        db.session.execute(sa.update(Engagement.__table__).where(Engagement.id == case).values(
            hours_used=0, last_session_on=None, next_session_on=TODAY))  # as after a bulk load
        db.session.commit()
    result = runner.invoke(args=["sessions", "figures"])
    assert result.exit_code == 0, result.output
    assert " 1 " in result.output  # one case written, the other already right
    with app.app_context():
        fixed = db.session.get(Engagement, case)
        assert (fixed.hours_used, fixed.last_session_on, fixed.next_session_on) == (
            Decimal("3.5"), TODAY - timedelta(days=1), TODAY + timedelta(days=4))
        assert db.session.get(Engagement, right).hours_used == 1
