from datetime import date

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.applications import services as applications
from consultancy.engagements.overview_views import my_active_cases
from consultancy.extensions import db
from consultancy.flags.queries import (
    FlagFilters, attention_by_severity, flag_query, subjects,
)
from consultancy.flags.templating import flags_needing_attention
from consultancy.i18n import choose_language
from consultancy.main import bp
from consultancy.main.forms import LanguageForm
from consultancy.navigation import safe_next
from consultancy.models import Role
from consultancy.permissions import public, signed_in
from consultancy.services.clock import local_today
from consultancy.services.health import database_answers


START_PAGE_FLAGS = 10


@bp.route("/")
@signed_in
def index():
    context = {}
    today = local_today()
    if current_user.role is Role.TEAM:
        context = {"awaiting": applications.awaiting_scores(current_user),
                   "by_status": applications.count_by_status()}
    elif current_user.role is Role.CONSULTANT:
        # What needs attention first, with the step that resolves it; then the cases.
        attention = db.session.scalars(
            flag_query(current_user, FlagFilters(), today).limit(START_PAGE_FLAGS)).all()
        context = {"attention": attention, "attention_subjects": subjects(attention),
                   "attention_total": flags_needing_attention(),
                   "my_cases": my_active_cases(current_user, today), "today": today}
    if current_user.role in (Role.TEAM, Role.ADMIN):
        context["flag_counts"] = attention_by_severity(current_user, today)
    return render_template("main/index.html", user=current_user, **context)


@bp.route("/language", methods=["POST"])
@public
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        choose_language(form.language.data)
        db.session.commit()
    else:
        flash(_("Choose Danish or English."), "danger")
    return redirect(safe_next(form.next.data) or url_for("main.index"))


@bp.route("/accessibility")
@public
def accessibility():
    """The accessibility statement (tilgængelighedserklæring) a public body's site must have."""
    prepared = current_app.config["ACCESSIBILITY_STATEMENT_DATE"]
    if isinstance(prepared, str):
        prepared = date.fromisoformat(prepared)
    return render_template("main/accessibility.html", prepared=prepared,
                           contact=current_app.config["ACCESSIBILITY_CONTACT"])


@bp.route("/healthz")
@public
def healthz():
    if database_answers():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unavailable"), 503
