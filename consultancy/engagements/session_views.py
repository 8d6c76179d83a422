"""The session log of a case: log or plan a session, complete or correct it, delete it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from consultancy.engagements import bp, queries, services
from consultancy.engagements.access import load_case, load_session
from consultancy.engagements.forms import DeleteSessionForm, SessionForm, session_values
from consultancy.models import (
    Engagement,
    EngagementSession,
    Role,
    SessionFormat,
    SessionStatus,
    ThemeGroup,
)
from consultancy.security.permissions import is_on_case, role_required
from consultancy.services.clock import local_today
from consultancy.web.i18n import current_language, format_date
from consultancy.web.transactions import commit_or_show

SESSION_ROLES = (Role.CONSULTANT, Role.TEAM, Role.ADMIN)
# What the session form offers and checks: the case's units and themes.
SESSION_FORM = (selectinload(Engagement.units), selectinload(Engagement.themes))


def case_url(engagement_id: int) -> str:
    return url_for("engagements.case", engagement_id=engagement_id)


def _prepare(form: SessionForm, engagement: Engagement, today,
             session: EngagementSession | None = None) -> None:
    """Offer the case's current consultants (and those already on the session), its units
    and the active themes (and those already on the session)."""
    users = {m.user_id: m.user for m in queries.current_members(engagement, today)}
    themes = {theme.id: theme for theme in services.themes()}
    if session is not None:
        for link in session.consultants:
            users.setdefault(link.user_id, link.user)
        for link in session.themes:
            themes.setdefault(link.theme_id, link.theme)
    form.set_choices(
        consultants=sorted(users.values(), key=lambda user: user.name.casefold()),
        units=sorted((link.unit for link in engagement.units),
                     key=lambda unit: unit.name.casefold()),
        themes=themes.values(), language=current_language())


def _open_theme_groups(form: SessionForm, engagement: Engagement) -> set:
    """Theme groups shown unfolded: those holding a chosen theme or one of the case's."""
    wanted = set(form.theme_ids.data or []) | {link.theme_id for link in engagement.themes}
    groups = {group for group, ids in form.theme_groups if wanted & set(ids)}
    return groups or {ThemeGroup.FOCUS}


def _render_form(form: SessionForm, engagement: Engagement, budget, status: int,
                 session: EngagementSession | None = None, due: bool = False,
                 planning: bool = False):
    if session is None:
        title = _("Plan a session") if planning else _("Log a session")
    elif due:
        title = _("Complete the planned session")
    else:
        title = _("Edit the session")
    return render_template(
        "engagements/session_form.html", form=form, engagement=engagement, entry=session,
        budget=budget, due=due, title=title, case_url=case_url(engagement.id),
        open_theme_groups=_open_theme_groups(form, engagement),
        # Asked for when a refusal names it (an overrun to confirm), and kept once ticked.
        show_confirm=bool(form.confirm_overrun.errors or form.confirm_overrun.data),
    ), status


def _flash_saved(session: EngagementSession, message: str) -> None:
    flash(message, "success")
    if session.overrun:
        flash(_("The session takes the case past its hour budget and is logged as an "
                "overrun."), "warning")


@bp.route("/<int:engagement_id>/sessions/new", methods=["GET", "POST"])
@role_required(*SESSION_ROLES)
def session_new(engagement_id: int):
    engagement = load_case(engagement_id, write=True, loads=SESSION_FORM)
    today = local_today()
    budget = queries.case_budget(engagement)
    # "Plan a session" (?planned=1) leaves the date to choose; a future date makes it planned.
    planning = request.args.get("planned") == "1"
    defaults = {} if planning else {"held_on": today}
    if is_on_case(current_user, engagement, today):
        defaults["consultant_ids"] = [current_user.id]
    if len(engagement.units) == 1:
        defaults["unit_ids"] = [engagement.units[0].unit_id]
    # A flag's action asks for the milestone it misses, e.g. ?format=kickoff.
    if request.args.get("format") in {f.value for f in SessionFormat}:
        defaults["format"] = request.args["format"]
    form = SessionForm(data=None if request.method == "POST" else defaults)
    _prepare(form, engagement, today)
    status = 200
    if form.validate_on_submit():
        outcome = commit_or_show(lambda: services.log_session(
            engagement, form.to_data(), current_user._get_current_object(), today,
            confirm_overrun=form.confirm_overrun.data), form)
        status = outcome.status
        if outcome:
            session = outcome.result
            _flash_saved(session, _(
                "The session on %(date)s is planned.", date=format_date(session.held_on))
                if session.status is SessionStatus.PLANNED else _(
                "The session on %(date)s is logged.", date=format_date(session.held_on)))
            return redirect(case_url(engagement_id))
    elif form.is_submitted():
        status = 400
    return _render_form(form, engagement, budget, status, planning=planning)


@bp.route("/<int:engagement_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*SESSION_ROLES)
def session_edit(engagement_id: int, session_id: int):
    engagement = load_case(engagement_id, write=True, loads=SESSION_FORM)
    session = load_session(engagement, session_id)
    today = local_today()
    budget = queries.case_budget(engagement)
    # A planned session whose day has come is completed by editing it.
    due = session.status is SessionStatus.PLANNED and session.held_on <= today
    form = SessionForm(data=None if request.method == "POST" else session_values(session))
    _prepare(form, engagement, today, session)
    status = 200
    if form.validate_on_submit():
        outcome = commit_or_show(lambda: services.update_session(
            session, form.to_data(), form.expected_version(), today,
            confirm_overrun=form.confirm_overrun.data), form)
        status = outcome.status
        if outcome:
            _flash_saved(session, _("The session on %(date)s is saved.",
                                    date=format_date(session.held_on)))
            return redirect(case_url(engagement_id))
        if status == 409 and not queries.session_exists(session_id):
            flash(_("The session was deleted by someone else in the meantime."), "warning")
            return redirect(case_url(engagement_id))
    elif form.is_submitted():
        status = 400
    return _render_form(form, engagement, budget, status, session, due)


@bp.route("/<int:engagement_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@role_required(*SESSION_ROLES)
def session_delete(engagement_id: int, session_id: int):
    """GET asks for confirmation; POST deletes the session as of the version shown."""
    engagement = load_case(engagement_id, write=True)
    session = load_session(engagement, session_id)
    form = DeleteSessionForm(data=None if request.method == "POST"
                             else {"version": str(session.version)})
    status = 200
    if form.validate_on_submit():
        held_on = session.held_on
        outcome = commit_or_show(lambda: services.delete_session(
            session, form.expected_version()), form)
        status = outcome.status
        if outcome or not queries.session_exists(session_id):
            flash(_("The session on %(date)s is deleted.", date=format_date(held_on)),
                  "success")
            return redirect(case_url(engagement_id))
    elif form.is_submitted():
        status = 400
    return render_template("engagements/session_delete.html", form=form, engagement=engagement,
                           entry=session, case_url=case_url(engagement_id)), status
