from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.auth import bp, sessions
from consultancy.auth.forms import LoginForm, PasswordChangeForm
from consultancy.auth.passwords import PasswordRefused
from consultancy.auth.services import Outcome, authenticate, change_password
from consultancy.extensions import db, login_manager
from consultancy.models import User
from consultancy.security import audit
from consultancy.security.permissions import public, signed_in
from consultancy.services.clock import utcnow
from consultancy.web.forms import ButtonForm, show_refusal
from consultancy.web.navigation import safe_next


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    # Also what a "remember me" cookie would be checked with: an ended session stays ended.
    return sessions.load(login_id, utcnow())


@bp.before_app_request
def keep_session_alive() -> None:
    sessions.keep_alive()


def _wait() -> tuple[int, dict]:
    """How long a throttled client waits: minutes to say, and the Retry-After header."""
    seconds = int(current_app.config["LOGIN_THROTTLE_WINDOW"].total_seconds())
    return seconds // 60, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next"))
    status, headers = 200, {}
    if form.validate_on_submit():
        config = current_app.config
        now = utcnow()
        result = authenticate(form.email.data, form.password.data, request.remote_addr,
                              now, config["LOGIN_THROTTLE_LIMIT"],
                              config["LOGIN_THROTTLE_WINDOW"])
        if result.outcome is Outcome.SIGNED_IN:
            sessions.sign_in(result.user, now)
            audit.set_actor(result.user.id)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("main.index"))
        db.session.commit()  # the refused attempt is counted and audited
        if result.outcome is Outcome.THROTTLED:
            minutes, headers = _wait()
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
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if ButtonForm().validate_on_submit():
        audit.record_event("logout", user_id=current_user.id)
        sessions.sign_out(sessions.LOGOUT, utcnow())
        db.session.commit()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    form = PasswordChangeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        config = current_app.config
        user = current_user._get_current_object()
        now = utcnow()
        try:
            outcome = change_password(
                user, form.current_password.data, form.new_password.data,
                request.remote_addr, now, config["LOGIN_THROTTLE_LIMIT"],
                config["LOGIN_THROTTLE_WINDOW"])
        except PasswordRefused as refusal:
            db.session.rollback()
            show_refusal(form, refusal)
            return render_template("auth/password.html", form=form), 400
        if outcome is Outcome.CHANGED:
            sessions.sign_in(user, now)  # the other sessions, and this one's token, ended
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
        db.session.commit()  # the wrong password is counted and audited
        if outcome is Outcome.THROTTLED:
            minutes, headers = _wait()
            form.form_errors.append(_(
                "Too many wrong passwords. Wait %(minutes)d minutes and try again.",
                minutes=minutes))
            status = 429
        else:
            form.current_password.errors.append(_("The current password is wrong."))
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form), status, headers
