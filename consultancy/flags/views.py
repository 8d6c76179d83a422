"""The flags page and a flag's own page (acknowledge, snooze)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.flags import bp, services
from consultancy.flags.access import FLAG_ROLES, load_flag
from consultancy.flags.forms import AcknowledgeForm, SnoozeForm
from consultancy.flags.queries import (
    DEFAULT_STATE,
    STATES,
    FlagFilters,
    filter_consultants,
    filter_rules,
    flag_query,
    subjects,
)
from consultancy.models import SEVERITY_ORDER, Role, Severity
from consultancy.security.permissions import role_required, sees_case_notes, sees_every_flag
from consultancy.security.validators import text_problem
from consultancy.services.clock import local_today, utcnow
from consultancy.web.i18n import format_date
from consultancy.web.inputs import int_arg
from consultancy.web.navigation import safe_next
from consultancy.web.pagination import paginate
from consultancy.web.transactions import commit_or_show

REFERENCE_MAX = 32


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
        consultant=consultant if sees_every_flag(current_user) else None,
        reference="" if problem else reference,
        state=state if state in STATES else DEFAULT_STATE), problem


@bp.route("/")
@role_required(*FLAG_ROLES)
def index():
    today = local_today()
    rules = filter_rules(current_user)
    filters, reference_error = _filters({rule.code for rule in rules})
    page = paginate(flag_query(current_user, filters, today))
    consultants = filter_consultants(current_user)
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    if reference_error:
        args.pop("reference", None)
    return render_template(
        "flags/index.html", page=page, flags=page.items, subjects=subjects(page.items),
        filters=filters, reference_error=reference_error, args=args, rules=rules,
        consultants=consultants, states=STATES,
        severities=sorted(Severity, key=SEVERITY_ORDER.get), today=today)


# --- a flag's page -------------------------------------------------------------------------

@bp.route("/<int:flag_id>", methods=["GET", "POST"])
@role_required(*FLAG_ROLES, Role.EVALUATOR)
def detail(flag_id: int):
    today = local_today()
    flag, subject, writer = load_flag(flag_id, current_user, today)
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
