"""External evaluators see pseudonyms only: on every page they may open (found by walking
the routes and their declared access, not listed by hand), in every download and in every
API answer; and a pseudonym on a page is the one in the export and the API."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pyreadstat
import pytest
import sqlalchemy as sa
from flask import url_for

from consultancy.applications import services as applications
from consultancy.applications.services import UnitData
from consultancy.engagements import services as cases
from consultancy.evaluation import services as evaluation
from consultancy.evaluation.effect_data import FORMATS
from consultancy.extensions import db
from consultancy.flags import services as flags
from consultancy.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    Engagement,
    EngagementContact,
    EngagementStatus,
    Flag,
    MemberRole,
    Occasion,
    Ownership,
    RespondentRole,
    Role,
    SessionFormat,
    UnitKind,
    User,
)
from consultancy.security.permissions import PUBLIC, TokenAccess, access_of
from consultancy.services.clock import utcnow
from tests.conftest import TODAY

UNITS = ["Børnehuset Xylofonen", "Vuggestuen Zebrafinken", "Naturbørnehaven Kvækkeriet"]
APPLICANT = "Snebærhavens Friinstitution"
CONTACT = ("Kontaktperson Quistgaard", "quistgaard@snebaer.example", "+45 31 41 59 26")
CASE_CONTACT = ("Pædagog Ylvisåker", "Souschef Ylvisåker", "ylvisaker@snebaer.example",
                "+45 27 18 28 18")
CONSULTANTS = ["Konsulent Zebulon Ørnsholt", "Konsulent Wilhelmine Æbelø"]
TEAM_USER = "Koordinator Quirin Blåbærsen"
CODES = ["R-KLMX2", "R-WXYZ9", "R-PQRS7"]
FREE_TEXT = [
    "Behovet er dokumenteret i Zirkonium-rapporten.",
    "Motivationen bygger på Wolfram-projektet.",
    "Ledelsen afsætter Iridium-timer.",
    "Referat: legen i Molybdæn-garderoben.",
    "Næste skridt: Vanadium-møde med forældrene.",
    "Mål: Tantal-læringsmiljø for de yngste.",
    "Dokumentation med Niobium-logbog.",
    "Begrundelse: Hafnium-aftale indgået.",
    "Afgørelse: Rhenium-begrundet tilsagn.",
    "Kvittering: Osmium-opfølgning aftalt.",
]


@pytest.fixture
def identified_case(app, make_application, make_user):
    """A mini course from an institution's application, with every kind of name and free
    text, three units, two consultants, sessions, a contact person, a status change with a
    reason, an acknowledged flag and self-assessments at baseline and end. Returns
    (case id, flag id)."""
    team = make_user(Role.TEAM, name=TEAM_USER)
    first, second = (make_user(Role.CONSULTANT, name=name) for name in CONSULTANTS)
    need, motivation, backing, summary, next_steps, goal, documentation, reason, note, \
        acknowledgement = FREE_TEXT
    application_id = make_application(
        engagement_type_id=2, applicant_kind=ApplicantKind.INSTITUTION,
        applicant_name=APPLICANT, contact_name=CONTACT[0], contact_email=CONTACT[1],
        contact_phone=CONTACT[2], documented_need=need, motivation=motivation,
        leadership_backing=backing,
        units=[UnitData(name=name, kind=UnitKind.INTEGRATED, ownership=Ownership.SELF_OWNED,
                        children=40 + number, vulnerable_share=Decimal("30"))
               for number, name in enumerate(UNITS)])
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        application.status = ApplicationStatus.UNDER_REVIEW
        engagement = applications.decide(application, ApplicationStatus.APPROVED, note,
                                         db.session.get(User, team.id), utcnow(),
                                         required_reviews=0)
        engagement.start_date = TODAY - timedelta(days=60)
        engagement.goals = [goal]
        engagement.documentation_form = documentation
        lead, co = db.session.get(User, first.id), db.session.get(User, second.id)
        cases.assign_consultant(engagement, lead, MemberRole.LEAD, TODAY - timedelta(days=60))
        cases.assign_consultant(engagement, co, MemberRole.CO, TODAY - timedelta(days=60))
        unit_ids = [link.unit_id for link in engagement.units]
        cases.log_session(engagement, cases.SessionData(
            held_on=TODAY - timedelta(days=50), hours=Decimal("2"),
            format=SessionFormat.KICKOFF, sub_format=None,
            consultant_ids=[lead.id, co.id], unit_ids=unit_ids, summary=summary,
            next_steps=next_steps), lead, TODAY)
        name, title, email, phone = CASE_CONTACT
        db.session.add(EngagementContact(engagement=engagement, unit_id=unit_ids[0], name=name,
                                         title=title, email=email, phone=phone))
        cases.change_status(engagement, EngagementStatus.ACTIVE, reason,
                            db.session.get(User, team.id), utcnow())
        version = evaluation.default_version()
        answers = {item.code: 3 for item in version.items}
        for occasion, day, value in ((Occasion.BASELINE, -55, 3), (Occasion.END, -1, 4)):
            for unit_id, code, role in zip(unit_ids, CODES, RespondentRole):
                evaluation.record_response(
                    engagement, unit_id, version, occasion, role, TODAY + timedelta(days=day),
                    {item: value for item in answers}, lead, code, today=TODAY)
        db.session.commit()  # the flag pass runs for the changed case
        flag = db.session.scalar(sa.select(Flag).where(
            Flag.engagement_id == engagement.id, Flag.rule_code == "no_recent_activity"))
        flags.acknowledge(flag, lead, acknowledgement, utcnow())
        db.session.commit()
        return engagement.id, flag.id


def secrets_of(app, engagement_id: int) -> list[str]:
    """Every name, reference, contact and free text of the case: none may reach an
    evaluator."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        references = [engagement.reference, engagement.application.reference]
    return [*UNITS, APPLICANT, *CONTACT, *CASE_CONTACT, *CONSULTANTS, TEAM_USER, *CODES,
            *FREE_TEXT, *(text.split(": ", 1)[-1] for text in FREE_TEXT), *references]


def readable(name: str, data: bytes, folder) -> str:
    """The text of a download: every file of a ZIP (an XLSX is one), Parquet, Stata and SPSS
    files read back as tables."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(readable(member, archive.read(member), folder)
                             for member in archive.namelist())
    suffix = name.rsplit(".", 1)[-1]
    if suffix == "parquet":
        return pd.read_parquet(io.BytesIO(data)).to_csv()
    if suffix == "dta":
        return pd.read_stata(io.BytesIO(data)).to_csv()
    if suffix == "sav":
        path = folder / "download.sav"
        path.write_bytes(data)
        return pyreadstat.read_sav(str(path))[0].to_csv()
    return data.decode("utf-8", "replace")


# Downloads and filters an evaluator can ask for beyond the bare URL.
QUERIES = {
    "evaluation.export_download": [{"format": fmt} for fmt in FORMATS],
    "evaluation.codebook_download": [{"format": fmt} for fmt in ("xlsx", "csv", "items.csv")],
    "evaluation.export": [{"format": "csv", "municipality": "773"}],
    "evaluation.summary": [{}, {"municipality": "773"}],
    "api.effect_data": [{"format": "csv"}, {"format": "json"}],
    "api.activity": [{"format": "csv"}, {"format": "json"}],
    "api.codebook": [{}],
}


def evaluator_routes(app, ids: dict[str, int]) -> list[tuple[str, str, object]]:
    """(endpoint, URL, access) of every GET route an evaluator may open: by role, with a
    token, or public; the path's ids the real ones of the case."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            access = access_of(rule.endpoint)
            if "GET" not in rule.methods or rule.endpoint.endswith("static"):
                continue
            if access != PUBLIC and Role.EVALUATOR not in access:
                continue
            missing = set(rule.arguments) - set(ids)
            assert not missing, f"{rule.rule}: give the test a real value of {missing}"
            for query in QUERIES.get(rule.endpoint, [{}]):
                found.append((rule.endpoint, url_for(rule.endpoint, **{
                    name: ids[name] for name in rule.arguments}, **query), access))
    return found


@pytest.fixture
def evaluator_token(runner, make_user):
    user = make_user(Role.EVALUATOR)
    result = runner.invoke(args=["tokens", "create", user.email])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_evaluators_see_no_name_reference_contact_or_free_text_anywhere(
        app, identified_case, evaluator_client, evaluator_token, tmp_path):
    engagement_id, flag_id = identified_case
    secrets = secrets_of(app, engagement_id)
    routes = evaluator_routes(app, {"engagement_id": engagement_id, "flag_id": flag_id})
    endpoints = {endpoint for endpoint, _url, _access in routes}
    # The pages where the names were shown are among those walked.
    assert {"engagements.case", "evaluation.case_responses", "evaluation.case_summary",
            "flags.detail", "evaluation.summary", "api.effect_data"} <= endpoints
    for _endpoint, url, access in routes:
        headers = {"Authorization": f"Bearer {evaluator_token}"} \
            if isinstance(access, TokenAccess) else {}
        response = evaluator_client.get(url, headers=headers)
        if access == PUBLIC:  # the sign-in page sends a signed-in user on
            assert response.status_code in (200, 302), url
        else:
            assert response.status_code == 200, (url, response.status_code)
        text = readable(url.split("?")[0], response.data, tmp_path)
        shown = [secret for secret in secrets if secret in text]
        assert shown == [], f"{url} shows {shown}"


def pseudonyms_on(page: str, prefix: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf"\b{prefix}-[0-9a-f]{{12}}\b", page)))


def test_the_pages_show_the_pseudonyms_of_the_export_and_the_api(
        app, identified_case, evaluator_client, evaluator_token):
    engagement_id, flag_id = identified_case
    headers = {"Authorization": f"Bearer {evaluator_token}"}
    rows = evaluator_client.get("/api/v1/effect-data?format=json", headers=headers).get_json()
    case_ids = {row["engagement_id"] for row in rows}
    unit_ids = {row["unit_id"] for row in rows}
    respondent_ids = {row["respondent_id"] for row in rows}
    assert len(case_ids) == 1 and len(unit_ids) == 3 and len(respondent_ids) == 3

    for url in (f"/engagements/{engagement_id}", f"/evaluation/cases/{engagement_id}",
                f"/evaluation/cases/{engagement_id}/summary", f"/flags/{flag_id}"):
        page = evaluator_client.get(url).get_data(as_text=True)
        assert set(pseudonyms_on(page, "E")) == case_ids, url

    case_page = evaluator_client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    assert set(pseudonyms_on(case_page, "U")) == unit_ids
    responses = evaluator_client.get(f"/evaluation/cases/{engagement_id}").get_data(
        as_text=True)
    assert set(pseudonyms_on(responses, "R")) == respondent_ids
    # Units in the order of their pseudonyms, not of their names: the order would tell
    # which pseudonym is which unit to anyone who knows the names.
    shown_units = pseudonyms_on(responses.split("<tbody>", 1)[1], "U")
    assert shown_units == sorted(unit_ids)
    archive = zipfile.ZipFile(io.BytesIO(evaluator_client.get(
        "/evaluation/export/download?format=csv").data))
    exported = pd.read_csv(io.BytesIO(archive.read("effect_data.csv")))
    assert set(exported["unit_id"]) == unit_ids
    activity = pd.read_csv(io.BytesIO(archive.read("activity.csv")))
    assert set(pseudonyms_on(case_page, "E")) <= set(activity["engagement_id"])


def test_staff_still_see_the_names(app, identified_case, team_client):
    engagement_id, flag_id = identified_case
    with app.app_context():
        reference = db.session.get(Engagement, engagement_id).reference
    case_page = team_client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    responses = team_client.get(f"/evaluation/cases/{engagement_id}").get_data(as_text=True)
    flag_page = team_client.get(f"/flags/{flag_id}").get_data(as_text=True)
    for page in (case_page, responses, flag_page):
        assert reference in page and APPLICANT in page
        assert pseudonyms_on(page, "E") == []
    assert all(name in case_page for name in (*UNITS, *CONSULTANTS, CASE_CONTACT[0]))
    assert all(code in responses for code in CODES)
    assert FREE_TEXT[9] in flag_page
