"""Rounds, their ranking and export, daycare units and criteria sets."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy import audit
from consultancy.applications import bp, services
from consultancy.applications.exchange import export_frame
from consultancy.applications.forms import CriteriaSetForm, RoundForm, UnitEditForm
from consultancy.exports import MIMETYPES, download
from consultancy.extensions import db
from consultancy.pagination import paginate
from consultancy.forms import choices
from consultancy.i18n import current_language
from consultancy.models import (
    Application, CriteriaSet, DaycareUnit, EngagementType, Intake, Ownership, Role, Round, UnitKind,
)
from consultancy.permissions import role_required
from consultancy.services.clock import local_today
from consultancy.transactions import commit_or_show


def _round_choices(form: RoundForm) -> None:
    language = current_language()
    types = db.session.scalars(sa.select(EngagementType).where(
        EngagementType.intake == Intake.ROUNDS).order_by(EngagementType.id)).all()
    form.engagement_type.choices = choices((t.id, t.name(language)) for t in types)
    sets = db.session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.version.desc())).all()
    form.criteria_set.choices = choices(
        (s.id, _("Version %(version)d: %(name)s", version=s.version, name=s.name))
        for s in sets)


@bp.route("/rounds")
@role_required(Role.TEAM)
def rounds():
    all_rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc())).all()
    counts = dict(db.session.execute(
        sa.select(Application.round_id, sa.func.count()).group_by(Application.round_id)).all())
    today = local_today()
    return render_template("applications/rounds.html", rounds=all_rounds, counts=counts,
                           states={r.id: services.round_state_of(r, today) for r in all_rounds})


def _round_is_consistent(form: RoundForm, round_: Round | None) -> bool:
    """Rounds of a type never overlap; a round with applications keeps its type and criteria."""
    overlapping = sa.select(Round.name).where(
        Round.engagement_type_id == form.engagement_type.data,
        Round.opens_on <= form.closes_on.data, Round.closes_on >= form.opens_on.data)
    if round_ is not None:
        overlapping = overlapping.where(Round.id != round_.id)
    clash = db.session.scalar(overlapping.limit(1))
    if clash:
        form.opens_on.errors.append(_("The dates overlap the round %(name)s.", name=clash))
    if round_ is not None and db.session.scalar(
            sa.select(sa.func.count()).where(Application.round_id == round_.id)):
        if form.engagement_type.data != round_.engagement_type_id:
            form.engagement_type.errors.append(
                _("The round has applications: its type of course cannot change."))
        if form.criteria_set.data != round_.criteria_set_id:
            form.criteria_set.errors.append(
                _("The round has applications: its criteria cannot change."))
    return not (form.opens_on.errors or form.engagement_type.errors
                or form.criteria_set.errors)


def _save_round(round_: Round | None):
    form = RoundForm(obj=round_)
    _round_choices(form)
    if request.method == "GET" and round_ is not None:
        form.engagement_type.data = round_.engagement_type_id
        form.criteria_set.data = round_.criteria_set_id
    if form.validate_on_submit() and _round_is_consistent(form, round_):
        round_ = round_ or Round()
        round_.name = form.name.data.strip()
        round_.engagement_type_id = form.engagement_type.data
        round_.opens_on, round_.closes_on = form.opens_on.data, form.closes_on.data
        round_.capacity = form.capacity.data
        round_.planned_start = form.planned_start.data
        round_.criteria_set_id = form.criteria_set.data
        db.session.add(round_)
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
    return _save_round(db.get_or_404(Round, round_id))


@bp.route("/rounds/<int:round_id>")
@role_required(Role.TEAM)
def round_ranking(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    pending = services.has_pending_review(current_user, round_)
    return render_template("applications/ranking.html", round=round_, pending=pending,
                           ranked=[] if pending else services.ranking(round_),
                           state=services.round_state_of(round_, local_today()),
                           language=current_language())


@bp.route("/rounds/<int:round_id>/export.<fmt>")
@role_required(Role.TEAM)
def round_export(round_id: int, fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    round_ = db.get_or_404(Round, round_id)
    if services.has_pending_review(current_user, round_):
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
    page = paginate(sa.select(DaycareUnit).order_by(DaycareUnit.name, DaycareUnit.id))
    return render_template("applications/units.html", page=page)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(Role.TEAM)
def unit_edit(unit_id: int):
    unit = db.get_or_404(DaycareUnit, unit_id)
    form = UnitEditForm(obj=unit)
    if request.method == "GET":
        form.kind.data, form.ownership.data = unit.kind.value, unit.ownership.value
    if form.validate_on_submit():
        unit.name = form.name.data.strip()
        unit.kind, unit.ownership = UnitKind(form.kind.data), Ownership(form.ownership.data)
        unit.children = form.children.data
        db.session.commit()
        flash(_("%(name)s saved.", name=unit.name), "success")
        return redirect(url_for("applications.units"))
    status = 400 if form.is_submitted() else 200
    return render_template("applications/unit_form.html", form=form, unit=unit), status


@bp.route("/criteria")
@role_required(Role.TEAM, Role.ADMIN)
def criteria_sets():
    sets = db.session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.version.desc())).all()
    return render_template("applications/criteria.html", sets=sets,
                           language=current_language())


@bp.route("/criteria/new", methods=["GET", "POST"])
@role_required(Role.TEAM, Role.ADMIN)
def criteria_new():
    """A new version of the set, starting from the newest; old scores keep their version."""
    current = services.current_criteria_set()
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
