"""Every route that changes data leaves a true audit trail.

The walk takes every URL rule that accepts POST, PUT, PATCH or DELETE from app.url_map and
needs an entry for it in CHANGES: how to make one valid change through it, and the audit
entry that change must leave (for a route that changes no record, such as signing out,
the event it records instead). A new mutating route fails the walk until it is added.

For each change, every audited table is read before and after the request, and every row
created, changed or deleted must have its entry, with the true old and new values of
each changed column (rows changed by a bulk statement, such as the flag pass, have a
summary entry instead).
"""
from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa

from consultancy.admin import instruments
from consultancy.applications import services as applications
from consultancy.engagements.forms import session_values
from consultancy.evaluation import services as evaluation
from consultancy.evaluation.forms import item_field
from consultancy.extensions import db
from consultancy.models import (
    Application,
    AuditEntry,
    CriteriaSet,
    DaycareUnit,
    Dimension,
    Engagement,
    EngagementContact,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    Flag,
    Instrument,
    InstrumentKind,
    Item,
    Ownership,
    Response,
    Review,
    Role,
    Round,
    UnitKind,
    User,
)
from consultancy.security.audit import REDACTED, _json_value
from consultancy.services.clock import utcnow
from tests.conftest import PASSWORD
from tests.test_applications import VALID_FORM

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
NEW_PASSWORD = "Violette lamper brummer stille om natten"


class Change(NamedTuple):
    """`make(ctx)` sets up what the change needs and returns (client, url, form data); the
    change must leave an entry with `action` on `table` (None: an event on no table)."""
    make: Callable[[Any], tuple[Any, str, dict]]
    action: str
    table: str | None


# --- what the changes need --------------------------------------------------------------

def first(app, column, *where):
    with app.app_context():
        return db.session.scalar(sa.select(column).where(*where).limit(1))


def case_with_session(ctx, **options) -> tuple[int, int, date]:
    """An active case started 20 days ago with one consultant, one unit and a session held
    yesterday: (case id, session id, the session's day)."""
    engagement_id = ctx.make_case(start=-20, status=EngagementStatus.ACTIVE,
                                  new_consultants=1, sessions=[(-1, 2)], **options)
    with ctx.app.app_context():
        session = db.session.scalar(sa.select(EngagementSession).where(
            EngagementSession.engagement_id == engagement_id))
        return engagement_id, session.id, session.held_on


def session_data(ctx, session_id: int, **changes) -> dict:
    with ctx.app.app_context():
        values = session_values(db.session.get(EngagementSession, session_id))
    data = {key: [str(item) for item in value] if isinstance(value, list)
            else "" if value is None else getattr(value, "value", str(value))
            for key, value in values.items()}
    return data | changes


def response_data(ctx, engagement_id: int, day: date, **changes) -> dict:
    unit_id = first(ctx.app, DaycareUnit.id, DaycareUnit.name == "Børnehuset i Morsø Kommune")
    with ctx.app.app_context():
        version = evaluation.default_version()
        data = {"unit": str(unit_id), "occasion": "baseline", "respondent_role": "pedagogue",
                "responded_on": day.isoformat(), "respondent_code": "",
                "version": str(version.id)}
        data |= {item_field(item.code): "3" for item in version.items}
    return data | changes


def recorded_response(ctx) -> tuple[int, int, date]:
    engagement_id, _session_id, day = case_with_session(ctx)
    ctx.team.post(f"/evaluation/cases/{engagement_id}/responses/new",
                  data=response_data(ctx, engagement_id, day))
    response_id = first(ctx.app, Response.id, Response.engagement_id == engagement_id)
    return engagement_id, response_id, day


def draft(ctx) -> int:
    """Version 2 of the default instrument, a draft copy of the published version 1."""
    with ctx.app.test_request_context():
        version = instruments.new_version(db.session.get(Instrument, 1))
        db.session.commit()
        return version.id


def draft_record(ctx, model, position: int = 1) -> int:
    version_id = draft(ctx)
    return first(ctx.app, model.id, model.version_id == version_id, model.position == position)


def new_dimension(ctx) -> int:
    version_id = draft(ctx)
    with ctx.app.test_request_context():
        from consultancy.models import InstrumentVersion
        dimension = instruments.save_dimension(db.session.get(InstrumentVersion, version_id),
                                               "transitions", "Overgange", "Transitions")
        db.session.commit()
        return dimension.id


def published_instrument(ctx) -> int:
    with ctx.app.test_request_context():
        instrument = instruments.create_instrument(
            "trivsel", InstrumentKind.SELF_ASSESSMENT, "Trivsel", "Well-being")
        version = instrument.versions[0]
        dimension = instruments.save_dimension(version, "children", "Børnene", "The children")
        instruments.save_item(version, dimension, "TR1", "Børnene trives.", "They thrive.",
                              False, [])
        instruments.publish(version, utcnow())
        db.session.commit()
        return instrument.id


def item_data(ctx, item_id: int, **changes) -> dict:
    with ctx.app.app_context():
        item = db.session.get(Item, item_id)
        data = {"dimension_id": str(item.dimension_id), "code": item.code,
                "text_da": item.text_da, "text_en": item.text_en,
                "theme_ids": [str(link.theme_id) for link in item.themes]}
    return data | changes


def reviewed_application(ctx, scored: int) -> tuple[int, list]:
    """An application with two team reviewers, `scored` of whom have submitted scores."""
    application_id = ctx.make_application()
    reviewers = [ctx.login_client(Role.TEAM) for _ in range(2)]
    with ctx.app.test_request_context():
        application = db.session.get(Application, application_id)
        for number, client in enumerate(reviewers):
            review = applications.assign_reviewer(
                application, db.session.get(User, client.user.id), utcnow())
            if number < scored:
                applications.submit_scores(review, {
                    criterion.id: (3, "Begrundet.")
                    for criterion in application.criteria_set.criteria}, utcnow())
        db.session.commit()
    return application_id, reviewers


def score_data(ctx, application_id: int) -> dict:
    with ctx.app.app_context():
        criteria = db.session.get(Application, application_id).criteria_set.criteria
        return {key: value for criterion in criteria for key, value in (
            (f"score_{criterion.id}", "2"), (f"justification_{criterion.id}", "Begrundet."))}


def round_data(ctx, round_id: int, **changes) -> dict:
    with ctx.app.app_context():
        round_ = db.session.get(Round, round_id)
        data = {"name": round_.name, "engagement_type": str(round_.engagement_type_id),
                "opens_on": round_.opens_on.isoformat(),
                "closes_on": round_.closes_on.isoformat(), "capacity": str(round_.capacity),
                "planned_start": round_.planned_start.isoformat(),
                "criteria_set": str(round_.criteria_set_id)}
    return data | changes


def criteria_data(ctx) -> dict:
    with ctx.app.app_context():
        codes = [c.code for c in db.session.get(CriteriaSet, 1).criteria]
    return {"name": "Kriterier 2027", "vulnerable_share_threshold": "30",
            **{f"weight_{code}": "25" for code in codes},
            **{f"minimum_{code}": "1" for code in codes}}


def import_file(ctx, engagement_id: int, day: date) -> dict:
    with ctx.app.app_context():
        reference = db.session.get(Engagement, engagement_id).reference
        items = [item.code for item in evaluation.default_version().items]
    lines = [",".join(["case", "unit", "occasion", "respondent", "role", "date", *items]),
             ",".join([reference, "Børnehuset i Morsø Kommune", "baseline", "", "pedagogue",
                       day.isoformat(), *["3"] * len(items)])]
    return {"file": (io.BytesIO("\n".join(lines).encode()), "svar.csv")}


def case_edit(ctx):
    engagement_id = ctx.make_case()
    with ctx.app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        data = {"start_date": engagement.start_date.isoformat(),
                "planned_end": engagement.planned_end.isoformat(),
                "hour_budget": str(engagement.hour_budget), "goals": "Styrke legen",
                "documentation_form": "", "themes": ["1"], "version": str(engagement.version)}
    return ctx.team, f"/engagements/{engagement_id}/edit", data


def member_end(ctx):
    engagement_id = ctx.make_case(new_consultants=1)
    member_id = first(ctx.app, EngagementMember.id, EngagementMember.engagement_id == engagement_id)
    return ctx.team, f"/engagements/{engagement_id}/team/{member_id}/end", {}


def contact_delete(ctx):
    engagement_id = ctx.make_case()
    ctx.team.post(f"/engagements/{engagement_id}/contacts", data={
        "name": "Lone Leder", "title": "", "email": "", "phone": "", "unit": ""})
    contact_id = first(ctx.app, EngagementContact.id)
    return ctx.team, f"/engagements/{engagement_id}/contacts/{contact_id}/delete", {}


def unit_add(ctx):
    engagement_id = ctx.make_case()
    with ctx.app.app_context():
        unit = DaycareUnit(name="Vuggestuen Spiren", municipality_code=773,
                           ownership=Ownership.MUNICIPAL, kind=UnitKind.NURSERY, children=24)
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    return ctx.team, f"/engagements/{engagement_id}/units", {"unit": str(unit_id)}


def session_new(ctx):
    engagement_id, session_id, day = case_with_session(ctx)
    data = session_data(ctx, session_id, summary="Endnu en praksisdag.", version="")
    return ctx.team, f"/engagements/{engagement_id}/sessions/new", data


def session_edit(ctx):
    engagement_id, session_id, _day = case_with_session(ctx)
    return (ctx.team, f"/engagements/{engagement_id}/sessions/{session_id}/edit",
            session_data(ctx, session_id, summary="Vi legede i sandkassen.", theme_ids=["2"],
                         unit_ids=[]))


def session_delete(ctx):
    engagement_id, session_id, _day = case_with_session(ctx)
    return (ctx.team, f"/engagements/{engagement_id}/sessions/{session_id}/delete",
            {"version": session_data(ctx, session_id)["version"]})


def response_new(ctx):
    engagement_id, _session_id, day = case_with_session(ctx)
    return (ctx.team, f"/evaluation/cases/{engagement_id}/responses/new",
            response_data(ctx, engagement_id, day))


def response_edit(ctx):
    engagement_id, response_id, day = recorded_response(ctx)
    with ctx.app.app_context():
        code = db.session.get(Response, response_id).respondent_code
    return (ctx.team, f"/evaluation/cases/{engagement_id}/responses/{response_id}/edit",
            response_data(ctx, engagement_id, day, respondent_role="leader",
                          respondent_code=code, **{item_field("LM1"): "5"}))


def response_delete(ctx):
    engagement_id, response_id, _day = recorded_response(ctx)
    return ctx.team, f"/evaluation/cases/{engagement_id}/responses/{response_id}/delete", {}


def import_responses(ctx):
    engagement_id, _session_id, day = case_with_session(ctx)
    return (ctx.team, f"/evaluation/cases/{engagement_id}/import",
            import_file(ctx, engagement_id, day))


def flag_acknowledge(ctx):
    ctx.make_case()  # no consultant yet: the team is incomplete
    flag_id = first(ctx.app, Flag.id, Flag.rule_code == "team_incomplete")
    return ctx.team, f"/flags/{flag_id}", {"acknowledge-comment": "Vi finder en konsulent.",
                                           "acknowledge-submit": "y"}


def assign(ctx):
    application_id = ctx.make_application()
    return (ctx.team, f"/applications/{application_id}/reviewers",
            {"reviewer": str(ctx.team.user.id)})


def unassign(ctx):
    application_id, _reviewers = reviewed_application(ctx, scored=0)
    review_id = first(ctx.app, Review.id, Review.application_id == application_id)
    return ctx.team, f"/applications/{application_id}/reviewers/{review_id}/remove", {}


def score(ctx):
    application_id, reviewers = reviewed_application(ctx, scored=1)
    return (reviewers[1], f"/applications/{application_id}/score",
            score_data(ctx, application_id))


def decision(ctx):
    application_id, reviewers = reviewed_application(ctx, scored=2)
    return (reviewers[0], f"/applications/{application_id}/decision",
            {"decision": "approved", "note": "Opfylder alle krav."})


def round_edit(ctx):
    round_id = ctx.make_round()
    return ctx.team, f"/rounds/{round_id}/edit", round_data(ctx, round_id, name="Runde forår")


def unit_edit(ctx):
    ctx.make_application()
    unit_id = first(ctx.app, DaycareUnit.id)
    return ctx.team, f"/units/{unit_id}", {"name": "Børnehuset Mælkebøtten",
                                           "kind": "kindergarten", "ownership": "municipal",
                                           "children": "64"}


def user_edit(ctx):
    user = ctx.make_user(Role.CONSULTANT)
    return ctx.admin, f"/admin/users/{user.id}", {
        "name": "Karen Konsulent", "email": user.email, "role": "consultant",
        "language": "da", "active": "y"}


def item_new(ctx):
    version_id = draft(ctx)
    dimension_id = first(ctx.app, Dimension.id, Dimension.version_id == version_id)
    return ctx.admin, f"/admin/instruments/versions/{version_id}/items/new", {
        "dimension_id": str(dimension_id), "code": "LE4", "text_da": "Legen udvikler sig.",
        "text_en": "Play develops."}


def item_edit(ctx):
    item_id = draft_record(ctx, Item)
    return ctx.admin, f"/admin/instruments/items/{item_id}", item_data(
        ctx, item_id, text_da="Vi planlægger dagen, så alle børn kan lære.")


def dimension_edit(ctx):
    dimension_id = draft_record(ctx, Dimension)
    with ctx.app.app_context():
        dimension = db.session.get(Dimension, dimension_id)
        data = {"code": dimension.code, "name_da": "Læringsmiljøet", "name_en": dimension.name_en}
    return ctx.admin, f"/admin/instruments/dimensions/{dimension_id}", data


def on_draft(path: str, data: dict | None = None):
    def make(ctx):
        return ctx.admin, f"/admin/instruments/versions/{draft(ctx)}{path}", data or {}
    return make


def simple(client: str, url: str, data: dict | None = None):
    def make(ctx):
        return getattr(ctx, client), url, data or {}
    return make


def case(path: str, data: dict, client: str = "team", **options):
    def make(ctx):
        return getattr(ctx, client), f"/engagements/{ctx.make_case(**options)}{path}", data
    return make


SEVEN = {f"anchor_{point}_{language}": f"{language} {point}"
         for point in range(1, 8) for language in ("da", "en")}
NEW_TYPE = {"code": "short_20", "name_da": "Kort forløb", "name_en": "Short course",
            "intake": "continuous", "default_length_months": "4", "default_hours": "20",
            "min_consultants": "1", "phases_from": "2", "active": "y"}

CHANGES: dict[str, Change] = {
    # signing in and out, the language, the password
    "/login": Change(lambda ctx: (ctx.client, "/login", {
        "email": ctx.consultant.user.email, "password": PASSWORD}), "login", "users"),
    "/logout": Change(simple("consultant", "/logout"), "logout", "users"),
    "/language": Change(simple("consultant", "/language", {"language": "en"}),
                        "update", "users"),
    "/account/password": Change(simple("consultant", "/account/password", {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
        "update", "users"),
    # administration
    "/admin/users/new": Change(simple("admin", "/admin/users/new", {
        "name": "Karen Konsulent", "email": "karen@kommune.dk", "role": "consultant",
        "language": "da", "active": "y", "password": NEW_PASSWORD}), "create", "users"),
    "/admin/users/<int:user_id>": Change(user_edit, "update", "users"),
    "/admin/engagement-types/new": Change(simple("admin", "/admin/engagement-types/new",
                                                 NEW_TYPE), "create", "engagement_types"),
    "/admin/engagement-types/<int:type_id>": Change(simple(
        "admin", "/admin/engagement-types/2", {**NEW_TYPE, "code": "mini", "name_da": "Mini"}),
        "update", "engagement_types"),
    "/admin/flag-rules/<code>": Change(simple("admin", "/admin/flag-rules/team_incomplete", {
        "severity": "critical", "enabled": "y"}), "update", "flag_rules"),
    "/admin/instruments/new": Change(simple("admin", "/admin/instruments/new", {
        "code": "trivsel", "kind": "self_assessment", "name_da": "Trivsel",
        "name_en": "Well-being"}), "create", "instruments"),
    "/admin/instruments/<int:instrument_id>": Change(simple("admin", "/admin/instruments/1", {
        "name_da": "Egenvurdering af læringsmiljøet", "name_en": "Self-assessment"}),
        "update", "instruments"),
    "/admin/instruments/<int:instrument_id>/versions": Change(simple(
        "admin", "/admin/instruments/1/versions"), "create", "instrument_versions"),
    "/admin/instruments/<int:instrument_id>/default": Change(lambda ctx: (
        ctx.admin, f"/admin/instruments/{published_instrument(ctx)}/default", {}),
        "update", "instruments"),
    "/admin/instruments/versions/<int:version_id>": Change(on_draft("", {
        "scale_max": "7", **SEVEN}), "update", "instrument_versions"),
    "/admin/instruments/versions/<int:version_id>/publish": Change(on_draft("/publish"),
                                                                   "update",
                                                                   "instrument_versions"),
    "/admin/instruments/versions/<int:version_id>/discard": Change(on_draft("/discard"),
                                                                   "delete",
                                                                   "instrument_versions"),
    "/admin/instruments/versions/<int:version_id>/dimensions/new": Change(on_draft(
        "/dimensions/new", {"code": "transitions", "name_da": "Overgange",
                            "name_en": "Transitions"}), "create", "instrument_dimensions"),
    "/admin/instruments/dimensions/<int:dimension_id>": Change(dimension_edit, "update",
                                                               "instrument_dimensions"),
    "/admin/instruments/dimensions/<int:dimension_id>/delete": Change(lambda ctx: (
        ctx.admin, f"/admin/instruments/dimensions/{new_dimension(ctx)}/delete", {}),
        "delete", "instrument_dimensions"),
    "/admin/instruments/dimensions/<int:dimension_id>/move": Change(lambda ctx: (
        ctx.admin, f"/admin/instruments/dimensions/{draft_record(ctx, Dimension, 2)}/move",
        {"direction": "up"}), "update", "instrument_dimensions"),
    "/admin/instruments/versions/<int:version_id>/items/new": Change(item_new, "create",
                                                                     "instrument_items"),
    "/admin/instruments/items/<int:item_id>": Change(item_edit, "update", "instrument_items"),
    "/admin/instruments/items/<int:item_id>/delete": Change(lambda ctx: (
        ctx.admin, f"/admin/instruments/items/{draft_record(ctx, Item)}/delete", {}),
        "delete", "instrument_items"),
    "/admin/instruments/items/<int:item_id>/move": Change(lambda ctx: (
        ctx.admin, f"/admin/instruments/items/{draft_record(ctx, Item, 2)}/move",
        {"direction": "up"}), "update", "instrument_items"),
    # applications, rounds, units, criteria
    "/apply": Change(simple("client", "/apply", VALID_FORM), "create", "applications"),
    "/applications/new": Change(simple("team", "/applications/new", {**VALID_FORM,
                                                                     "consent": ""}),
                                "create", "applications"),
    "/applications/<int:application_id>/reviewers": Change(assign, "create", "reviews"),
    "/applications/<int:application_id>/reviewers/<int:review_id>/remove": Change(
        unassign, "delete", "reviews"),
    "/applications/<int:application_id>/score": Change(score, "create", "scores"),
    "/applications/<int:application_id>/decision": Change(decision, "update", "applications"),
    "/applications/<int:application_id>/withdraw": Change(lambda ctx: (
        ctx.team, f"/applications/{ctx.make_application()}/withdraw",
        {"reason": "Kommunen trak ansøgningen."}), "update", "applications"),
    "/rounds/new": Change(simple("team", "/rounds/new", {
        "name": "Forår 2031", "engagement_type": "1", "opens_on": "2031-03-01",
        "closes_on": "2031-03-31", "capacity": "4", "planned_start": "2031-08-01",
        "criteria_set": "1"}), "create", "rounds"),
    "/rounds/<int:round_id>/edit": Change(round_edit, "update", "rounds"),
    "/units/<int:unit_id>": Change(unit_edit, "update", "daycare_units"),
    "/criteria/new": Change(lambda ctx: (ctx.team, "/criteria/new", criteria_data(ctx)),
                            "create", "criteria_sets"),
    # cases and their sessions
    "/engagements/new": Change(simple("team", "/engagements/new", {
        "engagement_type": "2", "municipality": "773", "applicant_name": "Morsø Kommune"}),
        "create", "engagements"),
    "/engagements/<int:engagement_id>/edit": Change(case_edit, "update", "engagements"),
    "/engagements/<int:engagement_id>/team": Change(lambda ctx: (
        ctx.team, f"/engagements/{ctx.make_case()}/team",
        {"user": str(ctx.consultant.user.id), "role": "lead"}), "create",
        "engagement_members"),
    "/engagements/<int:engagement_id>/team/<int:member_id>/end": Change(
        member_end, "update", "engagement_members"),
    "/engagements/<int:engagement_id>/status": Change(case("/status", {
        "status": "active", "reason": ""}), "update", "engagements"),
    "/engagements/<int:engagement_id>/units": Change(unit_add, "create", "engagement_units"),
    "/engagements/<int:engagement_id>/contacts": Change(case("/contacts", {
        "name": "Lone Leder", "title": "Dagtilbudsleder", "email": "lone@morsoe.example",
        "phone": "12345678", "unit": ""}), "create", "engagement_contacts"),
    "/engagements/<int:engagement_id>/contacts/<int:contact_id>/delete": Change(
        contact_delete, "delete", "engagement_contacts"),
    "/engagements/<int:engagement_id>/sessions/new": Change(session_new, "create",
                                                            "engagement_sessions"),
    "/engagements/<int:engagement_id>/sessions/<int:session_id>/edit": Change(
        session_edit, "update", "engagement_sessions"),
    "/engagements/<int:engagement_id>/sessions/<int:session_id>/delete": Change(
        session_delete, "delete", "engagement_sessions"),
    # self-assessments and flags
    "/evaluation/cases/<int:engagement_id>/responses/new": Change(
        response_new, "create", "evaluation_responses"),
    "/evaluation/cases/<int:engagement_id>/responses/<int:response_id>/edit": Change(
        response_edit, "update", "evaluation_answers"),
    "/evaluation/cases/<int:engagement_id>/responses/<int:response_id>/delete": Change(
        response_delete, "delete", "evaluation_answers"),
    "/evaluation/cases/<int:engagement_id>/import": Change(import_responses, "create",
                                                          "evaluation_responses"),
    "/flags/<int:flag_id>": Change(flag_acknowledge, "update", "flags"),
}


# --- the trail: every row written has its entry with true values -------------------------

def audited_mappers():
    return [mapper for mapper in db.Model.registry.mappers
            if getattr(mapper.class_, "__audited__", True)]


def tracked_columns(mapper) -> dict[str, Any]:
    ignored = getattr(mapper.class_, "__audit_ignored__", frozenset())
    return {prop.key: prop.columns[0] for prop in mapper.column_attrs
            if prop.key not in ignored and prop.columns[0] is not mapper.version_id_col}


def read_tables(app) -> dict[str, dict[str, dict]]:
    """Every row of every audited table: {table: {record id: {attribute: value}}}."""
    tables = {}
    with app.app_context():
        for mapper in audited_mappers():
            columns = tracked_columns(mapper)
            keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
            rows = db.session.execute(sa.select(*(column.label(key) for key, column in
                                                  columns.items()))).mappings()
            tables[mapper.local_table.name] = {
                ":".join(str(row[key]) for key in keys): dict(row) for row in rows}
    return tables


def same(recorded, actual) -> bool:
    actual = _json_value(actual)
    if recorded == actual:
        return True
    for parse in (Decimal, datetime.fromisoformat):
        try:
            return parse(recorded) == parse(actual)
        except (TypeError, ValueError, InvalidOperation):
            continue
    return False


def trail_problems(before, after, entries: list[AuditEntry]) -> list[str]:
    per_record = defaultdict(list)
    bulk = set()
    for entry in entries:
        if entry.action not in ("create", "update", "delete"):
            continue  # an event, such as a sign-in, changes no record
        if entry.record_id is None:
            bulk.add(entry.table_name)  # a bulk statement's summary
        else:
            per_record[entry.table_name, entry.record_id].append(entry)
    problems = []
    for table, rows in after.items():
        old_rows = before[table]
        for record_id in rows.keys() | old_rows.keys():
            old, new = old_rows.get(record_id), rows.get(record_id)
            found = per_record[table, record_id]
            where = f"{table} #{record_id}"
            changed = {key for key in (new or old) if (old or {}).get(key) != (new or {}).get(key)}
            if not changed:
                if found and any(e.action != "update" or e.changes for e in found):
                    problems.append(f"{where}: recorded {found[0].action}, nothing changed")
                continue
            if table in bulk:
                continue  # the flag pass's bulk statements leave a summary per statement
            if not found:
                problems.append(f"{where}: changed without an entry ({sorted(changed)})")
                continue
            # Fold the entries: the first old value and the last new value of each column.
            folded: dict[str, list] = {}
            for entry in found:
                for key, (was, becomes) in (entry.changes or {}).items():
                    folded[key] = [folded.get(key, [was])[0], becomes]
            expected_action = "create" if old is None else "delete" if new is None else None
            if expected_action and found[0 if old is None else -1].action != expected_action:
                problems.append(f"{where}: {expected_action} recorded as {found[0].action}")
            for key in changed - folded.keys():
                if new is None or key in folded or old is None and new[key] is None:
                    continue
                problems.append(f"{where}: {key} changed without being recorded")
            for key, (was, becomes) in folded.items():
                if REDACTED in (was, becomes):
                    continue
                if old is not None and not same(was, old.get(key)):
                    problems.append(f"{where}: {key} recorded as old {was!r}, was {old[key]!r}")
                if new is not None and not same(becomes, new.get(key)):
                    problems.append(f"{where}: {key} recorded as new {becomes!r}, "
                                    f"is {new[key]!r}")
    return problems


@pytest.fixture
def ctx(app, login_client, make_user, make_case, make_round, make_application):
    return SimpleNamespace(
        app=app, client=app.test_client(), login_client=login_client, make_user=make_user,
        make_case=make_case, make_round=make_round, make_application=make_application,
        consultant=login_client(Role.CONSULTANT), team=login_client(Role.TEAM),
        admin=login_client(Role.ADMIN))


def mutating_rules(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if rule.methods & MUTATING}


def test_every_mutating_route_has_a_change_that_proves_it_audits(app):
    missing = mutating_rules(app) - CHANGES.keys()
    assert not missing, f"add these routes to CHANGES in tests/test_audit_routes.py: {missing}"
    assert not CHANGES.keys() - mutating_rules(app), "CHANGES names routes that are gone"


@pytest.mark.parametrize("rule", sorted(CHANGES))
def test_every_change_through_a_route_leaves_a_true_audit_trail(ctx, rule):
    change = CHANGES[rule]
    client, url, data = change.make(ctx)
    before, last = read_tables(ctx.app), first(ctx.app, sa.func.max(AuditEntry.id)) or 0
    response = client.post(url, data=data)
    assert response.status_code in (200, 302), re.findall(
        r'class="(?:invalid-feedback|alert)[^"]*">(.*?)</', response.get_data(as_text=True), re.S)
    with ctx.app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > last)
                                     .order_by(AuditEntry.id)).all()
    assert any(entry.action == change.action and entry.table_name == change.table
               for entry in entries), [(e.action, e.table_name) for e in entries]
    # By the signed-in user; on a public page by no one, or by whoever signed in there.
    actor = ctx.consultant.user if rule == "/login" else getattr(client, "user", None)
    assert {entry.actor_id for entry in entries} == {actor.id if actor else None}
    assert trail_problems(before, read_tables(ctx.app), entries) == []


def test_a_new_mutating_route_without_a_change_fails_the_walk(app):
    app.add_url_rule("/engagements/<int:engagement_id>/archive", "archive",
                     lambda engagement_id: "", methods=["POST"])
    assert mutating_rules(app) - CHANGES.keys() == {"/engagements/<int:engagement_id>/archive"}
