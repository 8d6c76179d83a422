"""Effect summaries: a worked example over two cases, entered directly as responses and
answers, on the page, the case page and `flask evaluation summary` (JSON and CSV)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from babel.numbers import format_decimal

from consultancy.evaluation.services import refresh_case_scores
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    DaycareUnit,
    Dimension,
    Engagement,
    EngagementUnit,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    MissingCode,
    Occasion,
    Ownership,
    RespondentRole,
    Response,
    Role,
    UnitKind,
    VersionStatus,
)
from tests.conftest import TODAY

approx = pytest.approx
NOT_RELEVANT, DONT_KNOW = MissingCode.NOT_RELEVANT, MissingCode.DONT_KNOW
BASELINE, MIDWAY, END = Occasion.BASELINE, Occasion.MIDWAY, Occasion.END
LM = "pedagogical_learning_environment"  # items LM1, LM2, LM3 (LM3 reverse-coded)
PLAY = "play"                            # items LE1, LE2, LE3 (LE3 reverse-coded)
SUMMARY_TEXT = "Vi så på legen i garderoben."


# --- entering answers directly -------------------------------------------------------------

def add_unit(app, case_id: int, name: str) -> int:
    with app.app_context():
        engagement = db.session.get(Engagement, case_id)
        unit = DaycareUnit(name=name, municipality_code=engagement.municipality_code,
                           ownership=Ownership.MUNICIPAL, kind=UnitKind.KINDERGARTEN,
                           children=30)
        db.session.add(unit)
        db.session.flush()
        db.session.add(EngagementUnit(engagement_id=case_id, unit_id=unit.id))
        db.session.commit()
        return unit.id


def first_unit(app, case_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(EngagementUnit.unit_id)
                                 .where(EngagementUnit.engagement_id == case_id))


def respond(app, case_id: int, unit_id: int, occasion: Occasion, code: str,
            answers: dict, instrument: str = "egenvurdering", number: int = 1,
            role: RespondentRole = RespondentRole.PEDAGOGUE) -> None:
    """One respondent's answers by item code: a value or a missing code; entered directly,
    with the scores the summary reads."""
    with app.app_context():
        version = db.session.scalar(
            sa.select(InstrumentVersion).join(InstrumentVersion.instrument)
            .where(Instrument.code == instrument, InstrumentVersion.number == number))
        items = {item.code: item for item in version.items}
        response = Response(engagement_id=case_id, unit_id=unit_id,
                            instrument_version_id=version.id, occasion=occasion,
                            respondent_role=role, respondent_code=code,
                            responded_on=date(2026, 3, 1))
        response.answers = [
            Answer(item_id=items[item].id,
                   value=None if isinstance(given, MissingCode) else given,
                   missing_code=given if isinstance(given, MissingCode) else None)
            for item, given in answers.items()]
        db.session.add(response)
        db.session.flush()
        refresh_case_scores([case_id])  # as the services do with the answers they write
        db.session.commit()


def add_instrument(app, code: str, kind: InstrumentKind, number: int = 1, scale_max: int = 7,
                   items=(("OB1", False),), dimension: str = "interaction",
                   status: VersionStatus = VersionStatus.PUBLISHED) -> None:
    """An instrument version (the instrument made if new) with one dimension."""
    with app.app_context():
        instrument = db.session.scalar(sa.select(Instrument).where(Instrument.code == code))
        if instrument is None:
            instrument = Instrument(code=code, kind=kind, name_da=f"{code} (da)",
                                    name_en=f"{code} (en)")
            db.session.add(instrument)
        version = InstrumentVersion(instrument=instrument, number=number, scale_min=1,
                                    scale_max=scale_max, status=status)
        dim = Dimension(version=version, code=dimension, position=1, name_da="Samspil",
                        name_en="Interaction")
        version.items = [Item(dimension=dim, code=item, position=position, text_da=item,
                              text_en=item, reverse_coded=reverse)
                         for position, (item, reverse) in enumerate(items, start=1)]
        db.session.add(version)
        db.session.commit()


@pytest.fixture
def example(app, make_case, make_round, make_application):
    """Case A (mini, Morsø 773) and case B (one-year, Glostrup 161, from an application in a
    round), with these units and unit scores (overall; LM; play):

    A1 baseline: r1 LM1 2, LM3 4 (scored 2), LE1 3 -> 7/3; r2 LM1 3, LM3 don't know,
       LE1 not relevant -> 3.  Unit: 8/3; LM (2 + 3)/2 = 2.5; play 3.
    A1 end: r1 4, 2 (4), 4 -> 4; r2 5, 1 (5), 3 -> 13/3.  Unit: 25/6; LM 4.5; play 3.5.
    A2 end only: 4, 2 (4), 5 -> 13/3; LM 4; play 5.
    B1 baseline: 3, 3 (3), 2 -> 8/3; LM 3; play 2.  End: 3, 3 (3), 1 -> 7/3; LM 3; play 1.
    B2 baseline only: 1, 5 (1), 1 -> 1; LM 1; play 1.
    A1 also has a midway response (ignored) and an observation before and after (another
    instrument, never pooled with the self-assessment).
    """
    case_a = make_case(type_code="mini", municipality=773, applicant="Morsø Kommune",
                       new_consultants=1, sessions=[(-1, 2)])
    case_b = make_case(type_code="one_year", municipality=161, applicant="Glostrup Kommune")
    round_id = make_round()
    application_id = make_application(engagement_type_id=1, round_id=round_id,
                                      municipality_code=161)
    with app.app_context():
        db.session.get(Engagement, case_b).application_id = application_id
        db.session.commit()
    a1, b1 = first_unit(app, case_a), first_unit(app, case_b)
    a2, b2 = add_unit(app, case_a, "Vuggestuen Mælkebøtten"), add_unit(app, case_b, "Spiren")
    respond(app, case_a, a1, BASELINE, "R-A1", {"LM1": 2, "LM3": 4, "LE1": 3})
    respond(app, case_a, a1, BASELINE, "R-A2", {"LM1": 3, "LM3": DONT_KNOW,
                                                "LE1": NOT_RELEVANT})
    respond(app, case_a, a1, MIDWAY, "R-A1", {"LM1": 1, "LM3": 5, "LE1": 1})
    respond(app, case_a, a1, END, "R-A1", {"LM1": 4, "LM3": 2, "LE1": 4})
    respond(app, case_a, a1, END, "R-A2", {"LM1": 5, "LM3": 1, "LE1": 3},
            role=RespondentRole.LEADER)
    respond(app, case_a, a2, END, "R-A3", {"LM1": 4, "LM3": 2, "LE1": 5})
    respond(app, case_b, b1, BASELINE, "R-B1", {"LM1": 3, "LM3": 3, "LE1": 2})
    respond(app, case_b, b1, END, "R-B1", {"LM1": 3, "LM3": 3, "LE1": 1})
    respond(app, case_b, b2, BASELINE, "R-B2", {"LM1": 1, "LM3": 5, "LE1": 1})
    add_instrument(app, "observation", InstrumentKind.OBSERVATION)
    respond(app, case_a, a1, BASELINE, "OBS-1", {"OB1": 1}, instrument="observation",
            role=RespondentRole.OBSERVER)
    respond(app, case_a, a1, END, "OBS-1", {"OB1": 7}, instrument="observation",
            role=RespondentRole.OBSERVER)
    with app.app_context():
        references = dict(db.session.execute(
            sa.select(Engagement.id, Engagement.reference)).all())
    return {"a": case_a, "b": case_b, "round": round_id, "ref_a": references[case_a],
            "ref_b": references[case_b]}


# Hand-computed: A1 changes 25/6 - 8/3 = 1.5, B1 7/3 - 8/3 = -1/3.  Two pairs, so the
# interval uses t(0.975, 1) = 12.7062047 times SD/sqrt(2) = |difference of changes| / 2.
T1 = 12.706204736174659
OVERALL = dict(n_matched=2, n_before_only=1, n_after_only=1, mean_before=8 / 3,
               mean_after=3.25, mean_change=7 / 12,
               ci_low=7 / 12 - T1 * 11 / 12, ci_high=7 / 12 + T1 * 11 / 12, d_z=None,
               d_av=None, share_improved=0.5, share_unchanged=0.0, share_worse=0.5)
# LM: A1 2.5 -> 4.5, B1 3 -> 3; B2 before only (1), A2 after only (4).
LM_NUMBERS = dict(n_matched=2, n_before_only=1, n_after_only=1, mean_before=2.75,
                  mean_after=3.75, mean_change=1.0, ci_low=1 - T1, ci_high=1 + T1, d_z=None,
                  d_av=None, share_improved=0.5, share_unchanged=0.5, share_worse=0.0)
# Play: A1 3 -> 3.5, B1 2 -> 1.
PLAY_NUMBERS = dict(n_matched=2, n_before_only=1, n_after_only=1, mean_before=2.5,
                    mean_after=2.25, mean_change=-0.25, ci_low=-0.25 - T1 * 0.75,
                    ci_high=-0.25 + T1 * 0.75, d_z=None, d_av=None, share_improved=0.5,
                    share_unchanged=0.0, share_worse=0.5)
EMPTY = dict(n_matched=0, n_before_only=0, n_after_only=0, mean_before=None,
             mean_after=None, mean_change=None, ci_low=None, ci_high=None, d_z=None,
             d_av=None, share_improved=None, share_unchanged=None, share_worse=None)
# Case A alone: A1 one pair (no interval), A2 after only.
CASE_A = dict(OVERALL, n_matched=1, n_before_only=0, n_after_only=1, mean_before=8 / 3,
              mean_after=25 / 6, mean_change=1.5, ci_low=None, ci_high=None,
              share_improved=1.0, share_unchanged=0.0, share_worse=0.0)
# Case B alone: B1 one pair, B2 before only.
CASE_B = dict(CASE_A, n_before_only=1, n_after_only=0, mean_before=8 / 3, mean_after=7 / 3,
              mean_change=-1 / 3, share_improved=0.0, share_worse=1.0)


def summary_json(runner, *args) -> dict:
    result = runner.invoke(args=["evaluation", "summary", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def assert_numbers(got: dict, expected: dict) -> None:
    assert got == {key: approx(value) if isinstance(value, float) else value
                   for key, value in expected.items()}


# --- the CLI ----------------------------------------------------------------------------------

def test_the_json_summary_matches_the_hand_computed_example(example, runner):
    data = summary_json(runner)
    assert data["instrument"] == "egenvurdering-v1"
    assert_numbers(data["overall"], OVERALL)
    assert data["attrition"] == {"n_with_end": 2, "mean_with_end": approx(8 / 3),
                                 "n_without_end": 1, "mean_without_end": 1.0}
    assert list(data["dimensions"])[:2] == [LM, PLAY]
    assert len(data["dimensions"]) == 8
    assert_numbers(data["dimensions"][LM], LM_NUMBERS)
    assert_numbers(data["dimensions"][PLAY], PLAY_NUMBERS)
    assert_numbers(data["dimensions"]["parent_collaboration"], EMPTY)


@pytest.mark.parametrize("args, expected", [
    (["--type", "mini"], CASE_A),
    (["--municipality", "161"], CASE_B),
    (["--year", str(TODAY.year)], OVERALL),
    (["--year", "2001"], EMPTY),
])
def test_filters_choose_the_cases(example, runner, args, expected):
    assert_numbers(summary_json(runner, *args)["overall"], expected)


def test_filters_by_case_and_round(example, runner):
    assert_numbers(summary_json(runner, "--case", example["ref_a"])["overall"], CASE_A)
    assert_numbers(summary_json(runner, "--round", str(example["round"]))["overall"], CASE_B)


def test_unknown_filter_values_are_refused(example, runner):
    for args, says in ((["--type", "weekly"], "weekly"), (["--case", "1999-999"], "1999-999"),
                       (["--instrument", "ecers"], "ecers"), (["--round", "9999"], "9999")):
        result = runner.invoke(args=["evaluation", "summary", *args])
        assert result.exit_code == 2, args
        assert says in result.output


def test_observations_are_summarised_on_their_own(example, runner):
    data = summary_json(runner, "--instrument", "observation")
    assert data["instrument"] == "observation-v1"
    assert list(data["dimensions"]) == ["interaction"]
    assert (data["overall"]["n_matched"], data["overall"]["mean_before"],
            data["overall"]["mean_after"]) == (1, 1.0, 7.0)


def test_the_csv_summary_has_the_same_numbers(example, runner):
    result = runner.invoke(args=["evaluation", "summary", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert [row["scope"] for row in rows[:3]] == ["overall", LM, PLAY]
    overall = rows[0]
    assert overall["instrument"] == "egenvurdering-v1"
    assert (overall["n_matched"], overall["n_before_only"]) == ("2", "1")
    assert float(overall["mean_change"]) == approx(7 / 12)
    assert float(overall["mean_without_end"]) == 1.0
    assert overall["d_z"] == ""                     # not meaningful with two pairs
    assert rows[1]["mean_without_end"] == ""        # attrition on the overall row only


def test_versions_are_pooled_by_dimension_but_not_across_scales(app, make_case, runner):
    case = make_case()
    unit = first_unit(app, case)
    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=1, scale_max=7)
    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=2, scale_max=7,
                   items=(("OB1", False), ("OB2", True)))
    respond(app, case, unit, BASELINE, "O-1", {"OB1": 2}, instrument="observation")
    respond(app, case, unit, END, "O-1", {"OB1": 5, "OB2": 5}, instrument="observation",
            number=2)  # OB2 reversed on 1-7: 3; end score (5 + 3) / 2 = 4
    # A draft with a new dimension, not answered yet, is not part of the summary.
    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=3, scale_max=7,
                   items=(("OB9", False),), dimension="routines", status=VersionStatus.DRAFT)
    data = summary_json(runner, "--instrument", "observation")
    assert data["instrument"] == "observation-v1+observation-v2"
    assert list(data["dimensions"]) == ["interaction"]
    assert (data["overall"]["mean_before"], data["overall"]["mean_after"]) == (2.0, 4.0)

    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=4, scale_max=5)
    respond(app, case, unit, END, "O-2", {"OB1": 5}, instrument="observation", number=4)
    result = runner.invoke(args=["evaluation", "summary", "--instrument", "observation"])
    assert result.exit_code == 1
    assert "1–5, 1–7" in result.output


# --- the pages --------------------------------------------------------------------------------

class TableReader(HTMLParser):
    """The text of each row of the page's summary table, cell by cell."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.inside = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "summary-table" in (dict(attrs).get("class") or ""):
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(page: str) -> list[list[str]]:
    reader = TableReader()
    reader.feed(page)
    return reader.rows[1:]  # without the header row


def da(value: float) -> str:
    return format_decimal(value, format="#,##0.00", locale="da")


def test_the_page_shows_the_cli_numbers_with_decimal_commas(example, team_client, runner):
    data = summary_json(runner)
    page = team_client.get("/evaluation/summary").get_data(as_text=True)
    rows = table(page)
    assert len(rows) == 9  # overall and eight dimensions
    overall, lm, play = rows[0], rows[1], rows[2]
    expected = data["overall"]
    assert overall[1:4] == ["2", "1", "1"]
    assert overall[4:7] == [da(expected["mean_before"]), da(expected["mean_after"]),
                            da(expected["mean_change"])]
    assert overall[4:7] == ["2,67", "3,25", "0,58"]
    # "-11,06 til 12,23" (the word is the translation's)
    assert overall[7].startswith(da(expected["ci_low"])) and overall[7].startswith("-11,06")
    assert overall[7].endswith(da(expected["ci_high"])) and overall[7].endswith("12,23")
    assert overall[-3:] == ["50 %", "0 %", "50 %"]  # (the no-break space read as a space)
    assert lm[0] == "Pædagogisk læringsmiljø" and lm[4:7] == ["2,75", "3,75", "1,00"]
    assert play[0] == "Leg" and play[4:7] == ["2,50", "2,25", "-0,25"]
    assert rows[3][4:] == ["—"] * 9  # no pairs: nothing to show
    assert "2,67 (n = 2)" in page and "1,00 (n = 1)" in page  # the attrition line


def test_effect_sizes_below_five_pairs_are_shown_as_not_meaningful(example, login_client):
    client = login_client(Role.EVALUATOR, language="en")
    rows = table(client.get("/evaluation/summary").get_data(as_text=True))
    assert rows[0][0] == "Overall"
    assert rows[0][8] == "not meaningful (fewer than 5 pairs)"
    assert rows[0][4:7] == ["2.67", "3.25", "0.58"]
    assert rows[0][7] == "-11.06 to 12.23"


def test_the_page_draws_an_accessible_svg_chart_without_script(example, team_client):
    page = team_client.get("/evaluation/summary").get_data(as_text=True)
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="summary-chart')
    chart = page[start:page.index("</svg>", start)]
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    description = chart[chart.index("<desc"):chart.index("</desc>")]
    assert "Leg: " in description and "2,50" in description and "2,25" in description
    assert "<script" not in chart and "http" not in chart.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_the_page_filters_and_chooses_the_instrument(example, team_client):
    page = team_client.get("/evaluation/summary?type=mini").get_data(as_text=True)
    assert table(page)[0][1:7] == ["1", "0", "1", "2,67", "4,17", "1,50"]
    page = team_client.get(f"/evaluation/summary?round={example['round']}").get_data(
        as_text=True)
    assert table(page)[0][1:7] == ["1", "1", "0", "2,67", "2,33", "-0,33"]
    page = team_client.get("/evaluation/summary?instrument=observation").get_data(
        as_text=True)
    rows = table(page)
    assert [row[0] for row in rows[1:]] == ["Samspil"]  # its own dimensions only
    assert rows[0][1:7] == ["1", "0", "0", "1,00", "7,00", "6,00"]
    assert team_client.get("/evaluation/summary?instrument=ecers").status_code == 404


def test_the_case_page_summarises_that_case_only(example, team_client):
    page = team_client.get(f"/evaluation/cases/{example['b']}/summary").get_data(as_text=True)
    assert example["ref_b"] in page
    assert table(page)[0][1:7] == ["1", "1", "0", "2,67", "2,33", "-0,33"]


def test_evaluators_see_numbers_but_no_free_text(example, evaluator_client):
    for url in ("/evaluation/summary", f"/evaluation/cases/{example['a']}/summary"):
        page = evaluator_client.get(url).get_data(as_text=True)
        assert "2,67" in page
        for private in (SUMMARY_TEXT, "R-A1", "OBS-1", "Konsulent 1", "Mælkebøtten"):
            assert private not in page, (url, private)


def test_who_may_see_summaries(example, login_client, consultant_client):
    assert consultant_client.get("/evaluation/summary").status_code == 403
    assert consultant_client.get(f"/evaluation/cases/{example['a']}/summary") \
        .status_code == 403  # not on the case
    for role in (Role.TEAM, Role.ADMIN, Role.EVALUATOR):
        assert login_client(role).get("/evaluation/summary").status_code == 200


def test_a_consultant_on_the_case_sees_its_summary(app, example, login_client):
    from consultancy.models import EngagementMember, User
    with app.app_context():
        member = db.session.scalars(sa.select(User).join(EngagementMember).where(
            EngagementMember.engagement_id == example["a"])).first()
        db.session.expunge(member)
    client = login_client(user=member)
    page = client.get(f"/evaluation/cases/{example['a']}/summary").get_data(as_text=True)
    assert table(page)[0][1:7] == ["1", "0", "1", "2,67", "4,17", "1,50"]
    assert client.get(f"/evaluation/cases/{example['b']}/summary").status_code == 403


def test_scales_that_differ_are_refused_on_the_page(app, make_case, team_client):
    case = make_case()
    unit = first_unit(app, case)
    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=1, scale_max=7)
    add_instrument(app, "observation", InstrumentKind.OBSERVATION, number=2, scale_max=5)
    respond(app, case, unit, BASELINE, "O-1", {"OB1": 2}, instrument="observation")
    respond(app, case, unit, END, "O-1", {"OB1": 5}, instrument="observation", number=2)
    page = team_client.get("/evaluation/summary?instrument=observation").get_data(
        as_text=True)
    assert "1–5, 1–7" in page
    assert table(page) == []


def test_an_empty_summary_says_there_is_no_change_yet(team_client):
    page = team_client.get("/evaluation/summary").get_data(as_text=True)
    assert "egenvurdering-v1" in page
    assert table(page)[0][1:] == ["0", "0", "0"] + ["—"] * 9


def test_pages_run_a_constant_number_of_queries(app, example, team_client, make_case,
                                               assert_constant_queries):
    def grow():
        for number in range(3):
            case = make_case(municipality=773, applicant=f"Morsø {number}")
            unit = first_unit(app, case)
            respond(app, case, unit, BASELINE, f"G{number}", {"LM1": 2, "FS1": 3})
            respond(app, case, unit, END, f"G{number}", {"LM1": 4, "FS1": 3})

    page = assert_constant_queries(team_client, "/evaluation/summary", grow)
    assert table(page)[0][1] == "5"
    assert_constant_queries(team_client, f"/evaluation/cases/{example['a']}/summary", grow)
