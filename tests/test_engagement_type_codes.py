"""A type of course's code is its identity once the type is used: flag thresholds, exports
and imports name the type by it. The form shows it read-only with the reason, and the
service refuses a change even when one is posted."""
import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import EngagementType, FlagRule, Round
from tests.test_applications import errors_of

NEW_TYPE = {"code": "short_20", "name_da": "Kort forløb", "name_en": "Short course",
            "intake": "continuous", "default_length_months": "4", "default_hours": "20",
            "min_consultants": "1", "phases_from": "2", "active": "y"}


def new_type(app, admin_client) -> int:
    assert admin_client.post("/admin/engagement-types/new", data=NEW_TYPE).status_code == 302
    with app.app_context():
        return db.session.scalar(sa.select(EngagementType.id).where(
            EngagementType.code == "short_20"))


def code_of(app, type_id: int) -> str:
    with app.app_context():
        return db.session.get(EngagementType, type_id).code


def code_input(page: str) -> str:
    start = page.index('name="code"')
    return page[page.rindex("<input", 0, start):page.index(">", start)]


def use_in_a_case(app, type_id, make_case, make_application, make_round):
    make_case(type_code="short_20")


def use_in_an_application(app, type_id, make_case, make_application, make_round):
    make_application(engagement_type_id=type_id)


def use_in_a_round(app, type_id, make_case, make_application, make_round):
    round_id = make_round()
    with app.app_context():
        db.session.execute(sa.update(Round).where(Round.id == round_id)
                           .values(engagement_type_id=type_id))
        db.session.commit()


def use_in_flag_thresholds(app, type_id, make_case, make_application, make_round):
    with app.app_context():
        rule = db.session.get(FlagRule, "no_recent_activity")
        rule.type_params = {**rule.type_params, "short_20": {"days": 20}}
        db.session.commit()


@pytest.mark.parametrize("use, shown", [
    (use_in_a_case, ("1 case", "1 forløb")),
    (use_in_an_application, ("1 application", "1 ansøgning")),
    (use_in_a_round, ("1 round", "1 runde")),
    (use_in_flag_thresholds, ("1 flag rule with thresholds of its own",
                              "1 flagregel med egne tærskler")),
])
def test_a_used_type_keeps_its_code_even_when_another_is_posted(
        app, admin_client, make_case, make_application, make_round, use, shown):
    type_id = new_type(app, admin_client)
    use(app, type_id, make_case, make_application, make_round)
    url = f"/admin/engagement-types/{type_id}"

    page = admin_client.get(url).get_data(as_text=True)
    assert "readonly" in code_input(page)
    assert any(f"in use: {uses}." in page or f"i brug: {uses}." in page for uses in shown)

    response = admin_client.post(url, data={**NEW_TYPE, "code": "short_twenty"})
    assert response.status_code == 400
    assert "code" in errors_of(response.get_data(as_text=True))
    assert code_of(app, type_id) == "short_20"
    # The rest of the type can still change, the code posted as it is.
    response = admin_client.post(url, data={**NEW_TYPE, "name_en": "Short course (20 h)"})
    assert response.status_code == 302


def test_a_seeded_type_with_thresholds_of_its_own_shows_its_code_read_only(app, admin_client):
    page = admin_client.get("/admin/engagement-types/2").get_data(as_text=True)  # mini
    assert "readonly" in code_input(page)
    with app.app_context():
        rules = sum("mini" in rule.type_params
                    for rule in db.session.scalars(sa.select(FlagRule)))
    assert rules
    assert f"{rules} flagregel" in page or f"{rules} flag rule" in page


def test_an_unused_type_can_still_change_its_code(app, admin_client):
    type_id = new_type(app, admin_client)
    url = f"/admin/engagement-types/{type_id}"
    assert "readonly" not in code_input(admin_client.get(url).get_data(as_text=True))
    response = admin_client.post(url, data={**NEW_TYPE, "code": "short_twenty"})
    assert response.status_code == 302
    assert code_of(app, type_id) == "short_twenty"
