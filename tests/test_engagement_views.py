"""The case timeline, the case overview, the consultants' load and the consultant's start
page: content, filters, sorting, paging, access, and a fixed number of queries."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from consultancy.engagements import services
from consultancy.engagements.queries import case_page_query, consultant_load
from consultancy.engagements.services import SessionData
from consultancy.engagements.timeline import timeline
from consultancy.extensions import db
from consultancy.models import (
    Application,
    ApplicationStatus,
    Engagement,
    EngagementStatus,
    EngagementType,
    Flag,
    MemberRole,
    Role,
    SessionFormat,
    SubFormat,
    User,
)
from consultancy.rules.engagements import half_year_of, month_of
from consultancy.services.clock import utcnow
from tests.conftest import TODAY, CaseSession


def reference(app, engagement_id: int) -> str:
    with app.app_context():
        return db.session.get(Engagement, engagement_id).reference


def order_in(page: str, *needles: str) -> list[int]:
    return [page.index(needle) for needle in needles]


def table_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"FORL-\d{4}-\d{3}", body)


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/engagements/", "/engagements/load"])
def test_only_team_and_admin_see_the_overview_and_the_load(login_client, url):
    assert login_client(Role.TEAM).get(url).status_code == 200
    assert login_client(Role.ADMIN).get(url).status_code == 200
    assert login_client(Role.CONSULTANT).get(url).status_code == 403
    assert login_client(Role.EVALUATOR).get(url).status_code == 403


# --- the timeline --------------------------------------------------------------------------

def _loaded(engagement_id: int) -> Engagement:
    """The case as `load_case` loads it."""
    return db.session.scalars(case_page_query(engagement_id)).one()


@pytest.fixture
def case_from_application(app, make_application, make_round, make_user):
    """A one-year case opened by approving an application, with a team change, a held and
    a planned session and a status change."""
    def make():
        first, second = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
        team = make_user(Role.TEAM)
        make_round()
        application_id = make_application(engagement_type_id=1)
        with app.test_request_context():
            from consultancy.applications import services as applications
            application = db.session.get(Application, application_id)
            application.status = ApplicationStatus.UNDER_REVIEW  # as when reviewers are set
            engagement = applications.decide(
                application, ApplicationStatus.APPROVED, "Stærk motivation og opbakning.",
                db.session.get(User, team.id), utcnow(), required_reviews=0)
            engagement.start_date = TODAY - timedelta(days=20)
            member = services.assign_consultant(engagement, db.session.get(User, first.id),
                                                MemberRole.LEAD, TODAY - timedelta(days=20))
            services.assign_consultant(engagement, db.session.get(User, second.id),
                                       MemberRole.CO, TODAY - timedelta(days=20))
            services.end_membership(member, TODAY - timedelta(days=2))
            unit_id = engagement.units[0].unit_id
            for days, summary in ((-10, "Opstart med lederne."), (-3, "Leg i grupper.")):
                services.log_session(engagement, SessionData(
                    held_on=TODAY + timedelta(days=days), hours=Decimal("2.5"),
                    format=SessionFormat.KICKOFF if days == -10 else
                    SessionFormat.PRACTICE_MEETING,
                    sub_format=None if days == -10 else SubFormat.PRESENTATION,
                    consultant_ids=[second.id], unit_ids=[unit_id], summary=summary,
                    next_steps="Lederen samler erfaringer."), db.session.get(User, second.id),
                    TODAY)
            services.log_session(engagement, SessionData(
                held_on=TODAY + timedelta(days=14), hours=Decimal("3"),
                format=SessionFormat.MIDWAY_STATUS, sub_format=None,
                consultant_ids=[second.id], unit_ids=[unit_id]),
                db.session.get(User, second.id), TODAY)
            services.change_status(engagement, EngagementStatus.ACTIVE, "Opstart holdt.",
                                   db.session.get(User, team.id), utcnow())
            db.session.commit()
            return engagement.id, first, second
    return make


def test_the_timeline_composes_every_kind_newest_first(app, case_from_application):
    engagement_id, first, second = case_from_application()
    with app.test_request_context():
        items = timeline(_loaded(engagement_id))
        assert [item.kind.code for item in items] == [
            "planned_session",                          # in 14 days
            "flag_raised",                              # today (one consultant left)
            "status_change", "status_change",           # today: active, then opened
            "application_decided", "application_submitted",  # today, before the opening
            "member_ended",                             # 2 days ago
            "session", "session",                       # 3 and 10 days ago
            "member_started", "member_started",         # 20 days ago
            "phase_change",                             # the start: into startup
        ]
        keys = [item.sort_key() for item in items]
        assert keys == sorted(keys, reverse=True)
        held = [item for item in items if item.kind.code == "session"]
        assert "Leg i grupper." in [text for _, text in held[0].notes]
        assert "Lederen samler erfaringer." in [text for _, text in held[0].notes]
        assert held[0].link.endpoint == "engagements.session_edit"
        assert held[0].link.users == frozenset({second.id})
        planned = next(item for item in items if item.kind.code == "planned_session")
        assert planned.due is False and not planned.notes
        decided = next(item for item in items if item.kind.code == "application_decided")
        assert "Stærk motivation og opbakning." in [text for _, text in decided.notes]
        ended = next(item for item in items if item.kind.code == "member_ended")
        assert first.name in ended.title
        change = next(item for item in items if item.kind.code == "status_change"
                      and item.notes)
        assert "Opstart holdt." in [text for _, text in change.notes]


def test_on_one_day_a_session_comes_after_the_team_change_and_the_opening(
        app, make_case, make_user):
    consultant = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[consultant], sessions=[(0, 1)])
    with app.test_request_context():
        items = timeline(_loaded(engagement_id))
    assert [item.kind.code for item in items] == ["session", "member_started", "phase_change",
                                                  "status_change"]


def test_evaluators_get_no_free_text_in_the_timeline(app, case_from_application):
    engagement_id, *_ = case_from_application()
    with app.test_request_context():
        items = timeline(_loaded(engagement_id), pseudonymised=True)
        assert all(item.notes == () for item in items)
        text = " ".join(f"{item.title} {item.detail}" for item in items)
        for secret in ("Leg i grupper.", "Lederen samler", "Stærk motivation", "Opstart holdt."):
            assert secret not in text


def test_a_planned_session_whose_day_has_come_is_due(app, make_case, make_user):
    consultant = make_user(Role.CONSULTANT)
    engagement_id = make_case(consultants=[consultant], sessions=[(1, 2)])
    with app.test_request_context():
        engagement = _loaded(engagement_id)
        assert [i.due for i in timeline(engagement) if i.kind.code == "planned_session"
                ] == [False]
        later = TODAY + timedelta(days=1)
        assert [i.due for i in timeline(engagement, today=later)
                if i.kind.code == "planned_session"] == [True]


def test_the_timeline_runs_as_many_queries_whatever_the_history(app, make_case, make_user,
                                                                 query_counter):
    consultant = make_user(Role.CONSULTANT)
    small = make_case(consultants=[consultant], sessions=[(2, 1)])
    large = make_case(consultants=[consultant, make_user(Role.CONSULTANT)],
                      sessions=[CaseSession(-day, 1, next_steps="x") for day in range(1, 40)]
                      + [CaseSession(3, 1)])
    counts = []
    with app.test_request_context():
        for engagement_id in (small, large):
            engagement = _loaded(engagement_id)
            with query_counter() as statements:
                items = timeline(engagement, limit=3)
            counts.append(len(statements))
            assert len(items) == 3 and items[0].kind.code == "planned_session"
            # The window's sessions only, with their consultants and units.
            assert "LIMIT" in statements[0] and "engagement_sessions.id IN" in statements[1]
        whole = timeline(engagement)
        assert items.total == len(whole) > 40 and list(items) == list(whole[:3])
    # The index, the sessions shown, their consultants, their units.
    assert counts == [4, 4]


def test_a_row_written_after_the_case_was_loaded_is_left_out_not_an_error(
        app, make_case, make_user):
    """The page loads the case's flags, then reads the timeline's index: a flag raised by
    another request in between is in the index but not among the flags loaded."""
    engagement_id = make_case(consultants=[make_user(Role.CONSULTANT)], sessions=[(-1, 1)])
    with app.test_request_context():
        engagement = _loaded(engagement_id)
        before = [item.kind.code for item in timeline(engagement)]
        db.session.execute(sa.insert(Flag.__table__).values(
            rule_code="team_incomplete", engagement_id=engagement_id, raised_on=TODAY,
            raised_at=utcnow(), detail={}))
        after = timeline(engagement)
        assert [item.kind.code for item in after] == before
        assert after.total == len(before) + 1


def log_sessions(app, engagement_id: int, days: range) -> None:
    """Log a held session of an hour on each of `days` (days from today) on the case, by its
    first consultant."""
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        author = engagement.members[0].user
        for day in days:
            services.log_session(engagement, SessionData(
                held_on=TODAY + timedelta(days=day), hours=Decimal(1),
                format=SessionFormat.THEME_DAY, sub_format=None, consultant_ids=[author.id],
                unit_ids=[engagement.units[0].unit_id], summary="Temadag.", next_steps="x"),
                author, TODAY, confirm_overrun=True)
        db.session.commit()


@pytest.mark.parametrize("role", [Role.TEAM, Role.CONSULTANT, Role.EVALUATOR])
def test_the_case_page_runs_as_many_queries_with_60_sessions_as_with_3(
        app, make_case, make_user, login_client, assert_constant_queries, role):
    consultant = make_user(Role.CONSULTANT)
    case = make_case(consultants=[consultant], start=-120, status=EngagementStatus.ACTIVE,
                     hour_budget=100, sessions=[(-1, 1), (-2, 1), (5, 1)])
    client = login_client(user=consultant) if role is Role.CONSULTANT else login_client(role)
    page = assert_constant_queries(client, f"/engagements/{case}",
                                   lambda: log_sessions(app, case, range(-60, -3)))
    assert page.count('class="timeline-item') == 25
    assert 'value="59' in page  # the budget bar: the hours of the 59 held sessions


def test_the_timeline_partial_labels_every_item_and_links_for_writers(
        app, case_from_application):
    engagement_id, first, second = case_from_application()
    with app.test_request_context():
        login_user(db.session.get(User, second.id))
        engagement = _loaded(engagement_id)
        items = timeline(engagement)
        page = render_template("engagements/_timeline.html", timeline=items, writer=True)
        assert page.count("<li") == len(items)
        assert page.count('<span aria-hidden="true">') >= len(items)  # the text marks
        session = next(item for item in items if item.kind.code == "session")
        assert f"/engagements/{engagement_id}/sessions/{session.link.values['session_id']}/edit" \
            in page
        assert session.day.strftime("%d-%m-%Y") in page
        assert "/applications/" not in page  # the application is linked for the team only
        readonly = render_template("engagements/_timeline.html", timeline=items, writer=False)
        assert "/sessions/" not in readonly
        login_user(db.session.get(User, first.id))  # not at the sessions
        assert "/sessions/" not in render_template("engagements/_timeline.html",
                                                    timeline=items, writer=True)


def test_the_case_page_shows_the_timeline_without_notes_for_evaluators(
        app, case_from_application, login_client):
    engagement_id, *_ = case_from_application()
    url = f"/engagements/{engagement_id}"
    team_page = login_client(Role.TEAM).get(url).get_data(as_text=True)
    assert "Leg i grupper." in team_page and "/applications/" in team_page
    evaluator_page = login_client(Role.EVALUATOR).get(url).get_data(as_text=True)
    # Every item but the team changes, which name people: one joined, one joined and left.
    assert evaluator_page.count('class="timeline-item') == team_page.count(
        'class="timeline-item') - 3
    assert evaluator_page.count("timeline-team") == 0
    for secret in ("Leg i grupper.", "Lederen samler", "Stærk motivation", "Opstart holdt."):
        assert secret not in evaluator_page


# --- the overview --------------------------------------------------------------------------

def test_the_overview_lists_cases_with_team_and_hours(app, make_case, make_user, login_client):
    lead, co = make_user(Role.CONSULTANT, name="Anna Lund"), make_user(Role.CONSULTANT,
                                                                        name="Bo Berg")
    mini = make_case(consultants=[lead, co], sessions=[(-2, 1.5), (-1, 1), (5, 2)])
    long = make_case(type_code="one_year", municipality=161, applicant="Glostrup Kommune")
    page = login_client(Role.TEAM).get("/engagements/").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1]
    mini_row = rows[rows.index(reference(app, mini)):rows.index("</tr>",
                                                                rows.index(reference(app, mini)))]
    assert f'href="/engagements/{mini}"' in rows
    assert "Anna Lund, Bo Berg" in mini_row
    assert "2,5" in mini_row and "10" in mini_row  # planned hours do not count
    assert TODAY.strftime("%d-%m-%Y") in mini_row
    long_row = rows[rows.index(reference(app, long)):]
    assert "Glostrup" in long_row


def test_budget_warnings_are_shown_in_words(app, make_case, make_user, login_client):
    me = make_user(Role.CONSULTANT, language="en")
    nearly = make_case(consultants=[me], sessions=[(-1, 8.5)])
    over = make_case(consultants=[me], sessions=[(-2, 8), (-1, 3)])
    for client, url in ((login_client(Role.TEAM, language="en"), "/engagements/"),
                        (login_client(user=me), "/")):
        page = client.get(url).get_data(as_text=True)
        nearly_part = page[page.index(reference(app, nearly)):]
        over_part = page[page.index(reference(app, over)):]
        assert "80 % used" in nearly_part.split("</tr>")[0].split("</article>")[0]
        assert "exceeded" in over_part.split("</tr>")[0].split("</article>")[0]
    assert "(1 over)" in page and "left)" not in page.split(reference(app, over))[1][:400]
    case_page = login_client(user=me).get(f"/engagements/{over}").get_data(as_text=True)
    assert "11 of 10 hours used, 1 over the budget." in case_page


def test_the_overview_filters(app, make_case, make_user, login_client):
    anna, bo = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    morsoe = make_case(consultants=[anna], status=EngagementStatus.ACTIVE)
    glostrup = make_case(type_code="one_year", municipality=161, applicant="Glostrup Kommune",
                         consultants=[bo], start=date(2019, 3, 1))
    no_start = make_case(municipality=250, applicant="Frederikssund Kommune", start=None)
    left = make_case(consultants=[bo], joined_on=TODAY - timedelta(days=30))
    with app.app_context():
        member = db.session.scalar(sa.select(Engagement).where(Engagement.id == left)).members[0]
        services.end_membership(member, TODAY - timedelta(days=1))
        db.session.commit()
    client = login_client(Role.TEAM)

    def listed(**args):
        return sorted(table_rows(client.get("/engagements/", query_string=args).get_data(
            as_text=True)))

    refs = {key: reference(app, value) for key, value in
            dict(morsoe=morsoe, glostrup=glostrup, no_start=no_start, left=left).items()}
    assert listed() == sorted(refs.values())
    assert listed(type=1) == [refs["glostrup"]]
    assert listed(status="active") == [refs["morsoe"]]
    assert listed(municipality=161) == [refs["glostrup"]]
    assert listed(consultant=bo.id) == [refs["glostrup"]]  # no longer on `left`
    assert listed(consultant=anna.id) == [refs["morsoe"]]
    assert listed(year=2019) == [refs["glostrup"]]
    assert listed(year=TODAY.year) == sorted([refs["morsoe"], refs["no_start"], refs["left"]])
    assert listed(type=2, municipality=250) == [refs["no_start"]]
    assert listed(status="nonsense", year="x") == sorted(refs.values())
    page = client.get("/engagements/").get_data(as_text=True)
    assert '<option value="2019"' in page and f'<option value="{TODAY.year}"' in page


def test_the_overview_sorts(app, make_case, make_user, login_client):
    consultant = make_user(Role.CONSULTANT)
    a = make_case(municipality=773, applicant="Morsø", start=date(2024, 5, 1),
                  consultants=[consultant], sessions=[(-1, 3)])
    b = make_case(municipality=101, applicant="København", start=date(2023, 1, 1),
                  consultants=[consultant], sessions=[(-1, 1)])
    c = make_case(municipality=561, applicant="Esbjerg", start=None)
    d = make_case(municipality=390, applicant="Vordingborg", start=date(2025, 9, 1),
                  consultants=[consultant], sessions=[(-1, 2), (-2, 5)])
    ref = {key: reference(app, value) for key, value in dict(a=a, b=b, c=c, d=d).items()}
    client = login_client(Role.TEAM)

    def order(sort=None):
        args = {"sort": sort} if sort else {}
        page = client.get("/engagements/", query_string=args).get_data(as_text=True)
        names = {v: k for k, v in ref.items()}
        return "".join(names[r] for r in table_rows(page))

    by_reference = "".join(sorted(ref, key=lambda key: ref[key]))
    assert order() == by_reference[::-1]  # newest reference first
    assert order("reference") == by_reference
    assert order("hours") == "cbad"  # 0, 1, 3, 7 hours
    assert order("-hours") == "dabc"
    assert order("municipality") == "cbad"  # Esbjerg, København, Morsø, Vordingborg
    assert order("-municipality") == "dabc"
    assert order("start") == "badc"  # no start date last
    assert order("-start") == "dabc"
    assert order("end")[-1] == "c" and order("-end")[-1] == "c"
    assert order("bogus") == by_reference[::-1]
    page = client.get("/engagements/", query_string={"sort": "hours", "type": 2}).get_data(
        as_text=True)
    assert 'aria-sort="ascending"' in page
    assert "sort=-hours" in page and "type=2" in page  # the header keeps the filter


def test_the_overview_pages(app, make_case, login_client):
    app.config["ITEMS_PER_PAGE"] = 2
    refs = sorted(reference(app, make_case()) for _ in range(5))
    client = login_client(Role.TEAM)
    first = client.get("/engagements/", query_string={"sort": "reference", "type": 2})
    assert table_rows(first.get_data(as_text=True)) == refs[:2]
    page = first.get_data(as_text=True)
    assert "page=2" in page and "sort=reference" in page
    third = client.get("/engagements/", query_string={"sort": "reference", "type": 2,
                                                      "page": 3}).get_data(as_text=True)
    assert table_rows(third) == refs[4:]
    assert client.get("/engagements/?page=9").status_code == 404


@pytest.mark.parametrize("args", ["", "?sort=hours", "?sort=-municipality&status=active",
                                  "?consultant=1&year=2020"])
def test_the_overview_runs_a_fixed_number_of_queries(app, make_case, make_user, login_client,
                                                     assert_constant_queries, args):
    consultant = make_user(Role.CONSULTANT)
    make_case(consultants=[consultant], sessions=[(-1, 1)], status=EngagementStatus.ACTIVE)

    def grow():
        for municipality in (101, 161, 250):
            make_case(municipality=municipality, status=EngagementStatus.ACTIVE,
                      consultants=[consultant, make_user(Role.CONSULTANT)],
                      sessions=[(-1, 1), (-2, 2), (3, 1)])

    assert_constant_queries(login_client(Role.TEAM), "/engagements/" + args, grow)


# --- the consultants' load -----------------------------------------------------------------

@pytest.mark.parametrize("day, month, half", [
    (date(2025, 1, 1), (date(2025, 1, 1), date(2025, 1, 31)),
     (date(2025, 1, 1), date(2025, 6, 30))),
    (date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29)),
     (date(2024, 1, 1), date(2024, 6, 30))),
    (date(2025, 6, 30), (date(2025, 6, 1), date(2025, 6, 30)),
     (date(2025, 1, 1), date(2025, 6, 30))),
    (date(2025, 7, 1), (date(2025, 7, 1), date(2025, 7, 31)),
     (date(2025, 7, 1), date(2025, 12, 31))),
    (date(2025, 12, 31), (date(2025, 12, 1), date(2025, 12, 31)),
     (date(2025, 7, 1), date(2025, 12, 31))),
])
def test_month_and_half_year(day, month, half):
    assert month_of(day) == month
    assert half_year_of(day) == half


def test_the_load_counts_open_cases_and_hours(app, make_user, query_counter):
    """Figures as of 15 September 2025: month = September, half-year = July–December."""
    today = date(2025, 9, 15)
    for name in ("Anna", "Bo", "Carl"):
        make_user(Role.CONSULTANT, name=name)
    make_user(Role.CONSULTANT, name="Dorte", active=False)  # not listed
    make_user(Role.TEAM, name="Team")
    with app.test_request_context():
        engagement_type = db.session.scalar(sa.select(EngagementType).where(
            EngagementType.code == "one_year"))
        users = {u.name: u for u in db.session.scalars(sa.select(User))}

        def case(status, members, sessions):
            engagement = services.create_case(engagement_type, 773, "Morsø", date(2025, 1, 1),
                                              [], None, utcnow())
            for name, started, ended in members:
                member = services.assign_consultant(engagement, users[name], MemberRole.CO,
                                                    started)
                if ended:
                    services.end_membership(member, ended)
            for held_on, hours, names in sessions:
                services.log_session(engagement, SessionData(
                    held_on=held_on, hours=Decimal(hours), format=SessionFormat.OTHER,
                    sub_format=None, consultant_ids=[users[n].id for n in names], unit_ids=[],
                    summary="Referat."), users[names[0]], today)
            for status_to in {EngagementStatus.ACTIVE: [EngagementStatus.ACTIVE],
                              EngagementStatus.COMPLETED: [EngagementStatus.ACTIVE,
                                                           EngagementStatus.COMPLETED],
                              EngagementStatus.PLANNED: []}[status]:
                services.change_status(engagement, status_to, "", None, utcnow())

        case(EngagementStatus.ACTIVE, [("Anna", date(2025, 1, 1), None),
                                       ("Bo", date(2025, 1, 1), None)], [
            (date(2025, 9, 1), "2.5", ["Anna", "Bo"]),      # month and half-year, both
            (date(2025, 9, 15), "1", ["Anna"]),             # today
            (date(2025, 7, 1), "3", ["Anna"]),              # half-year only
            (date(2025, 6, 30), "4", ["Anna", "Bo"]),       # before the half-year
        ])
        case(EngagementStatus.PLANNED, [("Anna", date(2025, 9, 1), None)], [])
        case(EngagementStatus.COMPLETED, [("Bo", date(2025, 1, 1), None)], [
            (date(2025, 8, 10), "2", ["Bo"])])             # closed case: hours still count
        case(EngagementStatus.ACTIVE, [("Bo", date(2025, 1, 1), date(2025, 9, 1))], [])
        case(EngagementStatus.ACTIVE, [("Bo", date(2025, 10, 1), None)], [])  # not yet
        # a planned session is no work done
        planned = services.create_case(engagement_type, 773, "Morsø", date(2025, 1, 1), [],
                                       None, utcnow())
        services.assign_consultant(planned, users["Anna"], MemberRole.LEAD, date(2025, 1, 1))
        services.log_session(planned, SessionData(
            held_on=date(2025, 9, 20), hours=Decimal(5), format=SessionFormat.OTHER,
            sub_format=None, consultant_ids=[users["Anna"].id], unit_ids=[]),
            users["Anna"], today)
        db.session.commit()

        with query_counter() as statements:
            rows = consultant_load(today)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
        figures = {row.consultant.name: (row.open_cases, row.month_hours, row.half_year_hours)
                   for row in rows}
    assert figures == {
        "Anna": (3, Decimal("3.5"), Decimal("6.5")),
        "Bo": (1, Decimal("2.5"), Decimal("4.5")),
        "Carl": (0, Decimal(0), Decimal(0)),
    }


def test_the_load_page_shows_this_month(app, make_case, make_user, login_client):
    anna = make_user(Role.CONSULTANT, name="Anna Lund")
    make_case(consultants=[anna], sessions=[(0, 1.25)], status=EngagementStatus.ACTIVE)
    make_case(consultants=[anna])
    page = login_client(Role.TEAM).get("/engagements/load").get_data(as_text=True)
    row = page[page.index("Anna Lund"):]
    row = row[:row.index("</tr>")]
    assert re.findall(r'<td class="text-end">([^<]*)</td>', row) == ["2", "1,25", "1,25"]
    assert f'href="/engagements/?consultant={anna.id}"' in page
    assert month_of(TODAY)[0].strftime("%d-%m-%Y") in page


def test_the_load_page_runs_a_fixed_number_of_queries(app, make_case, make_user, login_client,
                                                      assert_constant_queries):
    anna = make_user(Role.CONSULTANT)
    make_case(consultants=[anna], sessions=[(0, 1)])

    def grow():
        for _ in range(3):
            make_case(consultants=[make_user(Role.CONSULTANT), anna], sessions=[(0, 2)])

    page = assert_constant_queries(login_client(Role.TEAM), "/engagements/load", grow)
    assert page.count('<th scope="row"') == 4


# --- the consultant's start page -----------------------------------------------------------

def test_a_consultant_sees_their_active_cases_on_the_start_page(
        app, make_case, make_user, login_client):
    me, other = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    mine = make_case(applicant="Morsø Kommune", consultants=[me, other],
                     status=EngagementStatus.ACTIVE,
                     sessions=[CaseSession(-9, 2, next_steps="Gamle aftaler."),
                               CaseSession(-2, 1.5, next_steps="Lederen afprøver legegrupper."),
                               CaseSession(10, 1), CaseSession(4, 2)])
    planned = make_case(type_code="one_year", municipality=161, applicant="Glostrup Kommune",
                        consultants=[me])
    done = make_case(applicant="Esbjerg", municipality=561, consultants=[me],
                     status=EngagementStatus.COMPLETED)
    not_mine = make_case(applicant="Vordingborg", municipality=390, consultants=[other])
    client = login_client(user=me)
    page = client.get("/").get_data(as_text=True)
    assert reference(app, mine) in page and reference(app, planned) in page
    assert reference(app, done) not in page and reference(app, not_mine) not in page
    assert f'href="/engagements/{mine}"' in page
    assert "Morsø Kommune" in page and "Glostrup Kommune" in page
    card = page[page.index(reference(app, mine)):page.index("</article>",
                                                             page.index(reference(app, mine)))]
    assert (TODAY + timedelta(days=4)).strftime("%d-%m-%Y") in card  # the next planned one
    assert (TODAY + timedelta(days=10)).strftime("%d-%m-%Y") not in card
    assert "3,5" in card and "10" in card and "6,5" in card  # used, budget, left
    assert "Lederen afprøver legegrupper." in card and "Gamle aftaler." not in card
    assert (TODAY - timedelta(days=2)).strftime("%d-%m-%Y") in card
    # Team members keep their own start page.
    team_page = login_client(Role.TEAM).get("/").get_data(as_text=True)
    assert reference(app, mine) not in team_page


def test_the_start_page_runs_a_fixed_number_of_queries(app, make_case, make_user,
                                                       login_client, assert_constant_queries):
    me = make_user(Role.CONSULTANT)
    make_case(consultants=[me], sessions=[CaseSession(-1, 1, next_steps="Næste skridt."),
                                          CaseSession(2, 1)])

    def grow():
        for municipality in (101, 161, 250):
            make_case(municipality=municipality, consultants=[me, make_user(Role.CONSULTANT)],
                      sessions=[CaseSession(-1, 1, next_steps="A"),
                                CaseSession(-3, 2, next_steps="B"), (3, 1), (5, 1)],
                      status=EngagementStatus.ACTIVE)

    page = assert_constant_queries(login_client(user=me), "/", grow)
    assert page.count("<article") == 4


def test_a_long_timeline_is_paged(app, team_client):
    from consultancy.engagements import services as cases
    from consultancy.models import EngagementType, SessionFormat
    from consultancy.services.clock import local_today, utcnow

    with app.test_request_context():
        mini = db.session.scalar(sa.select(EngagementType).where(EngagementType.code == "mini"))
        engagement = cases.create_case(mini, 773, "Morsø Kommune", local_today(), [], None,
                                       utcnow(), hour_budget=Decimal("100"))
        team = db.session.scalar(sa.select(User).where(User.role == Role.TEAM))
        for day in range(30):
            cases.log_session(engagement, cases.SessionData(
                held_on=local_today() - timedelta(days=day), hours=Decimal("1"),
                format=SessionFormat.KICKOFF, sub_format=None, consultant_ids=[team.id],
                unit_ids=[], summary="Opstart"), team, local_today())
        db.session.commit()
        engagement_id = engagement.id
    first = team_client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    second = team_client.get(f"/engagements/{engagement_id}?page=2").get_data(as_text=True)
    # 30 sessions, the opening, the phase entered and the flag of a case with no consultant.
    assert first.count("timeline-item") == 25 and second.count("timeline-item") == 8
    assert team_client.get(f"/engagements/{engagement_id}?page=9").status_code == 404


def test_the_start_page_and_the_case_show_the_phase(app, login_client, make_user, make_case):
    consultant = make_user(Role.CONSULTANT)
    engagement_id = make_case(type_code="one_year", municipality=161,
                              applicant="Glostrup Kommune", start=-60, consultants=[consultant])
    client = login_client(user=consultant)
    assert "Fase: Gennemførelse" in client.get("/").get_data(as_text=True)
    assert "Fase: Gennemførelse" in client.get(f"/engagements/{engagement_id}").get_data(
        as_text=True)
