"""Entering self-assessments on a case: the case's responses by occasion and unit, one
page per respondent to add or correct, deleting, and importing a file."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from consultancy.engagements.access import load_case
from consultancy.evaluation import bp, importing, queries, services
from consultancy.evaluation.access import load_response
from consultancy.evaluation.forms import (
    DeleteResponseForm,
    ImportForm,
    RespondentOption,
    ResponseForm,
    response_form,
    response_values,
)
from consultancy.exchange.exports import download
from consultancy.extensions import db
from consultancy.models import Engagement, InstrumentVersion, Occasion, Response, Role
from consultancy.security import audit
from consultancy.security.identities import unit_label
from consultancy.security.permissions import can_write_case, pseudonymised, role_required
from consultancy.services.clock import local_today
from consultancy.web.i18n import current_language
from consultancy.web.inputs import int_arg, whole_number
from consultancy.web.transactions import commit_or_show

WRITERS = (Role.CONSULTANT, Role.TEAM, Role.ADMIN)
READERS = (*WRITERS, Role.EVALUATOR)


def responses_url(engagement_id: int, **values) -> str:
    return url_for("evaluation.case_responses", engagement_id=engagement_id, **values)


def _respondents(table: list[services.OccasionResponses]) -> list[RespondentOption]:
    """The case's respondent codes, each with where and as what it answered."""
    seen: dict[str, list[str]] = {}
    for occasion in table:
        for unit in occasion.units:
            for line in unit.lines:
                response = line.response
                seen.setdefault(response.respondent_code, []).append(
                    f"{occasion.occasion.label.lower()}, {response.respondent_role.label.lower()}"
                    f", {unit.unit.name}")
    return [RespondentOption(code, f"{code} ({'; '.join(seen[code])})")
            for code in sorted(seen)]


def _units(engagement: Engagement) -> list:
    return sorted((link.unit for link in engagement.units), key=lambda u: u.name.casefold())


def _next_respondent(table: list[services.OccasionResponses], response_id: int | None
                     ) -> Response | None:
    if response_id is None:
        return None
    return next((line.response for occasion in table for unit in occasion.units
                 for line in unit.lines if line.response.id == response_id), None)


@bp.route("/cases/<int:engagement_id>")
@role_required(*READERS)
def case_responses(engagement_id: int):
    engagement = load_case(engagement_id)
    table = services.case_responses(engagement)
    if pseudonymised(current_user):  # in the order of the pseudonyms shown, not the names
        for occasion in table:
            occasion.units.sort(key=lambda line: unit_label(line.unit, hidden=True))
    writer = can_write_case(current_user, engagement, local_today())
    added = _next_respondent(table, int_arg("added")) if writer else None
    return render_template(
        "evaluation/entry_case.html", engagement=engagement, table=table, writer=writer,
        added=added, version=services.default_version() if writer else None)


def _version_for_new() -> InstrumentVersion | None:
    """The version asked for (?version=, or the form's), if published; else the default."""
    wanted = whole_number(request.form.get("version")) or int_arg("version")
    version = queries.published_version(wanted) if wanted is not None else None
    return version or services.default_version()


def _defaults(engagement: Engagement, version: InstrumentVersion) -> dict:
    """A new respondent's form: what the link asks for (the next respondent keeps the unit,
    the occasion and the date), else today and the only unit."""
    args = request.args
    values: dict = {"version": str(version.id), "responded_on": local_today()}
    units = {link.unit_id for link in engagement.units}
    unit = int_arg("unit")
    if unit in units:
        values["unit"] = unit
    elif len(units) == 1:
        values["unit"] = next(iter(units))
    if args.get("occasion") in {occasion.value for occasion in Occasion}:
        values["occasion"] = Occasion(args["occasion"])
    try:
        values["responded_on"] = date.fromisoformat(args.get("date", ""))
    except ValueError:
        pass
    return values


def _render(form: ResponseForm, engagement: Engagement, version: InstrumentVersion,
            status: int, response: Response | None = None, versions=()):
    title = _("Edit the answers of %(code)s", code=response.respondent_code) \
        if response is not None else _("Add a respondent")
    return render_template(
        "evaluation/entry_form.html", form=form, engagement=engagement, version=version,
        versions=versions, entry=response, title=title, language=current_language(),
        back=responses_url(engagement.id)), status


@bp.route("/cases/<int:engagement_id>/responses/new", methods=["GET", "POST"])
@role_required(*WRITERS)
def response_new(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    version = _version_for_new()
    if version is None:
        flash(_("No instrument is published yet; an administrator publishes one first."),
              "warning")
        return redirect(responses_url(engagement_id))
    table = services.case_responses(engagement)
    language = current_language()
    form = response_form(version, language,
                         data=None if request.method == "POST" else _defaults(engagement,
                                                                              version))
    form.set_choices(_units(engagement), _respondents(table))
    status = 200
    if form.validate_on_submit():
        outcome = commit_or_show(lambda: services.record_response(
            engagement, form.unit.data, version, form.occasion.data,
            form.respondent_role.data, form.responded_on.data, form.answers(),
            current_user._get_current_object(), form.respondent_code.data or None,
            today=local_today()), form)
        if outcome:
            response = outcome.result
            flash(_("The answers of %(code)s (%(occasion)s, %(unit)s) are saved.",
                    code=response.respondent_code, occasion=response.occasion.label.lower(),
                    unit=response.unit.name), "success")
            return redirect(responses_url(engagement_id, added=response.id))
        status = 400
    elif form.is_submitted():
        status = 400
    versions = services.published_versions()
    return _render(form, engagement, version, status,
                   versions=versions if len(versions) > 1 else ())


@bp.route("/cases/<int:engagement_id>/responses/<int:response_id>/edit",
          methods=["GET", "POST"])
@role_required(*WRITERS)
def response_edit(engagement_id: int, response_id: int):
    engagement = load_case(engagement_id, write=True)
    response = load_response(engagement, response_id)
    version = response.instrument_version
    table = services.case_responses(engagement)
    form = response_form(version, current_language(),
                         data=None if request.method == "POST" else response_values(response))
    form.set_choices(_units(engagement), _respondents(table),
                     new_respondent=False)
    status = 200
    if form.validate_on_submit():
        outcome = commit_or_show(lambda: services.update_response(
            response, unit_id=form.unit.data, occasion=form.occasion.data,
            role=form.respondent_role.data, responded_on=form.responded_on.data,
            answers=form.answers(), respondent_code=form.respondent_code.data,
            today=local_today()), form)
        if outcome:
            flash(_("The answers of %(code)s are saved.", code=response.respondent_code),
                  "success")
            return redirect(responses_url(engagement_id))
        status = 400
    elif form.is_submitted():
        status = 400
    return _render(form, engagement, version, status, response)


@bp.route("/cases/<int:engagement_id>/responses/<int:response_id>/delete",
          methods=["GET", "POST"])
@role_required(*WRITERS)
def response_delete(engagement_id: int, response_id: int):
    """GET asks for confirmation; POST deletes the response and its answers."""
    engagement = load_case(engagement_id, write=True)
    response = load_response(engagement, response_id)
    form = DeleteResponseForm()
    if form.validate_on_submit():
        code, occasion = response.respondent_code, response.occasion.label.lower()
        if commit_or_show(lambda: services.delete_response(response), form):
            flash(_("The answers of %(code)s (%(occasion)s) are deleted.", code=code,
                    occasion=occasion), "success")
            return redirect(responses_url(engagement_id))
    status = 400 if form.is_submitted() else 200
    return render_template("evaluation/entry_delete.html", form=form, engagement=engagement,
                           entry=response, back=responses_url(engagement_id)), status


# --- import -------------------------------------------------------------------------------

@bp.route("/cases/<int:engagement_id>/import", methods=["GET", "POST"])
@role_required(*WRITERS)
def import_responses(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = ImportForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            summary = importing.import_responses(
                upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1), upload.filename or "",
                actor=current_user._get_current_object(), today=local_today(),
                case=engagement)
            db.session.commit()
        except importing.FileRefused as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, *error.messages]  # next to the upload
            status = 400
        except importing.ResponseImportError as error:
            db.session.rollback()
            errors = error.messages
            status = 400
        else:
            flash(_("Imported: %(responses)s from %(respondents)s in %(units)s.",
                    responses=ngettext("%(num)d response", "%(num)d responses",
                                       summary.responses),
                    respondents=ngettext("%(num)d respondent", "%(num)d respondents",
                                         summary.respondents),
                    units=ngettext("%(num)d unit", "%(num)d units", summary.units)),
                  "success")
            return redirect(responses_url(engagement_id))
    elif form.is_submitted():
        status = 400
    version = services.default_version()
    return render_template(
        "evaluation/import.html", form=form, engagement=engagement, errors=errors,
        version=version, units=_units(engagement), back=responses_url(engagement_id)), status


@bp.route("/cases/<int:engagement_id>/import/template.csv")
@role_required(*WRITERS)
def import_template(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    frame = importing.template_frame(engagement, services.default_version())
    audit.record_export("import-template", "csv", {"case": engagement.reference}, len(frame))
    db.session.commit()
    return download(frame, "csv", f"{engagement.reference}-egenvurdering")

