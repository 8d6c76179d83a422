from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.admin.queries import engagement_types
from consultancy.applications import access, bp, queries, services
from consultancy.applications.forms import (
    ApplicationForm,
    DecisionForm,
    ReviewerForm,
    WithdrawForm,
    score_form,
)
from consultancy.extensions import db
from consultancy.models import Application, ApplicationStatus, Channel, Role
from consultancy.security import throttle
from consultancy.security.permissions import own_review, public, role_required
from consultancy.services import Conflict
from consultancy.services.clock import local_today, utcnow
from consultancy.web.forms import ButtonForm, choices
from consultancy.web.i18n import current_language
from consultancy.web.inputs import int_arg
from consultancy.web.pagination import paginate
from consultancy.web.transactions import commit_or_show, flash_form_errors

APPLY_BUCKET = "apply"


# --- the application form, public and for staff ----------------------------------------

def _prepare(form: ApplicationForm) -> None:
    form.set_choices(queries.municipalities(), engagement_types(active_only=True),
                     current_language())


def _handle_form(form: ApplicationForm, channel: Channel):
    """Add/remove unit rows, or submit and commit. Returns the application, or None to
    re-render."""
    if form.add_unit.data:
        if len(form.units) < form.units.max_entries:
            form.units.append_entry()
        return None
    removed = form.remove_requested()
    if removed is not None:
        if len(form.units) > 1:
            entries = [entry.data for index, entry in enumerate(form.units) if index != removed]
            while len(form.units):
                form.units.pop_entry()
            for data in entries:
                form.units.append_entry(data)
        return None
    if not form.validate_on_submit():
        return None
    outcome = commit_or_show(lambda: services.submit(form.to_data(), channel, utcnow(),
                                                     local_today()), form)
    if outcome:
        return outcome.result
    # A conflict: the same form sent twice at once, and the other request stored it first.
    return _sent_before(form) if isinstance(outcome.refusal, Conflict) else None


def _sent_before(form: ApplicationForm) -> Application | None:
    """The application this very form has already made (a double click, a resend)."""
    earlier = queries.submitted_with(form.token())
    if earlier is not None:
        flash(_("This form had already been sent, so it was not sent again."), "info")
    return earlier


def _receipt(application: Application):
    session["receipt"] = application.reference
    return redirect(url_for("applications.receipt"))


@bp.route("/apply", methods=["GET", "POST"])
@public
def apply():
    form = ApplicationForm()
    _prepare(form)
    status = 200
    if request.method == "POST":
        # Sent again: the same receipt (the token is the proof), and it counts once.
        earlier = _sent_before(form)
        if earlier is not None:
            return _receipt(earlier)
        config = current_app.config
        attempt = throttle.begin(APPLY_BUCKET, [throttle.address_subject(request.remote_addr)],
                                 config["APPLY_RATE_LIMIT"], config["APPLY_RATE_WINDOW"],
                                 utcnow())
        if attempt.limited:
            db.session.rollback()
            form.form_errors.append(_(
                "Too many applications from your network. Try again in an hour, or write to "
                "Team Dagtilbud."))
            return render_template("applications/apply.html", form=form), 429
        application = _handle_form(form, Channel.WEB)
        if application is not None:
            return _receipt(application)
        db.session.rollback()  # only submitted applications count against the limit
        status = 400 if (form.errors or form.form_errors) else 200
    return render_template("applications/apply.html", form=form), status


@bp.route("/apply/receipt")
@public
def receipt():
    reference = session.get("receipt")
    if reference is None:
        return redirect(url_for("applications.apply"))
    return render_template("applications/receipt.html",
                           application=access.load_by_reference(reference))


@bp.route("/privacy")
@public
def privacy():
    return render_template("applications/privacy.html")


@bp.route("/applications/new", methods=["GET", "POST"])
@role_required(Role.TEAM)
def staff_new():
    form = ApplicationForm()
    form.require_consent = False
    _prepare(form)
    if request.method == "POST":
        application = _sent_before(form) or _handle_form(form, Channel.STAFF)
        if application is not None:
            flash(_("Application %(reference)s registered.", reference=application.reference),
                  "success")
            return redirect(url_for("applications.detail", application_id=application.id))
    status = 400 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return render_template("applications/apply.html", form=form, staff=True), status


# --- lists -------------------------------------------------------------------------------

@bp.route("/applications")
@role_required(Role.TEAM)
def index():
    statuses = [s for s in ApplicationStatus]
    status = request.args.get("status")
    type_id = int_arg("type")
    page = paginate(queries.applications_query(
        ApplicationStatus(status) if status in {s.value for s in statuses} else None,
        type_id, int_arg("round")))
    assessments = {a.id: queries.assessment_for(a, current_user) for a in page.items}
    types = engagement_types()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("applications/index.html", page=page, assessments=assessments,
                           statuses=statuses, types=types, args=args, status=status,
                           type_id=type_id)


@bp.route("/applications/queue")
@role_required(Role.TEAM)
def queue():
    """Applications for continuous-intake types, oldest first, until decided."""
    page = paginate(queries.queue_query())
    assessments = {a.id: queries.assessment_for(a, current_user) for a in page.items}
    return render_template("applications/queue.html", page=page, assessments=assessments)


# --- one application ---------------------------------------------------------------------

@bp.route("/applications/<int:application_id>")
@role_required(Role.TEAM)
def detail(application_id: int):
    application = access.load_application(application_id)
    reviewer_form = ReviewerForm()
    assigned = {r.reviewer_id for r in application.reviews}
    reviewer_form.reviewer.choices = choices(
        (u.id, u.name) for u in queries.reviewers() if u.id not in assigned)
    return render_template(
        "applications/detail.html", application=application,
        own_review=own_review(current_user, application),
        assessment=queries.assessment_for(application, current_user),
        prescreen=queries.prescreen(application), reviewer_form=reviewer_form,
        decision_form=DecisionForm(), withdraw_form=WithdrawForm(),
        language=current_language())


@bp.route("/applications/<int:application_id>/reviewers", methods=["POST"])
@role_required(Role.TEAM)
def assign(application_id: int):
    application = access.load_application(application_id)
    reviewers = queries.reviewers()
    form = ReviewerForm()
    form.reviewer.choices = choices((u.id, u.name) for u in reviewers)
    if form.validate_on_submit():
        reviewer = next(u for u in reviewers if u.id == form.reviewer.data)
        commit_or_show(lambda: services.assign_reviewer(application, reviewer, utcnow(),
                                                      current_user))
    else:
        flash(_("Choose a reviewer."), "danger")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/reviewers/<int:review_id>/remove",
          methods=["POST"])
@role_required(Role.TEAM)
def unassign(application_id: int, review_id: int):
    application = access.load_application(application_id)
    review = access.load_review(application, review_id)
    if ButtonForm().validate_on_submit():
        commit_or_show(lambda: services.remove_reviewer(review))
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/score", methods=["GET", "POST"])
@role_required(Role.TEAM)
def score(application_id: int):
    application = access.load_application(application_id)
    review = access.review_to_score(application, current_user)
    criteria = application.criteria_set.criteria
    form = score_form(criteria, current_language(), scores=review.scores)
    if form.validate_on_submit():
        scores = {c.id: (int(form[f"score_{c.id}"].data), form[f"justification_{c.id}"].data)
                  for c in criteria}
        outcome = commit_or_show(lambda: services.submit_scores(review, scores, utcnow()), form)
        if outcome:
            flash(_("Your scores are submitted."), "success")
            return redirect(url_for("applications.detail", application_id=application.id))
        status = outcome.status
    else:
        status = 400 if form.is_submitted() else 200
    return render_template("applications/score.html", application=application,
                           criteria=criteria, form=form), status


@bp.route("/applications/<int:application_id>/decision", methods=["POST"])
@role_required(Role.TEAM)
def decision(application_id: int):
    application = access.load_application(application_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif commit_or_show(lambda: services.decide(
            application, ApplicationStatus(form.decision.data), form.note.data, current_user,
            utcnow(), current_app.config["REQUIRED_REVIEWS"])):
        flash(_("Decision recorded: %(decision)s.", decision=application.status.label),
              "success")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@role_required(Role.TEAM)
def withdraw(application_id: int):
    application = access.load_application(application_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        commit_or_show(lambda: services.withdraw(application, form.reason.data, current_user,
                                               utcnow()))
    else:
        flash_form_errors(form)  # the reason missing, too long or holding a CPR number
    return redirect(url_for("applications.detail", application_id=application.id))
