"""The flags page, a flag's own page (acknowledge, snooze) and the bell in the header."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.flags import bp, services
from consultancy.flags.forms import AcknowledgeForm, SnoozeForm
from consultancy.flags.queries import (
    ALL_FLAGS_ROLES, DEFAULT_STATE, FLAG_ROLES, STATES, FlagFilters, Subject, attention_count,
    flag_query, subjects,
)
from consultancy.flags.texts import SEVERITY_CSS, SEVERITY_MARKS, action, message, rule_name
from consultancy.extensions import db
from consultancy.inputs import int_arg
from consultancy.pagination import paginate
from consultancy.i18n import format_date
from consultancy.identities import case_label
from consultancy.models import (
    SEVERITY_ORDER, Application, Engagement, Flag, FlagRule, Role, Severity, User,
)
from consultancy.navigation import safe_next
from consultancy.permissions import (
    can_read_case, can_write_case, pseudonymised, role_required, sees_case_notes,
)
from consultancy.rules.flags import APPLICATION_RULES
from consultancy.services.clock import local_today, utcnow
from consultancy.transactions import commit_or_show
from consultancy.validators import text_problem

REFERENCE_MAX = 32


# --- for every page: the texts and the bell ------------------------------------------------

def flags_needing_attention() -> int | None:
    """The bell's number for the signed-in user: one query per request, run only when a
    page shows the bell. None for those without a bell, or when the count cannot be had
    (an error page after the database failed must still render)."""
    if "flags_needing_attention" not in g:
        count = None
        if current_user.is_authenticated and current_user.role in FLAG_ROLES:
            try:
                count = attention_count(current_user, local_today())
            except sa.exc.SQLAlchemyError:
                current_app.logger.exception("could not count the flags for the bell")
                db.session.rollback()
        g.flags_needing_attention = count
    return g.flags_needing_attention


@bp.record_once
def _template_helpers(state) -> None:
    """Globals of every template (imported macros included): the bell's number, the rule
    texts and the severity marks."""
    state.app.jinja_env.globals.update(
        flags_needing_attention=flags_needing_attention, flag_name=rule_name,
        flag_message=message, flag_action=action, severity_marks=SEVERITY_MARKS,
        severity_css=SEVERITY_CSS)


# --- the flags page ------------------------------------------------------------------------

def _filters(rule_codes: set[str]) -> tuple[FlagFilters, str | None]:
    """The filters asked for, and why the reference typed is refused (then it is dropped:
    neither queried nor repeated)."""
    args = request.args
    severity = args.get("severity")
    rule = args.get("rule")
    state = args.get("state", DEFAULT_STATE)
    consultant = int_arg("consultant")
    reference = args.get("reference", "").strip()[:REFERENCE_MAX]
    problem = text_problem(reference)
    return FlagFilters(
        severity=Severity(severity) if severity in {s.value for s in Severity} else None,
        rule=rule if rule in rule_codes else None,
        consultant=consultant if current_user.role in ALL_FLAGS_ROLES else None,
        reference="" if problem else reference,
        state=state if state in STATES else DEFAULT_STATE), problem


@bp.route("/")
@role_required(*FLAG_ROLES)
def index():
    today = local_today()
    rules = db.session.scalars(sa.select(FlagRule).order_by(FlagRule.position)).all()
    if current_user.role not in ALL_FLAGS_ROLES:
        # Consultants are never shown the applications' flags.
        rules = [rule for rule in rules if rule.code not in APPLICATION_RULES]
    filters, reference_error = _filters({rule.code for rule in rules})
    page = paginate(flag_query(current_user, filters, today))
    consultants = []
    if current_user.role in ALL_FLAGS_ROLES:
        consultants = db.session.scalars(
            sa.select(User).where(User.role == Role.CONSULTANT)
            .order_by(User.active.desc(), User.name)).all()
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    if reference_error:
        args.pop("reference", None)
    return render_template(
        "flags/index.html", page=page, flags=page.items, subjects=subjects(page.items),
        filters=filters, reference_error=reference_error, args=args, rules=rules,
        consultants=consultants, states=STATES,
        severities=sorted(Severity, key=SEVERITY_ORDER.get), today=today)


# --- a flag's page -------------------------------------------------------------------------

def _subject(flag: Flag, today) -> tuple[Subject, bool]:
    """The flag's case or application, and whether the user may act on the flag; or answer
    403 to those who may not read it."""
    if flag.engagement_id is not None:
        engagement = db.session.get(Engagement, flag.engagement_id)
        if not can_read_case(current_user, engagement, today):
            abort(403)
        name = "" if pseudonymised(current_user) else engagement.applicant_name
        return (Subject("case", engagement.id, case_label(engagement), name),
                can_write_case(current_user, engagement, today))
    if current_user.role not in ALL_FLAGS_ROLES:
        abort(403)
    application = db.session.get(Application, flag.application_id)
    return (Subject("application", application.id, application.reference,
                    application.applicant_name), True)


@bp.route("/<int:flag_id>", methods=["GET", "POST"])
@role_required(*FLAG_ROLES, Role.EVALUATOR)
def detail(flag_id: int):
    flag = db.get_or_404(Flag, flag_id)
    today = local_today()
    subject, writer = _subject(flag, today)
    back = safe_next(request.args.get("next"))
    acknowledge_form = AcknowledgeForm(prefix="acknowledge")
    snooze_form = SnoozeForm(prefix="snooze")
    status = 200
    if request.method == "POST":
        if not writer:
            abort(403)
        actor = current_user._get_current_object()
        if acknowledge_form.submit.data:
            form = acknowledge_form
            done = form.validate() and commit_or_show(lambda: services.acknowledge(
                flag, actor, form.comment.data, utcnow()), form)
            success = _("The flag is acknowledged.")
        elif snooze_form.submit.data:
            form = snooze_form
            done = form.validate() and commit_or_show(lambda: services.snooze(
                flag, actor, form.until.data, form.comment.data or "", today, utcnow()), form)
            success = _("The flag is snoozed until %(date)s.",
                        date=format_date(form.until.data)) if done else ""
        else:
            abort(400)
        if done:
            flash(success, "success")
            return redirect(back or url_for("flags.detail", flag_id=flag.id))
        status = 400
    return render_template(
        "flags/detail.html", flag=flag, subject=subject, writer=writer,
        notes=sees_case_notes(current_user), today=today, back=back,
        acknowledge_form=acknowledge_form, snooze_form=snooze_form), status
