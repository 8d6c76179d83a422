"""The session log: log, plan and complete, edit, delete; budget, locking and access."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from consultancy.engagements import services
from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    EngagementSession,
    EngagementType,
    MemberRole,
    Ownership,
    Role,
    SessionFormat,
    SessionStatus,
    SubFormat,
    Theme,
    UnitKind,
    User,
)
from consultancy.services.clock import utcnow
from tests.conftest import TODAY

CPR_DA = "Fjern cpr-nummeret. Det må aldrig gemmes her."


def errors_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<div id="([\w-]+)-error" class="invalid-feedback d-block">(.*?)</div>',
                           page, re.S))


@pytest.fixture
def make_case(app):
    """A mini course (10 hours) in Morsø with one unit and the given consultants on it."""
    def make(*consultants: User, hour_budget=None) -> int:
        with app.test_request_context():
            mini = db.session.scalar(sa.select(EngagementType).where(EngagementType.code == "mini"))
            unit = DaycareUnit(name="Børnehuset Mælkebøtten", municipality_code=773,
                               ownership=Ownership.SELF_OWNED, kind=UnitKind.INTEGRATED,
                               children=45)
            engagement = services.create_case(
                mini, 773, "Børnehuset Mælkebøtten", TODAY - timedelta(days=20), [unit], None,
                utcnow(), hour_budget=hour_budget)
            for index, consultant in enumerate(consultants):
                services.assign_consultant(engagement, db.session.get(User, consultant.id),
                                           MemberRole.CO if index else MemberRole.LEAD, TODAY)
            db.session.commit()
            return engagement.id
    return make


@pytest.fixture
def case_ids(app):
    """The ids of a case's unit and of two themes, to post."""
    def ids(engagement_id: int) -> tuple[int, list[int]]:
        with app.app_context():
            unit_id = db.session.scalar(sa.text(
                "SELECT unit_id FROM engagement_units WHERE engagement_id = :id"),
                {"id": engagement_id})
            themes = db.session.scalars(sa.select(Theme.id).where(Theme.active)
                                        .order_by(Theme.id).limit(2)).all()
            return unit_id, list(themes)
    return ids


def sessions_of(app, engagement_id: int) -> list[EngagementSession]:
    with app.app_context():
        found = db.session.scalars(sa.select(EngagementSession).where(
            EngagementSession.engagement_id == engagement_id).order_by(EngagementSession.id)).all()
        for session in found:  # load what the tests read, then detach
            session.consultants, session.units, session.themes  # noqa: B018
        db.session.expunge_all()
        return list(found)


def flashes(client) -> list[str]:
    with client.session_transaction() as cookie:
        return [message for _category, message in cookie.get("_flashes", [])]


def form(consultant_ids, unit_ids, **changes) -> dict:
    data = {
        "held_on": TODAY.isoformat(), "hours": "1,5", "format": "practice_meeting",
        "sub_format": "side_by_side", "consultant_ids": [str(i) for i in consultant_ids],
        "unit_ids": [str(i) for i in unit_ids], "leaders": "1", "pedagogical_staff": "4",
        "assistants": "1", "municipal_consultants": "0",
        "summary": "Vi så på overgangen fra frokost til middagslur.",
        "next_steps": "Personalet afprøver faste roller i garderoben.",
    }
    data.update(changes)
    return data


@pytest.fixture
def on_case(login_client, make_case, case_ids):
    """A consultant's client and a case the consultant is on: (client, case id, unit id, themes)."""
    client = login_client(Role.CONSULTANT)
    engagement_id = make_case(client.user)
    unit_id, themes = case_ids(engagement_id)
    return client, engagement_id, unit_id, themes


def new_url(engagement_id):
    return f"/engagements/{engagement_id}/sessions/new"


def edit_url(engagement_id, session_id):
    return f"/engagements/{engagement_id}/sessions/{session_id}/edit"


def delete_url(engagement_id, session_id):
    return f"/engagements/{engagement_id}/sessions/{session_id}/delete"


# --- logging, planning, completing ----------------------------------------------------------

def test_a_consultant_logs_a_held_session(app, on_case):
    client, engagement_id, unit_id, themes = on_case
    page = client.get(new_url(engagement_id)).get_data(as_text=True)
    # Date (today) and hours first; the consultant and the case's only unit already ticked.
    assert page.index('name="held_on"') < page.index('name="hours"') < page.index('name="format"')
    assert f'value="{TODAY.isoformat()}"' in page and 'inputmode="decimal"' in page
    assert re.search(rf'<input[^>]*checked[^>]*value="{client.user.id}"', page) or re.search(
        rf'<input[^>]*value="{client.user.id}"[^>]*checked', page)
    assert 'name="confirm_overrun"' not in page
    assert 'id="summary-help"' in page and 'id="next_steps-help"' in page

    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], theme_ids=[str(t) for t in themes]))
    assert response.status_code == 302
    assert response.location == f"/engagements/{engagement_id}"
    assert flashes(client)
    [session] = sessions_of(app, engagement_id)
    assert session.status is SessionStatus.HELD and session.held_on == TODAY
    assert session.hours == Decimal("1.5") and session.overrun is False
    assert session.format is SessionFormat.PRACTICE_MEETING
    assert session.sub_format is SubFormat.SIDE_BY_SIDE
    assert [c.user_id for c in session.consultants] == [client.user.id]
    assert [u.unit_id for u in session.units] == [unit_id]
    assert sorted(t.theme_id for t in session.themes) == sorted(themes)
    assert (session.leaders, session.pedagogical_staff, session.assistants,
            session.municipal_consultants) == (1, 4, 1, 0)
    assert session.created_by_id == client.user.id


def test_hours_accept_a_decimal_point_and_formats_without_sub_format_take_none(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], hours="2.25", format="kickoff", sub_format=""))
    assert response.status_code == 302
    [session] = sessions_of(app, engagement_id)
    assert session.hours == Decimal("2.25") and session.sub_format is None


def test_a_future_session_is_planned_and_completed_once_its_day_has_come(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    page = client.get(new_url(engagement_id) + "?planned=1").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="held_on"[^>]*value=""', page)  # the date is to choose
    next_week = TODAY + timedelta(days=7)
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], held_on=next_week.isoformat(), summary="", next_steps=""))
    assert response.status_code == 302
    [planned] = sessions_of(app, engagement_id)
    assert planned.status is SessionStatus.PLANNED and planned.summary == ""

    with app.app_context():  # time passes: the planned day is yesterday
        session = db.session.get(EngagementSession, planned.id)
        session.held_on = TODAY - timedelta(days=1)
        db.session.commit()
        version = session.version
    page = client.get(edit_url(engagement_id, planned.id)).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{version}"' in page
    assert 'class="alert alert-info"' in page  # complete it: add the summary

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = client.post(edit_url(engagement_id, planned.id), data=form(
        [client.user.id], [unit_id], held_on=yesterday, summary="", version=str(version)))
    assert response.status_code == 400
    assert "summary" in errors_of(response.get_data(as_text=True))

    response = client.post(edit_url(engagement_id, planned.id), data=form(
        [client.user.id], [unit_id], held_on=yesterday, version=str(version)))
    assert response.status_code == 302
    [held] = sessions_of(app, engagement_id)
    assert held.status is SessionStatus.HELD and held.summary.startswith("Vi så på")


def test_editing_a_session_saves_the_changes(app, on_case):
    client, engagement_id, unit_id, themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id],
                                                  theme_ids=[str(themes[0])]))
    [session] = sessions_of(app, engagement_id)
    page = client.get(edit_url(engagement_id, session.id)).get_data(as_text=True)
    assert 'value="1,5"' in page and "Vi så på overgangen" in page

    response = client.post(edit_url(engagement_id, session.id), data=form(
        [client.user.id], [], hours="2,75", format="leadership_sparring",
        sub_format="informal_group", theme_ids=[str(themes[1])], summary="Ny opsummering.",
        version=str(session.version)))
    assert response.status_code == 302
    assert response.location == f"/engagements/{engagement_id}"
    [saved] = sessions_of(app, engagement_id)
    assert saved.hours == Decimal("2.75") and saved.sub_format is SubFormat.INFORMAL_GROUP
    assert saved.summary == "Ny opsummering." and saved.units == []
    assert [t.theme_id for t in saved.themes] == [themes[1]]
    assert saved.version == session.version + 1


def test_deleting_asks_first_and_checks_the_version(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)

    page = client.get(delete_url(engagement_id, session.id)).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{session.version}"' in page
    response = client.post(delete_url(engagement_id, session.id),
                           data={"version": str(session.version - 1)})
    assert response.status_code == 409
    assert len(sessions_of(app, engagement_id)) == 1

    response = client.post(delete_url(engagement_id, session.id),
                           data={"version": str(session.version)})
    assert response.status_code == 302
    assert response.location == f"/engagements/{engagement_id}"
    assert sessions_of(app, engagement_id) == []
    assert client.get(edit_url(engagement_id, session.id)).status_code == 404


# --- what is refused -------------------------------------------------------------------------

def test_hours_must_be_quarter_hours(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    client.post("/language", data={"language": "en"})
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], hours="1,3", summary="Typed summary stays."))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the duration in quarter hours" in errors_of(page)["hours"]
    assert 'value="1,3"' in page and "Typed summary stays." in page
    assert 'aria-describedby="hours-help hours-error"' in page
    for hours in ("0", "24,25", "sNaN", "Infinity", "mange"):
        response = client.post(new_url(engagement_id), data=form(
            [client.user.id], [unit_id], hours=hours))
        assert response.status_code == 400 and "hours" in errors_of(
            response.get_data(as_text=True)), hours
    assert sessions_of(app, engagement_id) == []


def test_a_sub_format_must_belong_to_the_format(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    client.post("/language", data={"language": "en"})
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], format="leadership_sparring", sub_format="side_by_side"))
    assert response.status_code == 400
    assert "belongs to the format" in errors_of(response.get_data(as_text=True))["sub_format"]
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], format="practice_meeting", sub_format=""))
    assert response.status_code == 400
    assert "sub_format" in errors_of(response.get_data(as_text=True))
    assert sessions_of(app, engagement_id) == []


def test_a_cpr_number_in_the_summary_is_refused_in_danish(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    response = client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], summary="Barnet 010190-1234 var glad."))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert CPR_DA in errors_of(page)["summary"]
    assert sessions_of(app, engagement_id) == []


def test_logging_past_the_budget_needs_a_confirmation_and_is_an_overrun(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    assert client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], hours="9")).status_code == 302
    # A planned session does not count against the budget.
    assert client.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id], hours="3",
        held_on=(TODAY + timedelta(days=3)).isoformat())).status_code == 302

    typed = form([client.user.id], [unit_id], hours="1,5", summary="Ekstra møde om leg.")
    response = client.post(new_url(engagement_id), data=typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="confirm_overrun"' in page and "confirm_overrun" in errors_of(page)
    assert "Ekstra møde om leg." in page
    assert len(sessions_of(app, engagement_id)) == 2

    response = client.post(new_url(engagement_id), data={**typed, "confirm_overrun": "y"})
    assert response.status_code == 302
    held = [s for s in sessions_of(app, engagement_id) if s.status is SessionStatus.HELD]
    assert [(s.hours, s.overrun) for s in held] == [(Decimal("9"), False),
                                                     (Decimal("1.5"), True)]
    assert len(flashes(client)) == 2  # saved, and logged as an overrun


def test_the_second_of_two_saves_from_the_same_version_is_refused(app, on_case):
    client, engagement_id, unit_id, _themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)
    first = form([client.user.id], [unit_id], summary="Første udgave.",
                 version=str(session.version))
    second = form([client.user.id], [unit_id], summary="Anden udgave, skrevet samtidig.",
                  version=str(session.version))
    assert client.post(edit_url(engagement_id, session.id), data=first).status_code == 302
    response = client.post(edit_url(engagement_id, session.id), data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Anden udgave, skrevet samtidig." in page
    assert 'class="alert alert-danger"' in page
    [saved] = sessions_of(app, engagement_id)
    assert saved.summary == "Første udgave."


def test_a_save_that_loses_the_race_at_the_database_is_refused(app, on_case, monkeypatch):
    """Another save lands between the version check and the write: the database refuses."""
    client, engagement_id, unit_id, _themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)

    def check_then_lose_the_race(record, expected):
        db.session.execute(
            sa.update(EngagementSession).where(EngagementSession.id == record.id)
            .values(version=EngagementSession.version + 1),
            execution_options={"synchronize_session": False})
    monkeypatch.setattr(services, "check_version", check_then_lose_the_race)
    response = client.post(edit_url(engagement_id, session.id), data=form(
        [client.user.id], [unit_id], summary="Skrevet samtidig.", version=str(session.version)))
    assert response.status_code == 409
    assert "Skrevet samtidig." in response.get_data(as_text=True)
    [kept] = sessions_of(app, engagement_id)
    assert kept.summary.startswith("Vi så på") and kept.version == session.version


# --- who may ---------------------------------------------------------------------------------

def test_a_consultant_not_on_the_case_is_refused(app, on_case, login_client):
    client, engagement_id, unit_id, _themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)
    outsider = login_client(Role.CONSULTANT)
    version = {"version": str(session.version)}
    assert outsider.get(new_url(engagement_id)).status_code == 403
    assert outsider.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id])).status_code == 403
    assert outsider.get(edit_url(engagement_id, session.id)).status_code == 403
    assert outsider.post(edit_url(engagement_id, session.id), data=form(
        [client.user.id], [unit_id], **version)).status_code == 403
    assert outsider.get(delete_url(engagement_id, session.id)).status_code == 403
    assert outsider.post(delete_url(engagement_id, session.id), data=version).status_code == 403
    assert len(sessions_of(app, engagement_id)) == 1


def test_a_colleague_on_the_case_changes_only_sessions_they_logged_or_attended(
        app, make_user, make_case, case_ids, login_client):
    first, second = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    engagement_id = make_case(first, second)
    unit_id, _themes = case_ids(engagement_id)
    client, colleague = login_client(user=first), login_client(user=second)
    client.post(new_url(engagement_id), data=form([first.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)
    assert colleague.get(edit_url(engagement_id, session.id)).status_code == 403
    assert colleague.post(delete_url(engagement_id, session.id),
                          data={"version": str(session.version)}).status_code == 403
    # Once marked present, the colleague may correct it.
    client.post(edit_url(engagement_id, session.id), data=form(
        [first.id, second.id], [unit_id], version=str(session.version)))
    assert colleague.get(edit_url(engagement_id, session.id)).status_code == 200


def test_an_evaluator_is_refused(app, on_case, login_client):
    client, engagement_id, unit_id, _themes = on_case
    client.post(new_url(engagement_id), data=form([client.user.id], [unit_id]))
    [session] = sessions_of(app, engagement_id)
    evaluator = login_client(Role.EVALUATOR)
    assert evaluator.get(new_url(engagement_id)).status_code == 403
    assert evaluator.post(new_url(engagement_id), data=form(
        [client.user.id], [unit_id])).status_code == 403
    assert evaluator.get(edit_url(engagement_id, session.id)).status_code == 403
    assert evaluator.post(delete_url(engagement_id, session.id),
                          data={"version": str(session.version)}).status_code == 403


def test_team_logs_edits_and_deletes_on_any_case(app, make_user, make_case, case_ids,
                                                login_client):
    consultant = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultant)
    unit_id, _themes = case_ids(engagement_id)
    team = login_client(Role.TEAM)
    page = team.get(new_url(engagement_id)).get_data(as_text=True)
    assert consultant.name in page
    response = team.post(new_url(engagement_id), data=form([consultant.id], [unit_id]))
    assert response.status_code == 302
    [session] = sessions_of(app, engagement_id)
    assert session.created_by_id == team.user.id
    assert team.post(edit_url(engagement_id, session.id), data=form(
        [consultant.id], [unit_id], hours="2", version=str(session.version))).status_code == 302
    assert team.post(delete_url(engagement_id, session.id),
                     data={"version": str(session.version + 1)}).status_code == 302
    assert sessions_of(app, engagement_id) == []


def test_only_the_cases_consultants_can_be_chosen(app, on_case, make_user):
    client, engagement_id, unit_id, _themes = on_case
    stranger = make_user(Role.CONSULTANT)
    response = client.post(new_url(engagement_id), data=form([stranger.id], [unit_id]))
    assert response.status_code == 400
    assert "consultant_ids" in errors_of(response.get_data(as_text=True))
    assert sessions_of(app, engagement_id) == []


def test_an_unknown_case_or_session_is_not_found(on_case):
    client, engagement_id, _unit_id, _themes = on_case
    assert client.get(new_url(engagement_id + 1000)).status_code == 404
    assert client.get(edit_url(engagement_id, 999_999)).status_code == 404
