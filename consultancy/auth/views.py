from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from consultancy import audit
from consultancy.auth import bp
from consultancy.auth.forms import LoginForm, PasswordChangeForm
from consultancy.auth.services import Outcome, authenticate, change_password
from consultancy.extensions import db, login_manager
from consultancy.forms import ButtonForm
from consultancy.models import User
from consultancy.models.types import utcnow
from consultancy.navigation import safe_next
from consultancy.permissions import public, signed_in


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next"))
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        result = authenticate(form.email.data, form.password.data, request.remote_addr,
                              utcnow(), config["LOGIN_THROTTLE_LIMIT"],
                              config["LOGIN_THROTTLE_WINDOW"])
        if result.outcome is Outcome.SIGNED_IN:
            login_user(result.user)
            audit.set_actor(result.user.id)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("main.index"))
        db.session.commit()  # the refused attempt is counted and audited
        if result.outcome is Outcome.THROTTLED:
            minutes = int(config["LOGIN_THROTTLE_WINDOW"].total_seconds() // 60)
            form.form_errors.append(_(
                "Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.",
                minutes=minutes))
            status = 429
        elif result.outcome is Outcome.INACTIVE:
            form.form_errors.append(_(
                "Your account has been deactivated. Contact an administrator."))
            status = 403
        else:
            form.form_errors.append(_("The email address or the password is wrong."))
            status = 401
    elif form.is_submitted():
        status = 400
    response = current_app.make_response((render_template("auth/login.html", form=form), status))
    if status == 429:
        response.headers["Retry-After"] = str(
            int(current_app.config["LOGIN_THROTTLE_WINDOW"].total_seconds()))
    return response


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if ButtonForm().validate_on_submit():
        audit.record_event("logout", user_id=current_user.id)
        db.session.commit()
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if change_password(current_user, form.current_password.data, form.new_password.data):
            db.session.commit()
            login_user(current_user._get_current_object())  # the old session was invalidated with the old password
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
        form.current_password.errors.append(_("The current password is wrong."))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
