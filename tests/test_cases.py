from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementMember,
    EngagementStatus,
    EngagementType,
    Ownership,
    Role,
    UnitKind,
)
from consultancy.services.clock import local_today
from tests.test_applications import VALID_FORM, errors_of


def case(app, engagement_id) -> Engagement:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        db.session.expunge(engagement)
        return engagement


def test_a_case_takes_length_and_budget_from_its_type(app, make_case):
    engagement = case(app, make_case(start=date(2026, 1, 31)))
    assert engagement.reference == "FORL-2026-001"
    assert engagement.hour_budget == Decimal("10")
    assert engagement.planned_end == date(2026, 4, 30)  # three months, at the month's end
    assert engagement.status is EngagementStatus.PLANNED


def test_team_creates_a_case_directly(app, team_client):
    response = team_client.post("/engagements/new", data={
        "engagement_type": "1", "municipality": "390", "applicant_name": "Vordingborg Kommune",
        "start_date": "2025-08-01"})
    assert response.status_code == 302
    with app.app_context():
        engagement = db.session.scalar(sa.select(Engagement))
        assert engagement.reference == "FORL-2025-001"
        assert engagement.planned_end == date(2026, 8, 1)
        assert engagement.hour_budget is None


def test_who_may_read_a_case(app, make_case, login_client, make_user):
    member = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[member])
    url = f"/engagements/{engagement_id}"
    assert login_client(user=member).get(url).status_code == 200
    assert login_client(Role.CONSULTANT).get(url).status_code == 403
    assert login_client(Role.TEAM).get(url).status_code == 200
    assert login_client(Role.CONSULTANT).get(url + "/edit").status_code == 403


def test_evaluators_never_see_notes_or_contacts(app, make_case, login_client, make_user):
    member = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[member])
    client = login_client(user=member)
    client.post(f"/engagements/{engagement_id}/contacts", data={
        "name": "Lone Leder", "title": "Dagtilbudsleder", "email": "lone@morsoe.example",
        "phone": "12345678", "unit": ""})
    client.post(f"/engagements/{engagement_id}/edit", data={
        "goals": "Styrke legen\nBedre overgange", "documentation_form": "Praksisfortællinger",
        "version": str(case(app, engagement_id).version)})
    assert "Lone Leder" in client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    page = login_client(Role.EVALUATOR).get(f"/engagements/{engagement_id}").get_data(
        as_text=True)
    for secret in ("Lone Leder", "lone@morsoe.example", "Styrke legen", "Praksisfortællinger"):
        assert secret not in page
    assert login_client(Role.EVALUATOR).post(
        f"/engagements/{engagement_id}/contacts", data={"name": "X"}).status_code == 403


def test_editing_a_case_with_an_old_version_is_refused_and_keeps_the_input(
        app, make_case, login_client, make_user):
    member = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[member])
    client = login_client(user=member)
    old = str(case(app, engagement_id).version)
    assert client.post(f"/engagements/{engagement_id}/edit", data={
        "goals": "Første mål", "version": old}).status_code == 302
    response = client.post(f"/engagements/{engagement_id}/edit", data={
        "goals": "Mit andet mål", "version": old})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Mit andet mål" in page and "gemt i mellemtiden" in page
    assert case(app, engagement_id).goals == ["Første mål"]


def test_free_text_on_a_case_refuses_cpr_numbers(app, make_case, team_client):
    engagement_id = make_case()
    response = team_client.post(f"/engagements/{engagement_id}/edit", data={
        "goals": "Barn 0101901234 skal have hjælp", "version": "1"})
    assert response.status_code == 400
    assert "cpr-nummeret" in errors_of(response.get_data(as_text=True))["goals"]


def test_team_changes_are_kept_with_dates(app, make_case, team_client, make_user):
    first, second = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[first])
    with app.app_context():
        member_id = db.session.scalar(sa.select(EngagementMember.id))
    team_client.post(f"/engagements/{engagement_id}/team/{member_id}/end")
    team_client.post(f"/engagements/{engagement_id}/team", data={
        "user": second.id, "role": "co"})
    evaluator = make_user(Role.EVALUATOR)
    team_client.post(f"/engagements/{engagement_id}/team", data={
        "user": evaluator.id, "role": "co"})
    with app.app_context():
        members = db.session.scalars(sa.select(EngagementMember).order_by(
            EngagementMember.id)).all()
        assert [(m.user_id, m.ended_on) for m in members] == [
            (first.id, local_today()), (second.id, None)]


def test_cancelling_needs_a_reason_and_the_workflow_holds(app, make_case, team_client):
    engagement_id = make_case()
    url = f"/engagements/{engagement_id}/status"
    team_client.post(url, data={"status": "completed", "reason": ""})
    team_client.post(url, data={"status": "cancelled", "reason": ""})
    assert case(app, engagement_id).status is EngagementStatus.PLANNED
    team_client.post(url, data={"status": "active", "reason": ""})
    team_client.post(url, data={"status": "cancelled", "reason": "Kommunen trak sig"})
    engagement = case(app, engagement_id)
    assert engagement.status is EngagementStatus.CANCELLED
    assert engagement.cancel_reason == "Kommunen trak sig"
    assert login_status_changes(app, engagement_id) == [
        (None, "planned"), ("planned", "active"), ("active", "cancelled")]


def login_status_changes(app, engagement_id):
    from consultancy.models import EngagementStatusChange
    with app.app_context():
        return [(c.from_status.value if c.from_status else None, c.to_status.value)
                for c in db.session.scalars(sa.select(EngagementStatusChange).where(
                    EngagementStatusChange.engagement_id == engagement_id).order_by(
                    EngagementStatusChange.id))]


def test_an_admin_adds_a_type_of_course_without_a_code_change(app, admin_client, client):
    response = admin_client.post("/admin/engagement-types/new", data={
        "code": "short_20", "name_da": "Kort forløb (20 timer)",
        "name_en": "Short course (20 hours)", "intake": "continuous",
        "default_length_months": "4", "default_hours": "20", "institutions_may_apply": "y",
        "min_consultants": "1", "phases_from": "2", "active": "y"})
    assert response.status_code == 302
    assert "Kort forløb (20 timer)" in client.get("/apply").get_data(as_text=True)
    with app.app_context():
        new_type = db.session.scalar(sa.select(EngagementType).where(
            EngagementType.code == "short_20"))
        assert [phase["code"] for phase in new_type.phase_template][-2:] == ["closing",
                                                                             "completed"]
    response = client.post("/apply", data={**VALID_FORM, "engagement_type": str(new_type.id)})
    assert response.status_code == 302

    duplicate = admin_client.post("/admin/engagement-types/new", data={
        "code": "mini", "name_da": "X", "name_en": "X", "intake": "continuous",
        "default_length_months": "3", "min_consultants": "1", "phases_from": "2"})
    assert "Another type of course has this code." in duplicate.get_data(as_text=True) or \
        "En anden forløbstype har denne kode." in duplicate.get_data(as_text=True)


def test_a_consultant_taken_off_a_case_loses_access_that_day(app, make_case, team_client,
                                                            login_client, make_user):
    member = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[member])
    with app.app_context():
        member_id = db.session.scalar(sa.select(EngagementMember.id))
    team_client.post(f"/engagements/{engagement_id}/team/{member_id}/end")
    assert login_client(user=member).get(f"/engagements/{engagement_id}").status_code == 403
    team_client.post(f"/engagements/{engagement_id}/team/{member_id}/end")
    with app.app_context():
        assert db.session.get(EngagementMember, member_id).ended_on == local_today()


def test_a_save_without_its_version_is_refused(app, make_case, team_client):
    engagement_id = make_case()
    response = team_client.post(f"/engagements/{engagement_id}/edit", data={"goals": "Mål"})
    assert response.status_code == 409
    assert case(app, engagement_id).goals == []


@pytest.mark.parametrize("field, value", [("hour_budget", "sNaN"), ("hour_budget", "Infinity"),
                                          ("start_date", "9999-06-01")])
def test_nonsense_numbers_and_dates_are_refused_not_crashed_on(app, make_case, team_client,
                                                               field, value):
    engagement_id = make_case()
    response = team_client.post(f"/engagements/{engagement_id}/edit", data={
        field: value, "version": str(case(app, engagement_id).version)})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_consultants_cannot_change_the_budget_or_the_dates(app, make_case, login_client,
                                                           make_user):
    member = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[member])
    client = login_client(user=member)
    assert 'name="hour_budget"' not in client.get(
        f"/engagements/{engagement_id}/edit").get_data(as_text=True)
    client.post(f"/engagements/{engagement_id}/edit", data={
        "hour_budget": "500", "goals": "Leg i fokus",
        "version": str(case(app, engagement_id).version)})
    engagement = case(app, engagement_id)
    assert engagement.hour_budget == Decimal("10") and engagement.goals == ["Leg i fokus"]


def test_team_records_when_a_consultant_joined_an_older_case(app, make_case, team_client,
                                                            make_user):
    consultant = make_user(Role.CONSULTANT)
    engagement_id = make_case(start=date(2024, 8, 1))
    team_client.post(f"/engagements/{engagement_id}/team", data={
        "user": consultant.id, "role": "lead", "started_on": "2024-08-01"})
    with app.app_context():
        assert db.session.scalar(sa.select(EngagementMember.started_on)) == date(2024, 8, 1)


def test_every_control_on_the_case_page_has_its_own_id_and_label(app, make_case, team_client):
    """The forms on the case page share field names ("unit", "status" is also the section's
    id): each control keeps an id of its own, so that its label points at it."""
    from collections import Counter
    from html.parser import HTMLParser

    engagement_id = make_case()
    with app.app_context():  # another unit in the municipality: the "add unit" form shows
        db.session.add(DaycareUnit(name="Dagplejen Nord", municipality_code=773,
                                   ownership=Ownership.MUNICIPAL, kind=UnitKind.CHILDMINDING,
                                   children=12))
        db.session.commit()

    class Controls(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.labels, self.controls = Counter(), set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids[attrs["id"]] += 1
            if tag == "label":
                self.labels.add(attrs.get("for"))
            elif tag in ("select", "textarea") or (
                    tag == "input" and attrs.get("type") not in ("hidden", "submit")):
                self.controls.append(attrs.get("id"))

    page = Controls()
    page.feed(team_client.get(f"/engagements/{engagement_id}").get_data(as_text=True))
    assert {"new-status", "contact-unit", "unit"} <= set(page.controls)
    assert [name for name, count in page.ids.items() if count > 1] == []
    assert [control for control in page.controls if control not in page.labels] == []
