"""Two writers at the same moment, each on its own connection like two gunicorn workers:
no budget passed unconfirmed, one winner and a clear answer for the other, never a 500,
nothing written twice.

Each race is forced, not hoped for: both requests load what they decide on, then wait for
each other at the service call (a barrier), and only then write. Generous timeouts, no
sleeps, so a loaded machine only makes them slower.
"""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from consultancy import create_app
from consultancy.applications import services as applications
from consultancy.engagements import services as engagements
from consultancy.extensions import db
from consultancy.models import (
    Application,
    ApplicationStatus,
    Channel,
    Engagement,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    EngagementUnit,
    Review,
    Role,
    Score,
    SessionStatus,
    User,
)
from consultancy.services.clock import COPENHAGEN
from tests.conftest import (
    APPLICATION_FORM,
    ON_POSTGRES,
    PASSWORD,
    BrowserClient,
    app_config,
    application_data,
    build_case,
    migrate_database,
    scratch_database,
)

DAY = date(2025, 3, 12)  # the tests run as of this day (a Wednesday)
WAIT = 60  # seconds a writer waits for the other; only reached when something is broken


@pytest.fixture
def today():
    with time_machine.travel(datetime(2025, 3, 12, 10, 0, tzinfo=COPENHAGEN)):
        yield DAY


@pytest.fixture
def workers(tmp_path, make_app, today):
    """Two apps on one database that commits for real, so each sees the other's commits."""
    if not ON_POSTGRES:
        yield make_app(), make_app()
        return
    # The usual PostgreSQL test runs in one rolled-back transaction: one connection, no race.
    with scratch_database(tmp_path, "race") as url:
        migrate_database(url, tmp_path / "instance")
        apps = [create_app(app_config(url), instance_path=str(tmp_path / "instance"))
                for _ in range(2)]
        for app in apps:
            app.test_client_class = BrowserClient
        yield apps
        for app in apps:
            with app.app_context():
                db.engine.dispose()


def add_user(app, role: Role, email: str) -> User:
    with app.app_context():
        user = User(email=email, name=email.split("@")[0].title(), role=role, active=True,
                    language="da")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def signed_in(app, user: User):
    client = app.test_client(user=user)
    client.user = user
    return client


def at_once(module, names: tuple[str, ...], *requests):
    """Run each request in its own thread and return their responses in order.

    Every request stops when it calls one of `module`'s functions `names` (it has loaded
    what it decides on by then) until all have got there; then all go on at once.
    """
    barrier = threading.Barrier(len(requests), timeout=WAIT)
    responses, failures = [None] * len(requests), []

    def run(index, request):
        try:
            responses[index] = request()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(error)
            barrier.abort()
    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            def meet(*args, _original=getattr(module, name), **kwargs):  # noqa: B008 (bound now)
                barrier.wait()
                return _original(*args, **kwargs)
            patch.setattr(module, name, meet)
        threads = [threading.Thread(target=run, args=item, daemon=True)
                   for item in enumerate(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(3 * WAIT)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    if failures:
        raise failures[0]
    return responses


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as cookie:
        return list(cookie.get("_flashes", []))


def refused_page(responses) -> tuple[int, str]:
    """The loser of two small case-page forms: its status and the page shown again (with the
    message beside its form); the winner was redirected with a success message."""
    assert sorted(r.status_code == 302 for r in responses) == [False, True]
    [loser] = [r for r in responses if r.status_code != 302]
    return loser.status_code, loser.get_data(as_text=True)


# --- two consultants and the hour budget -----------------------------------------------

def session_form(user_id: int, unit_id: int, **changes) -> dict:
    data = {"held_on": DAY.isoformat(), "hours": "5", "format": "practice_meeting",
            "sub_format": "side_by_side", "consultant_ids": [str(user_id)],
            "unit_ids": [str(unit_id)], "leaders": "1", "pedagogical_staff": "3",
            "assistants": "0", "municipal_consultants": "0",
            "summary": "Vi arbejdede med overgangene i løbet af dagen.", "next_steps": ""}
    data.update(changes)
    return data


def budget_case(app, sessions) -> tuple[int, int, list[User]]:
    """An active case with a budget of 10 hours, two consultants and these sessions."""
    engagement_id = build_case(app, hour_budget=10, start=-30, new_consultants=2,
                               status=EngagementStatus.ACTIVE, sessions=sessions)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        users = [member.user for member in engagement.members]
        for user in users:
            db.session.expunge(user)
        return engagement_id, engagement.units[0].unit_id, users


def held_sessions(app, engagement_id) -> list[tuple[Decimal, bool]]:
    with app.app_context():
        return [(s.hours, s.overrun) for s in db.session.scalars(
            sa.select(EngagementSession).where(
                EngagementSession.engagement_id == engagement_id,
                EngagementSession.status == SessionStatus.HELD).order_by(EngagementSession.id))]


def test_two_sessions_logged_at_once_cannot_pass_the_budget_unconfirmed(workers):
    """Budget 10 h, 2 h used: two 5 h sessions at once. The second is asked to confirm."""
    first_app, second_app = workers
    engagement_id, unit_id, (anne, bo) = budget_case(first_app, [(-1, 2)])
    url = f"/engagements/{engagement_id}/sessions/new"
    clients = [signed_in(first_app, anne), signed_in(second_app, bo)]
    typed = [session_form(anne.id, unit_id, summary="Anne: vi så på legen i garderoben."),
             session_form(bo.id, unit_id, summary="Bo: vi så på frokosten.")]

    responses = at_once(engagements, ("log_session",),
                        *(lambda c=c, t=t: c.post(url, data=t) for c, t in zip(clients, typed)))

    assert sorted(r.status_code for r in responses) == [302, 400]
    held = held_sessions(first_app, engagement_id)
    assert sum(hours for hours, _overrun in held) == 7
    assert held == [(Decimal("2"), False), (Decimal("5"), False)]
    loser = next(i for i, r in enumerate(responses) if r.status_code == 400)
    page = responses[loser].get_data(as_text=True)
    assert 'name="confirm_overrun"' in page  # asked to confirm, with what they typed kept
    assert typed[loser]["summary"] in page

    confirmed = clients[loser].post(url, data={**typed[loser], "confirm_overrun": "y"})
    assert confirmed.status_code == 302
    assert held_sessions(first_app, engagement_id)[-1] == (Decimal("5"), True)


def test_a_session_edited_and_one_logged_at_once_cannot_pass_the_budget_unconfirmed(
        workers):
    """Budget 10 h, 3 h used: one logs 5 h while the other corrects 1 h to 5 h."""
    first_app, second_app = workers
    engagement_id, unit_id, (anne, bo) = budget_case(first_app, [(-2, 2), (-1, 1)])
    with first_app.app_context():
        short = db.session.scalars(sa.select(EngagementSession).where(
            EngagementSession.engagement_id == engagement_id,
            EngagementSession.hours == 1)).one()
        short_id, version = short.id, short.version
    logger, editor = signed_in(first_app, anne), signed_in(second_app, bo)
    logged = session_form(anne.id, unit_id)
    corrected = session_form(anne.id, unit_id, held_on=(DAY - timedelta(days=1)).isoformat(),
                             consultant_ids=[str(anne.id), str(bo.id)],
                             summary="Rettet: mødet varede fem timer.", version=str(version))

    responses = at_once(
        engagements, ("log_session", "update_session"),
        lambda: logger.post(f"/engagements/{engagement_id}/sessions/new", data=logged),
        lambda: editor.post(f"/engagements/{engagement_id}/sessions/{short_id}/edit",
                            data=corrected))

    assert sorted(r.status_code for r in responses) == [302, 400]
    held = held_sessions(first_app, engagement_id)
    assert sum(hours for hours, _overrun in held) <= 10
    assert not any(overrun for _hours, overrun in held)
    refused = next(r for r in responses if r.status_code == 400).get_data(as_text=True)
    assert 'name="confirm_overrun"' in refused


# --- applications: deciding, scoring -----------------------------------------------------

def reviewed_application(app, reviewers: list[User], scored: list[User]) -> int:
    """A submitted application with these reviewers; those in `scored` have scored it."""
    from consultancy.services.clock import utcnow

    with app.test_request_context():
        application = applications.submit(application_data(), Channel.WEB, utcnow(), DAY)
        for user in reviewers:
            review = applications.assign_reviewer(application, db.session.get(User, user.id),
                                                  utcnow())
            if user in scored:
                applications.submit_scores(review, {
                    c.id: (3, "Godt begrundet.") for c in application.criteria_set.criteria},
                    utcnow())
        db.session.commit()
        return application.id


def score_form(app, application_id: int) -> dict:
    with app.app_context():
        criteria = db.session.get(Application, application_id).criteria_set.criteria
        data = {}
        for criterion in criteria:
            data[f"score_{criterion.id}"] = "2"
            data[f"justification_{criterion.id}"] = f"Begrundelse for {criterion.code}"
        return data


@pytest.fixture
def team(workers):
    first_app, _second_app = workers
    return [add_user(first_app, Role.TEAM, f"{name}@team.example") for name in ("lone", "mads")]


def test_two_team_members_approving_at_once_open_one_case(workers, team):
    first_app, second_app = workers
    application_id = reviewed_application(first_app, team, scored=team)
    url = f"/applications/{application_id}/decision"
    clients = [signed_in(first_app, team[0]), signed_in(second_app, team[1])]

    responses = at_once(applications, ("decide",), *(
        lambda c=c: c.post(url, data={"decision": "approved", "note": "Opfylder kriterierne."})
        for c in clients))

    assert [r.status_code for r in responses] == [302, 302]
    with first_app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is ApplicationStatus.APPROVED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Engagement)) == 1
        winner_id = application.decided_by_id
    messages = {client.user.id: flashes(client) for client in clients}
    assert messages[winner_id] == [("success", "Afgørelsen er registreret: Godkendt.")]
    [(category, text)] = next(m for user, m in messages.items() if user != winner_id)
    winner = next(user for user in team if user.id == winner_id)
    assert (category, text) == ("danger", f"{winner.name} har afgjort ansøgningen i "
                                "mellemtiden (den er nu godkendt), så den kan ikke ændres.")


def test_approving_and_withdrawing_at_once_never_leaves_a_withdrawn_application_with_a_case(
        workers, team, monkeypatch):
    """The approval commits first; the withdrawal, decided on what it read before, must not
    then overwrite it."""
    first_app, second_app = workers
    application_id = reviewed_application(first_app, team, scored=team)
    approver, withdrawer = signed_in(first_app, team[0]), signed_in(second_app, team[1])
    approved = threading.Event()
    original = applications.withdraw

    def after_the_approval(*args, **kwargs):
        assert approved.wait(WAIT)
        return original(*args, **kwargs)
    monkeypatch.setattr(applications, "withdraw", after_the_approval)

    def approve():
        try:
            return approver.post(f"/applications/{application_id}/decision",
                                 data={"decision": "approved", "note": "Opfylder alt."})
        finally:
            approved.set()
    responses = at_once(
        applications, ("decide", "withdraw"), approve,
        lambda: withdrawer.post(f"/applications/{application_id}/withdraw",
                                data={"reason": "Kommunen har trukket ansøgningen."}))

    assert [r.status_code for r in responses] == [302, 302]
    with first_app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.APPROVED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Engagement)) == 1
    [(category, text)] = flashes(withdrawer)
    assert category == "danger" and "har afgjort ansøgningen i mellemtiden" in text


def test_scores_submitted_twice_at_once_are_stored_once(workers, team):
    """A double click, or two tabs: the same reviewer submits the same scores twice."""
    first_app, second_app = workers
    application_id = reviewed_application(first_app, team, scored=[])
    url = f"/applications/{application_id}/score"
    data = score_form(first_app, application_id)
    tabs = [signed_in(first_app, team[0]), signed_in(second_app, team[0])]

    responses = at_once(applications, ("submit_scores",),
                        *(lambda c=c: c.post(url, data=data) for c in tabs))

    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Dine scorer var allerede afgivet" in refused
    with first_app.app_context():
        review = db.session.scalars(sa.select(Review).where(
            Review.application_id == application_id, Review.reviewer_id == team[0].id)).one()
        assert review.submitted_at is not None
        assert len(review.scores) == len(data) // 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Score)) == len(data) // 2


# --- the public form sent twice -------------------------------------------------------------



def as_rendered(page: str) -> dict:
    """The application form filled in, with the hidden fields the page rendered into it."""
    hidden = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if 'type="hidden"' in tag and name:
            hidden[name[1]] = value[1] if value else ""
    return {**hidden, **APPLICATION_FORM}


def references(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Application.reference)))


def test_a_public_form_sent_twice_at_once_makes_one_application(workers):
    from consultancy.security import throttle

    first_app, second_app = workers
    form = as_rendered(first_app.test_client().get("/apply").get_data(as_text=True))
    browsers = [first_app.test_client(), second_app.test_client()]

    responses = at_once(throttle, ("begin",),
                        *(lambda b=b: b.post("/apply", data=form) for b in browsers))

    assert [r.status_code for r in responses] == [302, 302]
    [reference] = references(first_app)
    for browser, response in zip(browsers, responses):
        assert reference in browser.get(response.location).get_data(as_text=True)


def test_the_same_form_sent_again_shows_the_same_receipt_and_counts_once(app, client):
    form = as_rendered(client.get("/apply").get_data(as_text=True))
    for _ in range(app.config["APPLY_RATE_LIMIT"] + 1):  # repeats never reach the limit
        response = client.post("/apply", data=form)
        assert response.status_code == 302
    [reference] = references(app)
    receipt = client.get(response.location).get_data(as_text=True)
    assert reference in receipt
    assert "Formularen var allerede sendt, så den er ikke sendt igen." in receipt
    elsewhere = app.test_client()  # e.g. sent again after the browser lost its cookie
    again = elsewhere.post("/apply", data=form)
    assert reference in elsewhere.get(again.location).get_data(as_text=True)
    assert references(app) == [reference]

    another = as_rendered(client.get("/apply").get_data(as_text=True))
    assert another != form  # each rendering of the form is a new application
    assert client.post("/apply", data=another).status_code == 302
    assert len(references(app)) == 2


def test_team_registering_the_same_form_twice_registers_one_application(app, team_client):
    form = as_rendered(team_client.get("/applications/new").get_data(as_text=True))
    first = team_client.post("/applications/new", data=form)
    second = team_client.post("/applications/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert len(references(app)) == 1


def test_a_receipt_is_shown_only_with_the_form_it_answers(app, client):
    form = as_rendered(client.get("/apply").get_data(as_text=True))
    client.post("/apply", data=form)
    [reference] = references(app)
    stranger = app.test_client()
    assert reference not in stranger.get("/apply/receipt", follow_redirects=True).get_data(
        as_text=True)
    response = stranger.post("/apply", data={**form, "submission_token": "x" * 32})
    assert reference not in stranger.get(response.location).get_data(as_text=True)


# --- the rest of the family: the same thing done twice at once -------------------------------

def test_the_same_consultant_put_on_a_case_twice_at_once_is_on_it_once(workers, team):
    first_app, second_app = workers
    engagement_id = build_case(first_app, start=-30, status=EngagementStatus.ACTIVE)
    consultant = add_user(first_app, Role.CONSULTANT, "sara@konsulent.example")
    clients = [signed_in(first_app, team[0]), signed_in(second_app, team[1])]

    responses = at_once(engagements, ("assign_consultant",), *(
        lambda c=c: c.post(f"/engagements/{engagement_id}/team",
                           data={"user": consultant.id, "role": "lead"}) for c in clients))

    status, page = refused_page(responses)
    assert status in (400, 409) and "Sara er allerede på forløbet." in page
    with first_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EngagementMember).where(
            EngagementMember.engagement_id == engagement_id)) == 1
    told = [category for client in clients for category, _text in flashes(client)]
    assert told == ["success"]


def test_the_same_unit_added_to_a_case_twice_at_once_is_added_once(workers, team):
    """Nothing in the service holds the case here: the database's key refuses the second,
    and the one place that runs a change as a transaction says so instead of a 500."""
    from consultancy.models import DaycareUnit, Ownership, UnitKind

    first_app, second_app = workers
    engagement_id = build_case(first_app, start=-30)
    with first_app.app_context():
        unit = DaycareUnit(name="Vuggestuen Solsikken", municipality_code=773,
                           ownership=Ownership.MUNICIPAL, kind=UnitKind.NURSERY, children=30)
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    clients = [signed_in(first_app, team[0]), signed_in(second_app, team[1])]

    responses = at_once(engagements, ("add_unit",), *(
        lambda c=c: c.post(f"/engagements/{engagement_id}/units", data={"unit": unit_id})
        for c in clients))

    status, page = refused_page(responses)
    assert status in (400, 409)
    assert "En anden har gemt det samme i mellemtiden. Genindlæs siden for at se det." in page
    with first_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EngagementUnit).where(
            EngagementUnit.engagement_id == engagement_id, EngagementUnit.unit_id == unit_id)) == 1
    assert flashes(clients[0]) + flashes(clients[1]) == [("success", "Enheden er tilføjet.")]


def test_the_same_reviewer_assigned_twice_at_once_reviews_once(workers, team):
    first_app, second_app = workers
    application_id = reviewed_application(first_app, [], scored=[])
    clients = [signed_in(first_app, team[0]), signed_in(second_app, team[1])]

    responses = at_once(applications, ("assign_reviewer",), *(
        lambda c=c: c.post(f"/applications/{application_id}/reviewers",
                           data={"reviewer": team[0].id}) for c in clients))

    assert [r.status_code for r in responses] == [302, 302]
    with first_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 1
    messages = flashes(clients[0]) + flashes(clients[1])
    assert ("danger", f"{team[0].name} bedømmer allerede denne ansøgning.") in messages


def test_two_new_criteria_versions_at_once_make_one(workers, team):
    from consultancy.models import CriteriaSet

    first_app, second_app = workers
    with first_app.app_context():
        codes = [c.code for c in db.session.scalars(sa.select(CriteriaSet)).one().criteria]
    data = {"name": "Kriterier 2019", "vulnerable_share_threshold": "30",
            **{f"weight_{code}": "25" for code in codes},
            **{f"minimum_{code}": "1" for code in codes}}
    clients = [signed_in(first_app, team[0]), signed_in(second_app, team[1])]

    responses = at_once(applications, ("new_criteria_version",), *(
        lambda c=c: c.post("/criteria/new", data=data) for c in clients))

    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "En anden har gemt det samme i mellemtiden" in refused
    assert 'value="Kriterier 2019"' in refused  # what they typed is kept
    with first_app.app_context():
        assert db.session.scalars(sa.select(CriteriaSet.version)).all() == [1, 2]


def test_two_status_changes_at_once_change_the_status_once(workers, team):
    """Covered by the case's version column: the second write finds another version."""
    first_app, second_app = workers
    engagement_id = build_case(first_app, start=-30, status=EngagementStatus.ACTIVE)
    completer, canceller = signed_in(first_app, team[0]), signed_in(second_app, team[1])
    url = f"/engagements/{engagement_id}/status"

    responses = at_once(
        engagements, ("change_status",),
        lambda: completer.post(url, data={"status": "completed", "reason": ""}),
        lambda: canceller.post(url, data={"status": "cancelled", "reason": "Kommunen trak sig."}))

    status, page = refused_page(responses)
    assert status in (400, 409) and "En anden har gemt i mellemtiden" in page
    with first_app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        *before, last = [change.to_status for change in engagement.status_changes]
        assert before == [EngagementStatus.PLANNED, EngagementStatus.ACTIVE]
        assert last is engagement.status
        assert last in (EngagementStatus.COMPLETED, EngagementStatus.CANCELLED)
    assert flashes(completer) + flashes(canceller) == [("success", "Status er ændret.")]
