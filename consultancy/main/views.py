from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user

from consultancy.extensions import db
from consultancy.i18n import choose_language
from consultancy.main import bp
from consultancy.main.forms import LanguageForm
from consultancy.navigation import safe_next
from consultancy.permissions import public, signed_in
from consultancy.services.health import database_answers


@bp.route("/")
@signed_in
def index():
    return render_template("main/index.html", user=current_user)


@bp.route("/language", methods=["POST"])
@public
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        choose_language(form.language.data)
        db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.index"))


@bp.route("/healthz")
@public
def healthz():
    if database_answers():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unavailable"), 503
