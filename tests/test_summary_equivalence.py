"""The effect summary the database aggregates from the stored score sums equals today's
computation from every answer (tests/statistics_oracle.py) to 1e-12, on the demo and on
generated data (a seeded generator: several versions pooled, reverse-coded items, missing
codes, respondents answering twice, units measured once), before and after answers are
recorded, corrected and deleted through the services; and the sums the services keep equal
those recomputed from the answers."""
from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from consultancy import demo
from consultancy.evaluation import services
from consultancy.evaluation.summary import Filters, filter_choices, instruments, summarise
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    CaseScore,
    Dimension,
    Engagement,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
    VersionStatus,
)
from tests.conftest import TODAY
from tests.statistics_oracle import summary_from_answers
from tests.test_demo import NOW as DEMO_NOW, TODAY as DEMO_TODAY, add_reviewers
from tests.test_evaluation_summary import add_unit, first_unit

TOLERANCE = {"abs": 1e-12, "rel": 1e-12}


def assert_same_numbers(got: dict, expected: dict, where: str) -> None:
    assert got.keys() == expected.keys(), where
    for name, value in expected.items():
        if value is None or isinstance(value, int):
            assert got[name] == value, f"{where}: {name}"
        else:
            assert got[name] == pytest.approx(value, **TOLERANCE), f"{where}: {name}"


def assert_summaries_equal(filters_list: list[Filters]) -> int:
    """Every instrument under every filter: the summary equals the oracle's. Returns how
    many scopes with matched pairs were compared (so a test can tell it compared numbers)."""
    compared = 0
    for instrument in instruments():
        for filters in filters_list:
            where = f"{instrument.code} {filters}"
            summary = summarise(instrument, filters)
            shown, expected = summary_from_answers(instrument, filters)
            if expected is None:
                assert summary.result is None, where
                continue
            assert summary.result is not None, where
            assert list(summary.result.dimensions) == list(expected.dimensions), where
            assert_same_numbers(summary.result.overall.as_dict(), expected.overall.as_dict(),
                                f"{where} overall")
            assert_same_numbers(summary.result.attrition.as_dict(),
                                expected.attrition.as_dict(), f"{where} attrition")
            for code, scope in expected.dimensions.items():
                assert_same_numbers(summary.result.dimensions[code].as_dict(),
                                    scope.as_dict(), f"{where} {code}")
                compared += scope.n_matched > 0
            compared += expected.overall.n_matched > 0
    return compared


def stored_scores() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        sa.select(*CaseScore.__table__.columns)
        .order_by(CaseScore.engagement_id, CaseScore.instrument_id, CaseScore.dimension))]


def assert_scores_as_recomputed() -> None:
    """What the services kept case by case is what a refresh of every case computes (the
    same sums, but perhaps added in another order)."""
    kept = stored_scores()
    services.refresh_case_scores()
    again = stored_scores()
    assert len(kept) == len(again)
    for row, recomputed in zip(kept, again):
        assert row == tuple(pytest.approx(value, **TOLERANCE) if isinstance(value, float)
                            else value for value in recomputed)


def assert_back_fill_as_recomputed() -> None:
    """Migration 0010's back-fill computes what `refresh_case_scores` does."""
    path = Path(__file__).resolve().parent.parent / "migrations/versions/0010_case_scores.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    services.refresh_case_scores()
    refreshed = stored_scores()
    db.session.execute(sa.delete(CaseScore))
    dialect = db.session.get_bind().dialect.name
    db.session.execute(sa.text(migration.BACK_FILL.format(round=migration.ROUNDED[dialect])))
    filled = stored_scores()
    assert len(refreshed) == len(filled)
    for row, back_filled in zip(refreshed, filled):
        assert row == tuple(pytest.approx(value, **TOLERANCE) if isinstance(value, float)
                            else value for value in back_filled)


def filters_of_every_kind(case_ids: list[int]) -> list[Filters]:
    choices = filter_choices()
    return [Filters(),
            *(Filters(type_code=t.code) for t in choices["types"]),
            *(Filters(round_id=r.id) for r in choices["rounds"]),
            *(Filters(year=year) for year in choices["years"]),
            *(Filters(municipality=m.code) for m in choices["municipalities"]),
            *(Filters(engagement_id=case_id) for case_id in case_ids),
            Filters(type_code="mini", municipality=773)]


# --- the demo ------------------------------------------------------------------------------------

def test_the_summary_of_the_demo_equals_todays_computation(app):
    with app.test_request_context():
        add_reviewers()
        demo.load(DEMO_TODAY, DEMO_NOW)
        db.session.commit()
        case_ids = list(db.session.scalars(
            sa.select(Response.engagement_id).distinct().order_by(Response.engagement_id)
            .limit(6)))
        assert assert_summaries_equal(filters_of_every_kind(case_ids)) > 0
        assert_scores_as_recomputed()


# --- generated data ------------------------------------------------------------------------------

def add_version(number: int, scale_max: int, dimensions: dict[str, list[bool]],
                code: str = "egenvurdering",
                kind: InstrumentKind = InstrumentKind.SELF_ASSESSMENT) -> InstrumentVersion:
    """A published version with these dimensions, each with items (reverse-coded or not)."""
    instrument = db.session.scalar(sa.select(Instrument).where(Instrument.code == code))
    if instrument is None:
        instrument = Instrument(code=code, kind=kind, name_da=code, name_en=code)
    version = InstrumentVersion(instrument=instrument, number=number, scale_min=1,
                                scale_max=scale_max, status=VersionStatus.PUBLISHED)
    items = []
    for position, (dimension_code, reverse_flags) in enumerate(dimensions.items(), start=1):
        dimension = Dimension(version=version, code=dimension_code, position=position,
                              name_da=dimension_code, name_en=dimension_code)
        items += [Item(dimension=dimension, code=f"{dimension_code[:2].upper()}{number}{i}",
                       position=len(items) + i, text_da="?", text_en="?", reverse_coded=reverse)
                  for i, reverse in enumerate(reverse_flags, start=1)]
    version.items = items
    db.session.add(version)
    db.session.flush()
    return version


def random_answers(rng: random.Random, version: InstrumentVersion, *, every_item: bool,
                   missing_share: float) -> dict:
    """Values or missing codes by item code; some items left out unless `every_item`."""
    answers = {}
    for item in version.items:
        if not every_item and rng.random() < 0.1:
            continue
        answers[item.code] = (rng.choice(list(MissingCode)) if rng.random() < missing_share
                              else rng.randint(version.scale_min, version.scale_max))
    return answers


def insert_response(engagement_id: int, unit_id: int, version: InstrumentVersion,
                    occasion: Occasion, code: str, answers: dict) -> None:
    """Entered directly (as a bulk load would), without the scores: refresh_case_scores after."""
    items = {item.code: item for item in version.items}
    db.session.add(Response(
        engagement_id=engagement_id, unit_id=unit_id, instrument_version_id=version.id,
        occasion=occasion, respondent_role=RespondentRole.PEDAGOGUE, respondent_code=code,
        responded_on=TODAY,
        answers=[Answer(item_id=items[item].id,
                        value=None if isinstance(given, MissingCode) else given,
                        missing_code=given if isinstance(given, MissingCode) else None)
                 for item, given in answers.items()]))


def generate(rng: random.Random, cases: list[tuple[int, list[int]]],
             versions: list[InstrumentVersion]) -> None:
    """Respondents at baseline, midway and end of every unit, on a random version each;
    some answer at several occasions (the same code), some only once; a few only with
    missing codes, a few units not measured at the end."""
    for engagement_id, units in cases:
        used: set[tuple[Occasion, str, int]] = set()
        for unit_id in units:
            people = [f"R-{engagement_id}{unit_id}X{n}" for n in range(rng.randint(1, 4))]
            for occasion in (Occasion.BASELINE, Occasion.MIDWAY, Occasion.END):
                if occasion is Occasion.END and rng.random() < 0.25:
                    continue
                for code in people:
                    if rng.random() < 0.2:
                        code = f"{code}N{rng.randint(1, 9)}"  # a new colleague answers
                    answered = min(len(versions), rng.choice([1, 1, 1, 2]))
                    for version in rng.sample(versions, answered):
                        if (occasion, code, version.id) in used:
                            continue
                        used.add((occasion, code, version.id))
                        insert_response(engagement_id, unit_id, version, occasion, code,
                                        random_answers(rng, version, every_item=False,
                                                       missing_share=rng.choice([0, 0.2, 1])))


def change_through_the_services(rng: random.Random, versions: list[InstrumentVersion]) -> None:
    """Record new responses, correct some and delete others, as the entry pages do."""
    responses = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
    for response in rng.sample(responses, len(responses) // 5):
        services.update_response(
            response, unit_id=response.unit_id, occasion=response.occasion,
            role=response.respondent_role, responded_on=response.responded_on,
            answers=random_answers(rng, response.instrument_version, every_item=True,
                                   missing_share=0.3), today=TODAY)
    for response in rng.sample(responses, len(responses) // 10):
        if response in db.session:
            services.delete_response(response)
    for engagement in db.session.scalars(sa.select(Engagement).order_by(Engagement.id)):
        for link in engagement.units:
            for occasion in (Occasion.BASELINE, Occasion.END):
                version = rng.choice(versions)
                services.record_response(
                    engagement, link.unit_id, version, occasion, RespondentRole.LEADER,
                    TODAY, random_answers(rng, version, every_item=True, missing_share=0.1),
                    None, today=TODAY, rng=rng)


@pytest.mark.parametrize("seed", [14, 2026])
def test_the_summary_of_generated_data_equals_todays_computation(app, make_case, seed):
    rng = random.Random(seed)
    specs = [("mini", 773, "Morsø Kommune"), ("one_year", 161, "Glostrup Kommune"),
             ("mini", 161, "Glostrup Kommune"), ("one_year", 773, "Morsø Kommune")]
    case_ids = [make_case(type_code=type_code, municipality=municipality, applicant=applicant)
                for type_code, municipality, applicant in specs]
    cases = [(case_id, [first_unit(app, case_id),
                        *(add_unit(app, case_id, f"Enhed {case_id}-{n}")
                          for n in range(rng.randint(1, 3)))]) for case_id in case_ids]
    with app.test_request_context():
        v1 = db.session.scalar(sa.select(InstrumentVersion).join(Instrument).where(
            Instrument.code == "egenvurdering", InstrumentVersion.number == 1))
        v2 = add_version(2, 5, {"pedagogical_learning_environment": [False, True, False],
                                "play": [True, False], "relations": [False, False, True]})
        seven = add_version(1, 7, {"interaction": [False, True]}, code="observation",
                            kind=InstrumentKind.OBSERVATION)
        five = add_version(2, 5, {"interaction": [False]}, code="observation")
        generate(rng, cases, [v1, v2])
        generate(rng, cases[:2], [seven])
        generate(rng, cases[2:], [five])  # across all cases: scales that cannot be pooled
        db.session.flush()
        services.refresh_case_scores()  # the bulk path, as after a COPY
        filters = filters_of_every_kind(case_ids)
        assert assert_summaries_equal(filters) > 0
        change_through_the_services(rng, [v1, v2])
        db.session.commit()
        assert assert_summaries_equal(filters) > 0
        assert_scores_as_recomputed()
        assert_back_fill_as_recomputed()
