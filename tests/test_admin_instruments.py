"""Administrators keep the evaluation instruments: versions, scale, dimensions, items.

The pages are read in English (admin signed in with language "en"), so the assertions do
not depend on the Danish catalogue; the data (names, codes, wording) is what it is.
"""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from consultancy.admin import instruments as services
from consultancy.admin.instruments import InstrumentError
from consultancy.extensions import db
from consultancy.models import (
    AuditEntry,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Role,
    Theme,
    VersionStatus,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
SEEDED_CODES = ["LM1", "LM2", "LM3", "LE1", "LE2", "LE3", "BF1", "BF2", "BF3", "BP1", "BP2",
                "BP3", "BU1", "BU2", "BU3", "FS1", "FS2", "FS3", "EK1", "EK2", "EK3", "FL1",
                "FL2", "FL3"]
PUBLISHED = "is published and can no longer be changed"
# the services speak Danish outside a request, as the command line does
PUBLISHED_DA = "er offentliggjort og kan ikke længere ændres"


@pytest.fixture
def admin(login_client):
    return login_client(Role.ADMIN, language="en")


def page_of(response) -> str:
    return response.get_data(as_text=True)


def version_of(app, instrument_code: str, number: int) -> dict:
    """A version as plain data: scale, labels, dimensions and items in order."""
    with app.app_context():
        version = db.session.scalar(
            sa.select(InstrumentVersion).join(Instrument)
            .where(Instrument.code == instrument_code, InstrumentVersion.number == number))
        if version is None:
            return {}
        return {
            "id": version.id, "status": version.status, "published_at": version.published_at,
            "scale": (version.scale_min, version.scale_max), "anchors": version.anchors,
            "dimensions": [(d.position, d.code, d.name_da, d.name_en)
                           for d in version.dimensions],
            "items": [(i.position, i.dimension.code, i.code, i.text_da, i.text_en,
                       i.reverse_coded, sorted(t.theme.code for t in i.themes))
                      for i in version.items],
            "item_ids": {i.code: i.id for i in version.items},
            "dimension_ids": {d.code: d.id for d in version.dimensions},
        }


def default_code(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Instrument.code).where(Instrument.is_default)))


def theme_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Theme.id).where(Theme.code == code))


def new_draft(admin) -> int:
    """Version 2 of the default instrument, as a draft; returns its id."""
    response = admin.post("/admin/instruments/1/versions")
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


def item_form(dimension_id: int, code: str, text_da: str, text_en: str = "", **extra) -> dict:
    return {"dimension_id": str(dimension_id), "code": code, "text_da": text_da,
            "text_en": text_en, **extra}


# --- the seeded default ----------------------------------------------------------------------

def test_the_seeded_default_instrument_is_listed_with_its_24_items(app, admin):
    page = page_of(admin.get("/admin/instruments"))
    assert "egenvurdering" in page and "Self-assessment of the learning environment" in page
    assert "Self-assessment" in page and "Published" in page and "24 items" in page
    assert "Default" in page
    assert 'href="/admin/instruments"' in page  # the admin menu links here

    page = page_of(admin.get("/admin/instruments/versions/1"))
    assert "egenvurdering-v1" in page and "Not at all true" in page and "Completely true" in page
    positions = [page.index(f"<code>{code}</code>") for code in SEEDED_CODES]
    assert positions == sorted(positions)  # dimensions with their items, in order
    assert "We plan the day" in page and "Vi planlægger dagens rutiner" in page
    assert page.count(">Reverse-coded<") == 3  # LM3, LE3, BU3
    assert "Published on" in page and 'name="scale_max"' not in page  # read-only
    assert "Edit" not in page and "Add an item" not in page
    with app.app_context():
        version = db.session.get(InstrumentVersion, 1)
        assert version.published and len(version.items) == 24 and len(version.dimensions) == 8
        assert version.instrument.is_default


def test_the_list_shows_danish_names_and_kinds_to_a_danish_admin(admin_client):
    page = page_of(admin_client.get("/admin/instruments"))
    assert "Egenvurdering af læringsmiljøet" in page
    assert "Egenvurdering" in page and "Offentliggjort" in page


# --- versions --------------------------------------------------------------------------------

def test_a_new_version_is_a_draft_copy_of_the_latest(app, admin):
    draft_id = new_draft(admin)
    first, second = version_of(app, "egenvurdering", 1), version_of(app, "egenvurdering", 2)
    assert second["id"] == draft_id and second["status"] is VersionStatus.DRAFT
    assert second["published_at"] is None
    for key in ("scale", "anchors", "dimensions", "items"):
        assert second[key] == first[key], key
    assert [item[2] for item in second["items"]] == SEEDED_CODES
    assert set(second["item_ids"].values()).isdisjoint(first["item_ids"].values())

    page = page_of(admin.get(f"/admin/instruments/versions/{draft_id}"))
    assert "egenvurdering-v2" in page and "Draft" in page and 'name="scale_max"' in page
    assert "Publish the version" in page and "Add an item" in page

    page = page_of(admin.get("/admin/instruments/1"))
    assert "Continue the draft egenvurdering-v2" in page and ">New version<" not in page
    response = admin.post("/admin/instruments/1/versions", follow_redirects=True)
    assert "Version 2 is still a draft" in page_of(response)
    assert version_of(app, "egenvurdering", 3) == {}


def test_a_draft_can_be_edited_item_by_item(app, admin):
    draft_id = new_draft(admin)
    draft = version_of(app, "egenvurdering", 2)
    play = draft["dimension_ids"]["play"]
    lm1 = draft["item_ids"]["LM1"]

    page = page_of(admin.get(f"/admin/instruments/items/{lm1}"))
    assert "Vi planlægger dagens rutiner" in page and 'name="theme_ids"' in page
    response = admin.post(f"/admin/instruments/items/{lm1}", data=item_form(
        draft["dimension_ids"]["pedagogical_learning_environment"], "lm1",
        "Vi planlægger dagen, så alle børn kan lære.",
        "We plan the day so that every child can learn.", reverse_coded="",
        theme_ids=[theme_id(app, "pedagogical_learning_environment"),
                   theme_id(app, "play")]))
    assert response.status_code == 302
    response = admin.post(f"/admin/instruments/versions/{draft_id}/items/new", data=item_form(
        play, "LE4", "Legen får lov at udvikle sig over flere dage.",
        "Play is allowed to develop over several days.", theme_ids=[theme_id(app, "play")]))
    assert response.status_code == 302
    response = admin.post(f"/admin/instruments/versions/{draft_id}/dimensions/new", data={
        "code": "transitions", "name_da": "Overgange", "name_en": "Transitions"})
    assert response.status_code == 302
    admin.post(f"/admin/instruments/items/{draft['item_ids']['LE3']}/delete")
    admin.post(f"/admin/instruments/items/{draft['item_ids']['LE2']}/move",
               data={"direction": "up"})

    edited, first = version_of(app, "egenvurdering", 2), version_of(app, "egenvurdering", 1)
    lm1_row = edited["items"][0]
    assert lm1_row[2:] == ("LM1", "Vi planlægger dagen, så alle børn kan lære.",
                           "We plan the day so that every child can learn.", False,
                           ["pedagogical_learning_environment", "play"])
    assert [item[2] for item in edited["items"]][3:6] == ["LE2", "LE1", "LE4"]
    assert [item[0] for item in edited["items"]] == list(range(1, 25))  # positions kept tidy
    assert edited["dimensions"][-1] == (9, "transitions", "Overgange", "Transitions")
    assert first["items"][0][3] == "Vi planlægger dagens rutiner, så de giver alle børn " \
        "mulighed for at lære."  # the published version is untouched

    page = page_of(admin.get(f"/admin/instruments/versions/{draft_id}"))
    assert "Play is allowed to develop" in page and "Transitions" in page
    assert page.index("<code>LE2</code>") < page.index("<code>LE1</code>") \
        < page.index("<code>LE4</code>")


def test_item_errors_are_shown_next_to_the_field_and_input_is_kept(app, admin):
    draft_id = new_draft(admin)
    draft = version_of(app, "egenvurdering", 2)
    play = draft["dimension_ids"]["play"]
    url = f"/admin/instruments/versions/{draft_id}/items/new"
    for data, field, message in [
        (item_form(play, "LE1", "Ny tekst", "New text"), "code",
         "Another item of this version has the code LE1."),
        (item_form(play, "leg-1", "Ny tekst", "New text"), "code",
         "Use 1 to 4 capital letters followed by 1 to 3 digits"),
        (item_form(play, "LE9", "Ny tekst", ""), "text_en", "Enter the wording."),
        (item_form(play, "LE9", "Ny tekst", "New text", theme_ids=["99999"]), "theme_ids",
         "is not a valid choice for this field."),
    ]:
        response = admin.post(url, data=data)
        assert response.status_code == 400, field
        page = page_of(response)
        error = page[page.index(f'id="{field}-error"'):]
        assert message in error[:error.index("</div>")], field
        assert "Ny tekst" in page  # what was typed is kept
    assert version_of(app, "egenvurdering", 2)["items"] == draft["items"]


def test_a_dimension_with_items_cannot_be_deleted(app, admin):
    new_draft(admin)
    draft = version_of(app, "egenvurdering", 2)
    response = admin.post(
        f"/admin/instruments/dimensions/{draft['dimension_ids']['play']}/delete",
        follow_redirects=True)
    assert "Delete or move the dimension&#39;s items first." in page_of(response)
    assert version_of(app, "egenvurdering", 2)["dimensions"] == draft["dimensions"]


def test_a_draft_can_be_discarded(app, admin):
    draft_id = new_draft(admin)
    page = page_of(admin.get(f"/admin/instruments/versions/{draft_id}/discard"))
    assert "Discard the draft egenvurdering-v2?" in page
    response = admin.post(f"/admin/instruments/versions/{draft_id}/discard")
    assert response.status_code == 302 and response.location == "/admin/instruments/1"
    assert version_of(app, "egenvurdering", 2) == {}
    assert version_of(app, "egenvurdering", 1)["status"] is VersionStatus.PUBLISHED


# --- the scale -------------------------------------------------------------------------------

SEVEN = {f"anchor_{point}_{language}": f"{language} {point}"
         for point in range(1, 8) for language in ("da", "en")}


def test_a_draft_takes_a_scale_from_1_to_7_with_a_label_per_point(app, admin):
    draft_id = new_draft(admin)
    url = f"/admin/instruments/versions/{draft_id}"
    partial = {key: value for key, value in SEVEN.items() if not key.startswith("anchor_7")}
    response = admin.post(url, data={"scale_max": "7", **partial})
    assert response.status_code == 400
    page = page_of(response)
    assert 'id="anchor_7_da-error"' in page and 'id="anchor_7_en-error"' in page
    assert 'value="da 6"' in page  # kept
    assert version_of(app, "egenvurdering", 2)["scale"] == (1, 5)

    response = admin.post(url, data={"scale_max": "7", **SEVEN})
    assert response.status_code == 302
    saved = version_of(app, "egenvurdering", 2)
    assert saved["scale"] == (1, 7)
    assert saved["anchors"]["7"] == {"da": "da 7", "en": "en 7"} and len(saved["anchors"]) == 7

    response = admin.post(url, data={"scale_max": "6", **SEVEN})
    assert response.status_code == 302
    saved = version_of(app, "egenvurdering", 2)
    assert saved["scale"] == (1, 6) and sorted(saved["anchors"]) == list("123456")
    assert admin.post(url, data={"scale_max": "4", **SEVEN}).status_code == 400

    admin.post(f"/admin/instruments/versions/{draft_id}/publish")
    page = page_of(admin.get(url))
    assert "from 1 to 6" in page and "en 6" in page and "en 7" not in page


def test_the_service_checks_the_scale_and_its_labels(app):
    with app.test_request_context():
        version = services.new_version(db.session.get(Instrument, 1))
        with pytest.raises(InstrumentError) as refused:
            services.update_version_settings(version, 8, {})
        assert refused.value.field == "scale_max"
        with pytest.raises(InstrumentError) as refused:
            services.update_version_settings(version, 6, services.DEFAULT_ANCHORS)
        assert refused.value.field == "anchor_6_da"
        version.anchors = {**services.DEFAULT_ANCHORS, "3": {"da": "Lidt", "en": " "}}
        with pytest.raises(InstrumentError, match="Punkt 3"):
            services.publish(version, NOW)


# --- publishing ------------------------------------------------------------------------------

def test_publishing_checks_the_version_and_then_fixes_it(app, admin):
    response = admin.post("/admin/instruments/new", data={
        "code": "trivsel", "kind": "self_assessment", "name_da": "Trivsel",
        "name_en": "Well-being"})
    assert response.status_code == 302
    draft_id = version_of(app, "trivsel", 1)["id"]
    assert response.location == f"/admin/instruments/versions/{draft_id}"
    publish = f"/admin/instruments/versions/{draft_id}/publish"

    response = admin.post(publish)
    assert response.status_code == 400
    assert "Add at least one dimension with an item before publishing." in page_of(response)
    admin.post(f"/admin/instruments/versions/{draft_id}/dimensions/new", data={
        "code": "children", "name_da": "Børnene", "name_en": "The children"})
    response = admin.post(publish)
    assert response.status_code == 400
    assert "The dimension children has no items" in page_of(response)
    dimension_id = version_of(app, "trivsel", 1)["dimension_ids"]["children"]
    admin.post(f"/admin/instruments/versions/{draft_id}/items/new", data=item_form(
        dimension_id, "TR1", "Børnene trives.", "The children thrive."))

    page = page_of(admin.get(publish))
    assert "Publish trivsel-v1?" in page and "cannot be changed or deleted" in page
    response = admin.post(publish)
    assert response.status_code == 302
    published = version_of(app, "trivsel", 1)
    assert published["status"] is VersionStatus.PUBLISHED and published["published_at"]
    page = page_of(admin.get(f"/admin/instruments/versions/{draft_id}"))
    assert "Published on" in page and "(0 so far)" in page and "Publish the version" not in page


def test_every_change_to_a_published_version_is_refused_by_the_pages(app, admin):
    before = version_of(app, "egenvurdering", 1)
    lm1, play = before["item_ids"]["LM1"], before["dimension_ids"]["play"]
    attempts = [
        ("/admin/instruments/versions/1", {"scale_max": "7", **SEVEN}),
        (f"/admin/instruments/items/{lm1}", item_form(
            before["dimension_ids"]["pedagogical_learning_environment"], "LM1", "Ændret",
            "Changed")),
        ("/admin/instruments/versions/1/items/new", item_form(play, "LE9", "Ny", "New")),
        (f"/admin/instruments/dimensions/{play}", {"code": "play", "name_da": "Lege",
                                                   "name_en": "Games"}),
        ("/admin/instruments/versions/1/dimensions/new", {"code": "new", "name_da": "Ny",
                                                          "name_en": "New"}),
        ("/admin/instruments/versions/1/publish", {}),
        ("/admin/instruments/versions/1/discard", {}),
    ]
    for url, data in attempts:
        response = admin.post(url, data=data)
        assert response.status_code == 400, url
        assert f"egenvurdering-v1 {PUBLISHED}" in page_of(response), url
    for url, data in [(f"/admin/instruments/items/{lm1}/delete", {}),
                      (f"/admin/instruments/items/{lm1}/move", {"direction": "down"}),
                      (f"/admin/instruments/dimensions/{play}/move", {"direction": "up"})]:
        response = admin.post(url, data=data, follow_redirects=True)
        assert f"egenvurdering-v1 {PUBLISHED}" in page_of(response), url
    assert version_of(app, "egenvurdering", 1) == before

    page = page_of(admin.get(f"/admin/instruments/items/{lm1}"))
    assert "<fieldset disabled>" in page and ">Save<" not in page


def test_every_change_to_a_published_version_is_refused_by_the_services(app):
    with app.test_request_context():
        version = db.session.get(InstrumentVersion, 1)
        item, dimension = version.items[0], version.dimensions[0]
        for change in [
            lambda: services.update_version_settings(version, 5, services.DEFAULT_ANCHORS),
            lambda: services.save_dimension(version, "new", "Ny", "New"),
            lambda: services.save_dimension(version, dimension.code, "Ny", "New", dimension),
            lambda: services.save_item(version, dimension, "XX1", "Ny", "New", False, []),
            lambda: services.save_item(version, dimension, item.code, "Ny", "New", True, [],
                                       item=item),
            lambda: services.delete_item(item),
            lambda: services.delete_dimension(dimension),
            lambda: services.move_item(item, "down"),
            lambda: services.move_dimension(dimension, "down"),
            lambda: services.publish(version, NOW),
            lambda: services.discard_draft(version),
        ]:
            with pytest.raises(InstrumentError, match=PUBLISHED_DA):
                change()
        assert not db.session.dirty and not db.session.new and not db.session.deleted


# --- kinds and the default -------------------------------------------------------------------

def test_an_observation_instrument_stores_codes_and_cannot_be_the_default(app, admin):
    response = admin.post("/admin/instruments/new", data={
        "code": "kids", "kind": "observation", "name_da": "KIDS observation",
        "name_en": "KIDS observation"})
    assert response.status_code == 302
    draft_id = version_of(app, "kids", 1)["id"]
    admin.post(f"/admin/instruments/versions/{draft_id}/dimensions/new", data={
        "code": "physical_environment", "name_da": "Fysiske rammer",
        "name_en": "Physical environment"})
    dimension_id = version_of(app, "kids", 1)["dimension_ids"]["physical_environment"]
    page = page_of(admin.get(f"/admin/instruments/versions/{draft_id}/items/new"))
    assert "is stored without its item text" in page
    for code in ("KF1", "KF2"):
        response = admin.post(f"/admin/instruments/versions/{draft_id}/items/new",
                              data=item_form(dimension_id, code, code))
        assert response.status_code == 302
    response = admin.post(f"/admin/instruments/versions/{draft_id}/items/new",
                          data=item_form(dimension_id, "KF3", "A licensed text " * 10))
    assert response.status_code == 400
    assert "Use at most 120 characters." in page_of(response)
    kids = version_of(app, "kids", 1)
    assert [item[2:5] for item in kids["items"]] == [("KF1", "KF1", "KF1"),
                                                     ("KF2", "KF2", "KF2")]
    assert admin.post(f"/admin/instruments/versions/{draft_id}/publish").status_code == 302

    with app.app_context():
        kids_id = db.session.scalar(sa.select(Instrument.id).where(Instrument.code == "kids"))
    page = page_of(admin.get(f"/admin/instruments/{kids_id}"))
    assert "Observation" in page and "cannot be the default instrument" in page
    assert "Make it the default instrument" not in page
    response = admin.post(f"/admin/instruments/{kids_id}/default", follow_redirects=True)
    assert "Only a self-assessment can be the default instrument" in page_of(response)
    assert default_code(app) == ["egenvurdering"]


def test_exactly_one_self_assessment_is_the_default(app, admin):
    with app.test_request_context():
        instrument = services.create_instrument("trivsel", InstrumentKind.SELF_ASSESSMENT,
                                                "Trivsel", "Well-being")
        with pytest.raises(InstrumentError, match="Offentliggør en version"):
            services.set_default(instrument)
        version = instrument.versions[0]
        dimension = services.save_dimension(version, "children", "Børnene", "The children")
        services.save_item(version, dimension, "TR1", "Børnene trives.", "They thrive.",
                           False, [])
        services.publish(version, NOW)
        db.session.commit()
        instrument_id = instrument.id
    response = admin.post(f"/admin/instruments/{instrument_id}/default")
    assert response.status_code == 302
    assert default_code(app) == ["trivsel"]
    page = page_of(admin.get("/admin/instruments"))
    row = page[page.index("Well-being"):]
    assert "Default" in row[:row.index("</tr>")]


def test_instrument_codes_are_unique_and_checked(app, admin):
    for code, message in [("egenvurdering", "Another instrument has this code."),
                          ("KIDS 3", "Use 2 to 32 lower-case letters")]:
        response = admin.post("/admin/instruments/new", data={
            "code": code, "kind": "observation", "name_da": "Ny", "name_en": "New"})
        assert response.status_code == 400
        page = page_of(response)
        error = page[page.index('id="code-error"'):]
        assert message in error[:error.index("</div>")]
        assert 'value="Ny"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)) == 1


# --- who may, and the trail ------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.TEAM, Role.CONSULTANT, Role.EVALUATOR])
def test_only_admins_may_see_or_change_instruments(app, login_client, role):
    client = login_client(role)
    for url in ("/admin/instruments", "/admin/instruments/1", "/admin/instruments/versions/1",
                "/admin/instruments/new"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/instruments/1/versions").status_code == 403
    assert client.post("/admin/instruments/new", data={
        "code": "kids", "kind": "observation", "name_da": "KIDS",
        "name_en": "KIDS"}).status_code == 403
    assert version_of(app, "egenvurdering", 2) == {}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)) == 1


def test_changes_to_instruments_are_audited(app, admin):
    draft_id = new_draft(admin)
    lm1 = version_of(app, "egenvurdering", 2)["item_ids"]["LM1"]
    admin.post(f"/admin/instruments/items/{lm1}", data=item_form(
        version_of(app, "egenvurdering", 2)["dimension_ids"]["pedagogical_learning_environment"],
        "LM1", "Ændret ordlyd", "Changed wording",
        theme_ids=[theme_id(app, "pedagogical_learning_environment")]))
    admin.post(f"/admin/instruments/versions/{draft_id}/publish")
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.actor_id == admin.user.id)).all()
    by_table = {}
    for entry in entries:
        by_table.setdefault((entry.table_name, entry.action), []).append(entry)
    assert len(by_table[("instrument_versions", "create")]) == 1
    assert len(by_table[("instrument_items", "create")]) == 24
    assert len(by_table[("instrument_dimensions", "create")]) == 8
    item_change = next(e for e in by_table[("instrument_items", "update")]
                       if e.record_id == str(lm1))
    assert item_change.changes["text_da"][1] == "Ændret ordlyd"
    published = next(e for e in by_table[("instrument_versions", "update")]
                     if e.record_id == str(draft_id))
    assert published.changes["status"] == ["draft", "published"]
    page = page_of(admin.get(f"/admin/audit?table=instrument_items&record={lm1}"))
    assert "Changed wording" in page


def test_unknown_records_are_404(admin):
    for url in ("/admin/instruments/999", "/admin/instruments/versions/999",
                "/admin/instruments/items/99999", "/admin/instruments/dimensions/999"):
        assert admin.get(url).status_code == 404, url


def test_an_instruments_names_may_change_but_its_code_and_kind_may_not(app, admin):
    response = admin.post("/admin/instruments/1", data={
        "name_da": "Egenvurdering", "name_en": "Self-assessment", "code": "other",
        "kind": "observation"})
    assert response.status_code == 302
    with app.app_context():
        instrument = db.session.get(Instrument, 1)
        assert (instrument.code, instrument.kind, instrument.name_da, instrument.name_en) == (
            "egenvurdering", InstrumentKind.SELF_ASSESSMENT, "Egenvurdering", "Self-assessment")
    response = admin.post("/admin/instruments/1", data={"name_da": "", "name_en": "X"})
    assert response.status_code == 400 and 'id="name_da-error"' in page_of(response)
