import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from consultancy.applications.services import UnitData
from consultancy.extensions import db
from consultancy.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    CriteriaSet,
    Engagement,
    Ownership,
    Review,
    Role,
    UnitKind,
)
from consultancy.services.clock import local_today
from consultancy.services.numbering import next_number
from tests.conftest import APPLICATION_FORM as VALID_FORM, TODAY

YEAR = TODAY.year



def errors_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<div id="([\w-]+)-error" class="invalid-feedback d-block">(.*?)</div>',
                           page, re.S))


def test_public_form_with_mistakes_keeps_everything_and_then_succeeds(app, client):
    page = client.get("/apply").get_data(as_text=True)
    assert "Ansøg om et forløb" in page

    mistakes = {**VALID_FORM, "contact_email": "mette-at-morsoe", "units-0-children": "",
                "motivation": "Se CPR 010190-1234"}
    response = client.post("/apply", data=mistakes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = errors_of(page)
    assert "Skriv en gyldig e-mailadresse" in errors["contact_email"]
    assert "Skriv antallet af børn." in errors["units-0-children"]
    assert "cpr-nummeret" in errors["motivation"]
    assert 'value="Børnehuset Mælkebøtten"' in page and 'value="32,5"' in page
    assert "Vores egne data viser" in page

    response = client.post("/apply", data={**VALID_FORM, "consent": ""})
    assert "Du skal acceptere privatlivserklæringen." in errors_of(
        response.get_data(as_text=True))["consent"]

    response = client.post("/apply", data=VALID_FORM)
    assert response.status_code == 302
    receipt = client.get(response.location).get_data(as_text=True)
    assert f"ANS-{YEAR}-0001" in receipt
    assert "Hvad sker der nu" in receipt
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        assert application.applicant_name == "Morsø Kommune"
        assert application.units[0].vulnerable_share == 32.5
        assert application.resource_hours_per_month == 6.5
        assert application.status is ApplicationStatus.SUBMITTED


def test_units_can_be_added_and_removed_without_losing_input(client):
    response = client.post("/apply", data={**VALID_FORM, "add_unit": "1"})
    page = response.get_data(as_text=True)
    assert 'name="units-1-name"' in page and 'value="Børnehuset Mælkebøtten"' in page
    second = {**VALID_FORM, "units-1-name": "Vuggestuen Solsikken", "units-1-kind": "nursery",
              "units-1-ownership": "municipal", "units-1-children": "30",
              "units-1-vulnerable_share": "20", "remove_unit_0": "1"}
    page = client.post("/apply", data=second).get_data(as_text=True)
    assert 'value="Vuggestuen Solsikken"' in page and "Mælkebøtten" not in page
    assert 'name="units-1-name"' not in page


def test_a_one_year_course_needs_an_open_round_and_a_municipality(client, make_round):
    data = {**VALID_FORM, "engagement_type": "1"}
    errors = errors_of(client.post("/apply", data=data).get_data(as_text=True))
    assert "ingen åben ansøgningsrunde" in errors["engagement_type"]

    make_round(opens_in_days=5, closes_in_days=30)
    errors = errors_of(client.post("/apply", data=data).get_data(as_text=True))
    assert "Næste runde åbner" in errors["engagement_type"]

    make_round(name="Åben runde")
    institution = {**data, "applicant_kind": "institution", "applicant_name": "Den Selvejende",
                   "units-0-ownership": "self_owned"}
    errors = errors_of(client.post("/apply", data=institution).get_data(as_text=True))
    assert "Kun kommuner kan søge" in errors["applicant_kind"]
    assert client.post("/apply", data=data).status_code == 302


def test_a_self_owned_daycare_may_apply_for_a_mini_course(app, client):
    data = {**VALID_FORM, "applicant_kind": "institution", "applicant_name": "Børnehaven Regnbuen",
            "units-0-ownership": "self_owned", "municipality": "561"}
    assert client.post("/apply", data=data).status_code == 302
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        assert application.applicant_name == "Børnehaven Regnbuen"
        assert application.round_id is None


def test_submissions_are_rate_limited_per_address(client):
    for _ in range(5):
        assert client.post("/apply", data=VALID_FORM).status_code == 302
    response = client.post("/apply", data=VALID_FORM)
    assert response.status_code == 429
    assert "For mange ansøgninger" in response.get_data(as_text=True)
    other = client.post("/apply", data=VALID_FORM, environ_base={"REMOTE_ADDR": "192.0.2.5"})
    assert other.status_code == 302


def test_references_are_sequential_per_year(app, make_application):
    ids = [make_application() for _ in range(3)]
    with app.app_context():
        references = [db.session.get(Application, i).reference for i in ids]
        assert references == [f"ANS-{YEAR}-000{n}" for n in (1, 2, 3)]
        assert next_number("ANS", YEAR + 1) == 1


def test_concurrent_numbering_never_gives_a_number_twice(app):
    """Two threads, each with its own connection and transactions, take numbers at once."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                              connect_args={"timeout": 30} if "sqlite" in str(
                                  app.config["SQLALCHEMY_DATABASE_URI"]) else {})
    kind = f"T{threading.get_ident() % 10000}"
    taken: list[int] = []
    start = threading.Barrier(2)

    def take():
        start.wait()
        for _ in range(15):
            with Session(engine) as session:
                taken.append(next_number(kind, 2099, session))
                session.commit()
    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM reference_counters WHERE kind = :k"), {"k": kind})
    engine.dispose()
    assert sorted(taken) == list(range(1, 31))


@pytest.fixture
def reviewed(app, make_application, login_client):
    """An application under review by two team members; returns (id, first, second)."""
    application_id = make_application()
    first, second = login_client(Role.TEAM), login_client(Role.TEAM)
    for reviewer in (first, second):
        response = first.post(f"/applications/{application_id}/reviewers",
                              data={"reviewer": reviewer.user.id})
        assert response.status_code == 302
    return application_id, first, second


def score_form(app, application_id, values):
    with app.app_context():
        criteria = db.session.get(Application, application_id).criteria_set.criteria
        data = {}
        for criterion, value in zip(criteria, values):
            data[f"score_{criterion.id}"] = str(value)
            data[f"justification_{criterion.id}"] = f"Begrundelse for {value}"
        return data


def test_two_reviewers_score_independently_and_see_the_total(app, reviewed):
    application_id, first, second = reviewed
    url = f"/applications/{application_id}"
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.UNDER_REVIEW

    response = first.post(url + "/score", data=score_form(app, application_id, [3, 3, 2, 2]))
    assert response.status_code == 302
    page = second.get(url).get_data(as_text=True)
    assert "når du selv har afgivet din" in page  # not before their own scores
    assert "Begrundelse for 3" not in page

    second.post(url + "/score", data=score_form(app, application_id, [1, 3, 2, 2]))
    page = second.get(url).get_data(as_text=True)
    assert "Vægtet total:</strong> 76,7" in page
    assert "bedømmerne er uenige med 2 eller mere" in page.lower() or \
        "uenige med 2 eller mere" in page


def test_a_score_needs_every_criterion_and_a_justification(app, reviewed):
    application_id, first, _second = reviewed
    data = score_form(app, application_id, [3, 3, 2, 2])
    missing = {k: v for k, v in data.items() if not k.startswith("score_")} | {
        next(k for k in data if k.startswith("score_")): "5"}
    response = first.post(f"/applications/{application_id}/score", data=missing)
    assert response.status_code == 400
    assert "Ikke et gyldigt valg." in response.get_data(as_text=True)
    with app.app_context():
        assert all(r.submitted_at is None for r in db.session.scalars(sa.select(Review)))


def test_each_justification_is_labelled_with_its_criterion(app, reviewed):
    application_id, first, _second = reviewed
    page = first.get(f"/applications/{application_id}/score").get_data(as_text=True)
    with app.app_context():
        criteria = db.session.get(Application, application_id).criteria_set.criteria
        for criterion in criteria:
            assert (f'<label class="form-label" for="justification_{criterion.id}">'
                    f'Begrundelse for {criterion.name("da")}</label>') in page


def test_only_an_assigned_reviewer_scores(app, make_application, login_client):
    application_id = make_application()
    assert login_client(Role.TEAM).get(f"/applications/{application_id}/score").status_code == 403


def test_approval_opens_an_engagement_and_is_final(app, reviewed):
    application_id, first, second = reviewed
    url = f"/applications/{application_id}"
    for client in (first, second):
        client.post(url + "/score", data=score_form(app, application_id, [3, 3, 3, 3]))
    first.post(url + "/decision", data={"decision": "approved", "note": ""})
    assert "Giv en begrundelse for afgørelsen." in first.get(url).get_data(as_text=True)

    first.post(url + "/decision", data={"decision": "approved", "note": "Opfylder alt."})
    page = first.get(url).get_data(as_text=True)
    assert f"FORL-{YEAR}-001" in page or "FORL-" in page
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is ApplicationStatus.APPROVED
        assert application.decided_by_id == first.user.id
        engagement = db.session.scalar(sa.select(Engagement))
        assert engagement.application_id == application_id
        assert engagement.municipality_code == 773
        assert [link.unit.name for link in engagement.units] == ["Børnehuset Mælkebøtten"]
        audited = set(db.session.scalars(sa.select(AuditEntry.table_name)))
        assert {"applications", "reviews", "scores", "engagements"} <= audited

    first.post(url + "/decision", data={"decision": "rejected", "note": "Alligevel"})
    assert "kan ikke" in first.get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.APPROVED


def test_a_submitted_application_cannot_be_decided_before_review(app, make_application,
                                                                 team_client):
    application_id = make_application()
    team_client.post(f"/applications/{application_id}/decision",
                     data={"decision": "approved", "note": "Hurtigt"})
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.SUBMITTED


def test_staff_withdraw_with_a_reason(app, make_application, team_client):
    application_id = make_application()
    team_client.post(f"/applications/{application_id}/withdraw", data={"reason": "Trukket"})
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is ApplicationStatus.WITHDRAWN
        assert application.decision_note == "Trukket"


def test_round_ranking_draws_the_capacity_line(app, make_round, make_application, reviewed):
    round_id = make_round(capacity=1)
    with app.app_context():
        for application in db.session.scalars(sa.select(Application)):
            application.round_id = round_id
        db.session.commit()
    application_id, first, second = reviewed
    for client in (first, second):
        client.post(f"/applications/{application_id}/score",
                    data=score_form(app, application_id, [2, 2, 2, 2]))
    make_application()
    with app.app_context():
        db.session.execute(sa.update(Application).values(round_id=round_id))
        db.session.commit()
    page = first.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "Kapacitet nået" in page
    assert page.index(f"ANS-{YEAR}-0001") < page.index("Kapacitet nået") < page.index(
        f"ANS-{YEAR}-0002")


def test_team_registers_an_application_received_by_email(app, team_client):
    response = team_client.post("/applications/new", data={**VALID_FORM, "consent": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Application.channel)).value == "staff"


def test_application_list_runs_a_fixed_number_of_queries(team_client, make_application,
                                                         assert_constant_queries):
    for _ in range(2):
        make_application()
    page = assert_constant_queries(team_client, "/applications",
                                   lambda: [make_application() for _ in range(12)])
    assert "14 rækker" in page
    assert_constant_queries(team_client, "/applications/queue",
                            lambda: [make_application() for _ in range(3)])


def test_a_new_criteria_version_leaves_old_scores_on_the_old_version(app, reviewed):
    application_id, first, _second = reviewed
    first.post(f"/applications/{application_id}/score",
               data=score_form(app, application_id, [3, 3, 3, 3]))
    with app.app_context():
        codes = [c.code for c in db.session.get(CriteriaSet, 1).criteria]
    data = {"name": "Kriterier 2019", "vulnerable_share_threshold": "30"}
    for code in codes:
        data[f"weight_{code}"] = "25"
        data[f"minimum_{code}"] = "1"
    response = first.post("/criteria/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        newest = db.session.scalar(sa.select(CriteriaSet).order_by(CriteriaSet.version.desc()))
        assert newest.version == 2 and [c.weight for c in newest.criteria] == [25] * 4
        scored = db.session.scalars(sa.select(Review).where(
            Review.submitted_at.is_not(None))).one().scores
        assert {s.criterion.criteria_set_id for s in scored} == {1}


def test_team_creates_and_edits_a_round(app, team_client):
    page = team_client.get("/rounds/new").get_data(as_text=True)
    assert "Kriterier 2017" in page
    data = {"name": "Forår 2027", "engagement_type": "1", "opens_on": "2027-03-01",
            "closes_on": "2027-02-01", "capacity": "4", "planned_start": "2027-08-01",
            "criteria_set": "1"}
    response = team_client.post("/rounds/new", data=data)
    assert response.status_code == 400
    assert "Runden skal lukke samme dag eller senere" in response.get_data(as_text=True)
    response = team_client.post("/rounds/new", data={**data, "closes_on": "2027-03-31"})
    assert response.status_code == 302
    listing = team_client.get("/rounds").get_data(as_text=True)
    assert "Forår 2027" in listing and "01-03-2027" in listing and "Kommende" in listing


def test_team_corrects_a_daycare_unit(app, team_client, make_application):
    make_application()
    with app.app_context():
        from consultancy.models import DaycareUnit
        unit_id = db.session.scalar(sa.select(DaycareUnit.id))
    response = team_client.post(f"/units/{unit_id}", data={
        "name": "Børnehuset Mælkebøtten", "kind": "kindergarten", "ownership": "municipal",
        "children": "-3"})
    assert response.status_code == 400
    assert "Skriv et tal mellem 1 og 2000." in response.get_data(as_text=True)
    team_client.post(f"/units/{unit_id}", data={
        "name": "Børnehuset Mælkebøtten", "kind": "kindergarten", "ownership": "municipal",
        "children": "64"})
    assert "64" in team_client.get("/units").get_data(as_text=True)


def test_consultants_and_evaluators_cannot_see_applications(login_client, make_application):
    application_id = make_application()
    for role in (Role.CONSULTANT, Role.EVALUATOR, Role.ADMIN):
        assert login_client(role).get(f"/applications/{application_id}").status_code == 403


def test_ranking_and_unit_lists_run_a_fixed_number_of_queries(
        app, team_client, make_round, make_application, assert_constant_queries):
    round_id = make_round()

    def add(count):
        for _ in range(count):
            make_application(engagement_type_id=1, round_id=round_id)
    add(2)
    page = assert_constant_queries(team_client, f"/rounds/{round_id}", lambda: add(6))
    assert page.count("ANS-") == 8
    assert_constant_queries(team_client, "/units", lambda: make_application(units=[
        UnitData(name=f"Enhed {n}", kind=UnitKind.NURSERY, ownership=Ownership.MUNICIPAL,
                 children=20, vulnerable_share=Decimal("10")) for n in range(5)]))


def test_scores_are_final_and_hidden_from_a_reviewer_who_has_not_scored(app, reviewed,
                                                                       make_round):
    application_id, first, second = reviewed
    url = f"/applications/{application_id}"
    first.post(url + "/score", data=score_form(app, application_id, [1, 1, 1, 1]))
    again = first.post(url + "/score", data=score_form(app, application_id, [3, 3, 3, 3]))
    assert again.status_code == 400
    assert "Dine scorer er afgivet og endelige." in again.get_data(as_text=True)
    listing = second.get("/applications").get_data(as_text=True)
    assert "skjult indtil du har bedømt" in listing
    assert "skjult indtil du har bedømt" not in first.get("/applications").get_data(as_text=True)


def test_a_decision_needs_two_submitted_reviews(app, reviewed):
    application_id, first, second = reviewed
    url = f"/applications/{application_id}"
    first.post(url + "/score", data=score_form(app, application_id, [3, 3, 3, 3]))
    first.post(url + "/decision", data={"decision": "approved", "note": "Klart ja"})
    assert "En afgørelse kræver 2 afgivne bedømmelser" in first.get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status is \
            ApplicationStatus.UNDER_REVIEW


def test_a_reviewer_cannot_assign_themself_after_scores_are_in(app, reviewed, login_client):
    application_id, first, _second = reviewed
    first.post(f"/applications/{application_id}/score",
               data=score_form(app, application_id, [2, 2, 2, 2]))
    third = login_client(Role.TEAM)
    third.post(f"/applications/{application_id}/reviewers", data={"reviewer": third.user.id})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 2


def test_the_public_form_never_changes_a_registered_unit(app, client, make_application):
    make_application()
    client.post("/apply", data={**VALID_FORM, "applicant_kind": "institution",
                                "applicant_name": "Privat", "units-0-ownership": "private",
                                "units-0-kind": "nursery", "units-0-children": "1"})
    with app.app_context():
        from consultancy.models import DaycareUnit
        unit = db.session.scalar(sa.select(DaycareUnit))
        assert (unit.ownership.value, unit.kind.value, unit.children) == (
            "municipal", "integrated", 60)


def test_rounds_of_one_type_never_overlap(team_client, make_round):
    make_round(name="Efterår")
    today = local_today()
    response = team_client.post("/rounds/new", data={
        "name": "Dobbelt", "engagement_type": "1", "opens_on": today.isoformat(),
        "closes_on": today.isoformat(), "capacity": "1", "criteria_set": "1"})
    assert response.status_code == 400
    assert "Datoerne overlapper runden Efterår." in response.get_data(as_text=True)
