"""Rounds, their ranking and export, daycare units and criteria sets."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.admin.queries import engagement_types
from consultancy.applications import access, bp, queries, services
from consultancy.applications.exchange import export_frame
from consultancy.applications.forms import CriteriaSetForm, RoundForm, UnitEditForm
from consultancy.exchange.exports import MIMETYPES, download
from consultancy.extensions import db
from consultancy.models import Intake, Ownership, Role, Round, UnitKind
from consultancy.security import audit
from consultancy.security.permissions import role_required
from consultancy.services.clock import local_today
from consultancy.web.forms import choices
from consultancy.web.i18n import current_language
from consultancy.web.pagination import paginate
from consultancy.web.transactions import commit_or_show


def _round_choices(form: RoundForm) -> None:
    language = current_language()
    form.engagement_type.choices = choices(
        (t.id, t.name(language)) for t in engagement_types(intake=Intake.ROUNDS))
    form.criteria_set.choices = choices(
        (s.id, _("Version %(version)d: %(name)s", version=s.version, name=s.name))
        for s in queries.criteria_sets())


@bp.route("/rounds")
@role_required(Role.TEAM)
def rounds():
    all_rounds = queries.rounds()
    counts = queries.application_counts()
    today = local_today()
    return render_template("applications/rounds.html", rounds=all_rounds, counts=counts,
                           states={r.id: queries.round_state_of(r, today) for r in all_rounds})


def _round_is_consistent(form: RoundForm, round_: Round | None) -> bool:
    """Shows on the form what keeps it from being saved as the round."""
    problems = services.round_problems(round_, form.to_data())
    for field, message in problems:
        form[field].errors.append(message)
    return not problems


def _save_round(round_: Round | None):
    form = RoundForm(obj=round_)
    _round_choices(form)
    if request.method == "GET" and round_ is not None:
        form.engagement_type.data = round_.engagement_type_id
        form.criteria_set.data = round_.criteria_set_id
    if form.validate_on_submit() and _round_is_consistent(form, round_):
        round_ = services.save_round(round_, form.to_data())
        db.session.commit()
        flash(_("Round %(name)s saved.", name=round_.name), "success")
        return redirect(url_for("applications.round_ranking", round_id=round_.id))
    status = 400 if form.is_submitted() else 200
    return render_template("applications/round_form.html", form=form, round=round_), status


@bp.route("/rounds/new", methods=["GET", "POST"])
@role_required(Role.TEAM)
def round_new():
    return _save_round(None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@role_required(Role.TEAM)
def round_edit(round_id: int):
    return _save_round(access.load_round(round_id))


@bp.route("/rounds/<int:round_id>")
@role_required(Role.TEAM)
def round_ranking(round_id: int):
    round_ = access.load_round(round_id)
    pending = queries.has_pending_review(current_user, round_)
    return render_template("applications/ranking.html", round=round_, pending=pending,
                           ranked=[] if pending else queries.ranking(round_),
                           state=queries.round_state_of(round_, local_today()),
                           language=current_language())


@bp.route("/rounds/<int:round_id>/export.<fmt>")
@role_required(Role.TEAM)
def round_export(round_id: int, fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    round_ = access.load_round(round_id)
    if queries.has_pending_review(current_user, round_):
        flash(_("Submit your own scores in the round before you download its scores."),
              "warning")
        return redirect(url_for("applications.round_ranking", round_id=round_.id))
    frame = export_frame(round_.id)
    audit.record_export("applications", fmt, {"round": round_.id}, len(frame))
    db.session.commit()
    return download(frame, fmt, f"applications-round-{round_.id}", sheet="applications")


@bp.route("/units")
@role_required(Role.TEAM)
def units():
    page = paginate(queries.units_query())
    return render_template("applications/units.html", page=page)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(Role.TEAM)
def unit_edit(unit_id: int):
    unit = access.load_unit(unit_id)
    form = UnitEditForm(obj=unit)
    if request.method == "GET":
        form.kind.data, form.ownership.data = unit.kind.value, unit.ownership.value
    if form.validate_on_submit():
        services.update_unit(unit, form.name.data, UnitKind(form.kind.data),
                             Ownership(form.ownership.data), form.children.data)
        db.session.commit()
        flash(_("%(name)s saved.", name=unit.name), "success")
        return redirect(url_for("applications.units"))
    status = 400 if form.is_submitted() else 200
    return render_template("applications/unit_form.html", form=form, unit=unit), status


@bp.route("/criteria")
@role_required(Role.TEAM, Role.ADMIN)
def criteria_sets():
    return render_template("applications/criteria.html", sets=queries.criteria_sets(),
                           language=current_language())


@bp.route("/criteria/new", methods=["GET", "POST"])
@role_required(Role.TEAM, Role.ADMIN)
def criteria_new():
    """A new version of the set, starting from the newest; old scores keep their version."""
    current = queries.current_criteria_set()
    form = CriteriaSetForm.for_set(current)
    status = 200
    if form.validate_on_submit():
        # Two new versions at once take the same number: the second is refused (409).
        outcome = commit_or_show(lambda: services.new_criteria_version(
            current, form.name.data, form.vulnerable_share_threshold.data,
            form.criterion_settings()), form)
        if outcome:
            flash(_("Criteria version %(version)d created.", version=outcome.result.version),
                  "success")
            return redirect(url_for("applications.criteria_sets"))
        status = outcome.status
    elif form.is_submitted():
        status = 400
    return render_template("applications/criteria_form.html", form=form, current=current,
                           language=current_language()), status
