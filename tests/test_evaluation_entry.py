"""Entering self-assessments: one page per respondent, the case's responses by occasion and
unit, corrections and deletions, who may do what, the timeline, the milestone flags and
the demo's before/after measurements."""
from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from consultancy import demo
from consultancy.engagements.timeline import timeline
from consultancy.evaluation import services
from consultancy.evaluation.services import EvaluationError, item_field
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    AuditEntry,
    Engagement,
    EngagementStatus,
    Flag,
    InstrumentVersion,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
    Role,
    VersionStatus,
)
from consultancy.security.pseudonyms import pseudonym, respondent_value
from consultancy.services.clock import COPENHAGEN
from tests.conftest import TODAY
from tests.test_demo import add_reviewers, fresh_app

CODE = re.compile(r"R-[A-HJ-NP-Z2-9]{5}")


def item_codes(app) -> list[str]:
    with app.app_context():
        return [item.code for item in services.default_version().items]


def answers(app, value: int = 3, **overrides) -> dict:
    """Every item answered with `value`; overrides by item code (a number or a missing code)."""
    values = {code: value for code in item_codes(app)}
    values.update(overrides)
    return values


def form_data(app, unit_id: int, *, occasion: str = "baseline", role: str = "pedagogue",
              on: date | str = TODAY, code: str = "", leave_out: tuple = (), **overrides) -> dict:
    data = {"unit": str(unit_id), "occasion": occasion, "respondent_role": role,
            "responded_on": on.isoformat() if isinstance(on, date) else on,
            "respondent_code": code}
    with app.app_context():
        data["version"] = str(services.default_version().id)
    for item, value in answers(app, **overrides).items():
        if item not in leave_out:
            data[item_field(item)] = value.value if isinstance(value, MissingCode) else str(value)
    return data


def the_case(app, engagement_id: int) -> tuple[Engagement, int]:
    engagement = db.session.get(Engagement, engagement_id)
    return engagement, engagement.units[0].unit_id


def unit_of(app, engagement_id: int) -> int:
    with app.app_context():
        return the_case(app, engagement_id)[1]


@pytest.fixture
def case_with(app, make_case, make_user, login_client):
    """An active mini case that started 20 days ago, with an English-speaking consultant on
    it; returns (case id, unit id, the consultant's client)."""
    def make(**changes):
        consultant = make_user(Role.CONSULTANT, language="en")
        engagement_id = make_case(**{"consultants": [consultant], "start": -20,
                                     "status": EngagementStatus.ACTIVE} | changes)
        return engagement_id, unit_of(app, engagement_id), login_client(user=consultant)
    return make


def record(app, engagement_id: int, occasion: Occasion = Occasion.BASELINE, *,
           role: RespondentRole = RespondentRole.PEDAGOGUE, on: date = TODAY,
           code: str | None = None, value: int = 3) -> str:
    with app.test_request_context():
        engagement, unit_id = the_case(app, engagement_id)
        response = services.record_response(
            engagement, unit_id, services.default_version(), occasion, role, on,
            answers(app, value), None, code)
        db.session.commit()
        return response.respondent_code


# --- entering a respondent ----------------------------------------------------------------

def test_a_consultant_enters_a_respondent_and_goes_on_to_the_next(app, case_with):
    engagement_id, unit_id, client = case_with()
    page = client.get(f"/evaluation/cases/{engagement_id}/responses/new").get_data(as_text=True)
    # One radio group per item, with its statement as the legend and the anchors as labels.
    assert page.count('class="mb-3 response-item"') == 24
    assert "We plan the day&#39;s routines so that they give every child a chance to learn." \
        in page
    assert 'name="item_LM1" required type="radio" value="1"' in page
    assert "Not at all true" in page and "Completely true" in page
    assert page.count('value="dont_know"') == 24 and page.count('value="not_relevant"') == 24
    assert "Pedagogical learning environment</legend>" in page

    response = client.post(
        f"/evaluation/cases/{engagement_id}/responses/new",
        data=form_data(app, unit_id, role="leader", on=TODAY.strftime("%d-%m-%Y"),
                       LM3=MissingCode.DONT_KNOW, FS2=5))
    assert response.status_code == 302
    assert response.location.startswith(f"/evaluation/cases/{engagement_id}?added=")
    page = client.get(response.location).get_data(as_text=True)
    code = CODE.search(page).group()
    assert f"The answers of {code} (baseline (before), Børnehuset i Morsø Kommune) are saved." \
        in page
    next_link = re.search(r'href="([^"]+)">Next respondent', page).group(1).replace("&amp;", "&")
    assert f"unit={unit_id}" in next_link and "occasion=baseline" in next_link
    assert f"date={TODAY.isoformat()}" in next_link

    # The next respondent's page keeps the unit, the occasion and the date.
    page = client.get(next_link).get_data(as_text=True)
    assert re.search(r'<option selected value="baseline">', page)
    assert f'value="{TODAY.isoformat()}"' in page
    assert f'{code} (baseline (before), leader, Børnehuset i Morsø Kommune)' in page

    with app.app_context():
        stored = db.session.scalar(sa.select(Response))
        assert (stored.respondent_code, stored.occasion, stored.respondent_role,
                stored.responded_on, stored.entered_by_id) == (
            code, Occasion.BASELINE, RespondentRole.LEADER, TODAY, client.user.id)
        assert services.answer_values(stored) == answers(app, LM3=MissingCode.DONT_KNOW, FS2=5)


def test_the_case_page_lists_the_responses_by_occasion_and_unit(app, case_with):
    engagement_id, unit_id, client = case_with()
    first = record(app, engagement_id, role=RespondentRole.LEADER, on=TODAY - timedelta(days=3))
    record(app, engagement_id)
    record(app, engagement_id, Occasion.END, code=first)
    page = client.get(f"/evaluation/cases/{engagement_id}").get_data(as_text=True)
    baseline = page[page.index('id="occasion-baseline"'):page.index('id="occasion-end"')]
    assert "2 respondents" in baseline and "in 1 unit" in baseline
    assert f"{(TODAY - timedelta(days=3)).strftime('%-d %b %Y')} – " in baseline
    assert "Leader 1 · Pedagogue 1" in baseline
    end = page[page.index('id="occasion-end"'):]
    assert "1 respondent" in end and first in end
    assert "Midway" not in page  # only the occasions measured, and always before and after
    assert "Add a respondent" in page and "Import from a file" in page


def test_a_code_links_the_same_person_at_another_occasion(app, case_with):
    engagement_id, unit_id, client = case_with()
    code = record(app, engagement_id, on=TODAY - timedelta(days=10))
    response = client.post(f"/evaluation/cases/{engagement_id}/responses/new",
                           data=form_data(app, unit_id, occasion="end", code=code))
    assert response.status_code == 302
    with app.app_context():
        assert sorted(db.session.execute(sa.select(Response.occasion, Response.respondent_code)
                                         ).all()) == [(Occasion.BASELINE, code),
                                                      (Occasion.END, code)]


def checked(page: str, item: str, value: str) -> bool:
    """The radio button of `item` with `value` is checked."""
    return bool(re.search(rf'<input checked [^>]*name="item_{item}" [^>]*value="{value}"', page))


def field_error(page: str, field: str) -> str:
    """The error text shown next to `field`."""
    start = page.index(f'id="{field}-error"')
    return re.sub(r"<[^>]+>", " ", page[start:page.index("</div>", start)])


@pytest.mark.parametrize("change, field, message", [
    ({"on": TODAY + timedelta(days=1)}, "responded_on", "The date lies in the future."),
    ({"on": TODAY - timedelta(days=111)}, "responded_on",
     "Enter a date no earlier than"),
    ({"on": "31-02-2026"}, "responded_on", "Not a valid date value."),
    ({"leave_out": ("LM2",)}, "item_LM2",
     "Answer the question, or mark it as not relevant or don't know."),
    ({"LE1": 9}, "item_LE1", "Not a valid choice."),
    ({"role": ""}, "respondent_role", "Choose the respondent's role."),
    ({"occasion": ""}, "occasion", "Choose the occasion."),
])
def test_each_refusal_is_shown_next_to_its_field_and_the_input_is_kept(
        app, case_with, change, field, message):
    engagement_id, unit_id, client = case_with()
    response = client.post(f"/evaluation/cases/{engagement_id}/responses/new",
                           data=form_data(app, unit_id, FS1=4, BP2=MissingCode.NOT_RELEVANT,
                                          **change))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert checked(page, "FS1", "4") and checked(page, "BP2", "not_relevant")
    assert not checked(page, "FS1", "3")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_a_code_used_at_the_occasion_is_refused_next_to_the_respondent(app, case_with):
    engagement_id, unit_id, client = case_with()
    code = record(app, engagement_id)
    response = client.post(f"/evaluation/cases/{engagement_id}/responses/new",
                           data=form_data(app, unit_id, code=code, LM1=5))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"The respondent {code} has already answered at this occasion (baseline (before)) " \
        "on the case." in field_error(page, "respondent_code")
    assert checked(page, "LM1", "5")


@pytest.mark.parametrize("call, field", [
    (lambda c: c(unit_id=-1), "unit"),
    (lambda c: c(responded_on=TODAY + timedelta(days=1)), "responded_on"),
    (lambda c: c(responded_on=TODAY - timedelta(days=20 + 91)), "responded_on"),
    (lambda c: c(answers={"LM1": 3}), "item_LM2"),
    (lambda c: c(extra={"XX9": 3}), "item_XX9"),
    (lambda c: c(extra={"LM1": 0}), "item_LM1"),
    (lambda c: c(extra={"LM1": 6}), "item_LM1"),
    (lambda c: c(extra={"LM1": True}), "item_LM1"),
    (lambda c: c(respondent_code="Mette"), "respondent_code"),
    (lambda c: c(respondent_code="010203-1234"), "respondent_code"),
    (lambda c: c(draft=True), "instrument"),
])
def test_the_service_refuses_what_breaks_a_rule_and_names_the_field(app, case_with, call,
                                                                     field):
    engagement_id, unit_id, _client = case_with()
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        version = services.default_version()
        full = answers(app)

        def attempt(unit_id=unit_id, responded_on=TODAY, answers=full, extra=None,
                    respondent_code=None, draft=False):
            chosen = version
            if draft:
                chosen = InstrumentVersion(instrument=version.instrument, number=2,
                                           status=VersionStatus.DRAFT)
            services.record_response(engagement, unit_id, chosen, Occasion.BASELINE,
                                     RespondentRole.LEADER, responded_on,
                                     {**answers, **(extra or {})}, None, respondent_code)

        with pytest.raises(EvaluationError) as refused:
            call(attempt)
        assert refused.value.field == field
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_the_out_of_scale_message_names_the_value_and_the_scale(app, case_with):
    engagement_id, unit_id, _client = case_with()
    with app.test_request_context(), pytest.raises(EvaluationError) as refused:
        engagement = db.session.get(Engagement, engagement_id)
        services.record_response(engagement, unit_id, services.default_version(),
                                 Occasion.BASELINE, RespondentRole.LEADER, TODAY,
                                 answers(app, LM2=9), None)
    assert refused.value.message in ("9 is outside the scale 1–5.",
                                     "9 ligger uden for skalaen 1–5.")


def test_generated_codes_are_short_unambiguous_and_new_on_the_case():
    taken = {"R-AAAAA"}
    rng = random.Random(1)
    codes = {services.new_respondent_code(taken, rng) for _ in range(500)}
    assert all(CODE.fullmatch(code) for code in codes)
    assert not any(set(code[2:]) & set("IO01") for code in codes)
    assert "R-AAAAA" not in codes and len(codes) > 490
    # Only R-AAAAA and codes without a digit could be drawn: a code needs a digit, so the
    # generator goes on until it draws one.
    draws = iter("AAAAA" + "BCDEF" + "AAAA2")
    rigged = random.Random()
    rigged.choice = lambda alphabet: next(draws)
    assert services.new_respondent_code(taken, rigged) == "R-AAAA2"


# --- corrections and deletions -------------------------------------------------------------

def test_a_response_is_corrected_and_the_change_is_audited(app, case_with):
    engagement_id, unit_id, client = case_with()
    code = record(app, engagement_id, on=TODAY - timedelta(days=2))
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id))
    url = f"/evaluation/cases/{engagement_id}/responses/{response_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f"Edit the answers of {code}" in page
    assert checked(page, "LM1", "3")
    response = client.post(url, data=form_data(app, unit_id, role="assistant", code=code,
                                               LM1=MissingCode.NOT_RELEVANT, EK3=5))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Response, response_id)
        assert stored.respondent_role is RespondentRole.ASSISTANT
        assert stored.responded_on == TODAY
        values = services.answer_values(stored)
        assert values["LM1"] is MissingCode.NOT_RELEVANT and values["EK3"] == 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 24
        changed = db.session.scalars(sa.select(AuditEntry.table_name).where(
            AuditEntry.action == "update", AuditEntry.actor_id == client.user.id)).all()
        assert sorted(changed) == ["evaluation_answers", "evaluation_answers",
                                   "evaluation_responses"]


def test_a_response_is_deleted_after_confirmation(app, case_with):
    engagement_id, _unit_id, client = case_with()
    code = record(app, engagement_id)
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id))
    url = f"/evaluation/cases/{engagement_id}/responses/{response_id}/delete"
    page = client.get(url).get_data(as_text=True)
    assert f"Delete the answers of {code}?" in page
    response = client.post(url, follow_redirects=True)
    assert f"The answers of {code} (baseline (before)) are deleted." in \
        response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
        assert db.session.scalar(sa.select(AuditEntry.id).where(
            AuditEntry.action == "delete", AuditEntry.table_name == "evaluation_responses"))


def test_a_response_of_another_case_is_not_found_through_this_one(app, case_with, make_case):
    engagement_id, _unit_id, client = case_with()
    other = make_case(applicant="Esbjerg Kommune", municipality=561, start=-5)
    record(app, other)
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id))
    assert client.get(f"/evaluation/cases/{engagement_id}/responses/{response_id}/edit"
                      ).status_code == 404


# --- who may do what -----------------------------------------------------------------------

def test_only_writers_of_the_case_enter_answers_and_evaluators_read_the_counts(
        app, case_with, login_client):
    engagement_id, unit_id, _client = case_with()
    code = record(app, engagement_id)
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id))
    base = f"/evaluation/cases/{engagement_id}"
    writing = [f"{base}/responses/new", f"{base}/responses/{response_id}/edit",
               f"{base}/responses/{response_id}/delete", f"{base}/import",
               f"{base}/import/template.csv"]

    stranger = login_client(Role.CONSULTANT, language="en")  # not on the case
    for url in [base, *writing]:
        assert stranger.get(url).status_code == 403, url
    assert stranger.post(f"{base}/responses/new", data=form_data(app, unit_id)
                         ).status_code == 403

    evaluator = login_client(Role.EVALUATOR, language="en")
    page = evaluator.get(base).get_data(as_text=True)
    # The respondent by the pseudonym of the exports, not by the code.
    assert "1 respondent" in page and code not in page
    with app.app_context():
        assert pseudonym("respondent", respondent_value(str(engagement_id), code)) in page
    assert "Add a respondent" not in page and "/edit" not in page
    for url in writing:
        assert evaluator.get(url).status_code == 403, url
    assert evaluator.post(f"{base}/responses/new", data=form_data(app, unit_id)
                          ).status_code == 403

    for role in (Role.TEAM, Role.ADMIN):
        client = login_client(role, language="en")
        assert "Add a respondent" in client.get(base).get_data(as_text=True)
        assert client.post(f"{base}/responses/new", data=form_data(app, unit_id, code=""),
                           ).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 3


def test_the_case_page_links_to_the_self_assessments(app, case_with, login_client):
    engagement_id, _unit_id, client = case_with()
    link = f'href="/evaluation/cases/{engagement_id}"'
    assert link in client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    evaluator = login_client(Role.EVALUATOR, language="en")
    assert link in evaluator.get(f"/engagements/{engagement_id}").get_data(as_text=True)


def test_the_responses_page_runs_a_fixed_number_of_queries(app, case_with,
                                                             assert_constant_queries):
    engagement_id, _unit_id, client = case_with()
    record(app, engagement_id)

    def grow():
        for occasion in (Occasion.BASELINE, Occasion.MIDWAY, Occasion.END):
            record(app, engagement_id, occasion)
            record(app, engagement_id, occasion, role=RespondentRole.LEADER)
    page = assert_constant_queries(client, f"/evaluation/cases/{engagement_id}", grow)
    assert "3 respondents" in page and "Midway" in page


# --- the timeline and the milestone flags --------------------------------------------------

def test_the_timeline_shows_each_occasion_on_its_first_day(app, case_with):
    engagement_id, _unit_id, client = case_with()
    record(app, engagement_id, on=TODAY - timedelta(days=4), role=RespondentRole.LEADER)
    record(app, engagement_id, on=TODAY - timedelta(days=2))
    page = client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    assert "Baseline self-assessment: 2 respondents in 1 unit" in page
    assert "answers until" in page
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        items = [item for item in timeline(engagement, pseudonymised=True)
                 if item.kind.code == "self_assessment"]
        assert [(item.day, item.kind.mark) for item in items] == [
            (TODAY - timedelta(days=4), "◧")]
        assert items[0].link.endpoint == "evaluation.case_responses"


def open_flags(app, engagement_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Flag.rule_code).where(
            Flag.engagement_id == engagement_id, Flag.resolved_on.is_(None))))


def test_a_baseline_response_resolves_the_baseline_flag_at_once(app, make_case):
    engagement_id = make_case(type_code="one_year", status=EngagementStatus.ACTIVE, start=-40,
                              new_consultants=2)
    assert open_flags(app, engagement_id) == ["baseline_missing"]
    record(app, engagement_id, on=TODAY - timedelta(days=1))
    assert open_flags(app, engagement_id) == []
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag).where(Flag.rule_code == "baseline_missing"))
        assert flag.resolved_on == TODAY


def test_an_end_response_resolves_the_end_assessment_flag_at_once(app, make_case):
    engagement_id = make_case(type_code="one_year", status=EngagementStatus.ACTIVE,
                              start=-350, new_consultants=2)
    before = open_flags(app, engagement_id)
    assert "end_assessment_due" in before
    record(app, engagement_id, Occasion.END)
    assert open_flags(app, engagement_id) == [f for f in before if f != "end_assessment_due"]
    with app.app_context():
        flag = db.session.scalar(sa.select(Flag).where(Flag.rule_code == "end_assessment_due"))
        assert flag.resolved_on == TODAY


# --- the demo ------------------------------------------------------------------------------

DEMO_TODAY = date(2026, 11, 23)
DEMO_NOW = datetime.combine(DEMO_TODAY, time(9, 30), tzinfo=COPENHAGEN)


def test_the_demo_measures_units_before_and_after_with_a_modest_gain(app):
    with app.test_request_context():
        add_reviewers()
        summary = demo.load(DEMO_TODAY, DEMO_NOW)
        db.session.commit()
        responses = db.session.scalars(sa.select(Response)).all()
        by_unit: dict[tuple, dict] = {}
        for response in responses:
            assert CODE.fullmatch(response.respondent_code)
            assert response.responded_on <= DEMO_TODAY
            assert response.entered_by.role is Role.CONSULTANT
            assert len(response.answers) == 24
            # Scored as the summaries score: a reverse-coded item flipped.
            values = [6 - a.value if a.item.reverse_coded else a.value
                      for a in response.answers if a.value is not None]
            by_unit.setdefault((response.engagement_id, response.unit_id), {}).setdefault(
                response.occasion, []).append(sum(values) / len(values))
        matched = {unit: occasions for unit, occasions in by_unit.items()
                   if Occasion.BASELINE in occasions and Occasion.END in occasions}
        assert len(matched) >= 8
        assert any(Occasion.END not in occasions for occasions in by_unit.values())
        assert {r.respondent_role for r in responses} >= {
            RespondentRole.LEADER, RespondentRole.PEDAGOGUE, RespondentRole.ASSISTANT}
        assert all(2 <= len(o[Occasion.BASELINE]) <= 4 for o in by_unit.values())
        assert any(a.missing_code is not None for r in responses for a in r.answers)
        # A modest gain on average; some units do not gain.
        changes = [sum(o[Occasion.END]) / len(o[Occasion.END])
                   - sum(o[Occasion.BASELINE]) / len(o[Occasion.BASELINE])
                   for o in matched.values()]
        assert 0.2 <= sum(changes) / len(changes) <= 0.6
        assert any(change <= 0.05 for change in changes)
        # The same people answer before and after in most units.
        codes = {}
        for response in responses:
            codes.setdefault(response.respondent_code, set()).add(response.occasion)
        assert sum(len(occasions) > 1 for occasions in codes.values()) >= 16
        for response in responses:
            assert response.engagement.start_date - timedelta(days=90) <= \
                response.responded_on
        assert summary.responses[Occasion.END] == sum(
            r.occasion is Occasion.END for r in responses)


def test_two_empty_databases_get_the_same_self_assessments(database, tmp_path):
    loaded = []
    for name in ("first", "second"):
        with fresh_app(database, tmp_path / name) as app, app.test_request_context():
            add_reviewers()
            demo.load(DEMO_TODAY, DEMO_NOW)
            db.session.commit()
            loaded.append([
                (r.engagement.reference, r.unit.name, r.occasion, r.respondent_role,
                 r.respondent_code, r.responded_on, r.entered_by.email,
                 sorted((a.item.code, a.value, a.missing_code) for a in r.answers))
                for r in db.session.scalars(sa.select(Response).order_by(
                    Response.engagement_id, Response.occasion, Response.respondent_code))])
    first, second = loaded
    assert len(first) > 100
    assert first == second
