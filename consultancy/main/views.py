from datetime import date

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.extensions import db
from consultancy.main import bp
from consultancy.main.forms import LanguageForm
from consultancy.main.queries import start_page
from consultancy.security.permissions import public, signed_in
from consultancy.services.clock import local_today
from consultancy.services.health import database_answers
from consultancy.web.i18n import choose_language
from consultancy.web.navigation import safe_next


@bp.route("/")
@signed_in
def index():
    user = current_user._get_current_object()
    return render_template("main/index.html", user=user, **start_page(user, local_today()))


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
