from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.admin import access, bp, queries
from consultancy.admin.flag_rules import form_types, override_field, thresholds
from consultancy.admin.forms import (
    AuditFilterForm,
    EngagementTypeForm,
    NewUserForm,
    UserForm,
    flag_rule_form,
)
from consultancy.admin.queries import AuditFilter, audit_query
from consultancy.admin.services import (
    TYPE_FIELDS,
    create_user,
    save_engagement_type,
    type_uses,
    update_flag_rule,
    update_user,
)
from consultancy.auth import sessions
from consultancy.extensions import db
from consultancy.flags import queries as flag_queries
from consultancy.flags.catalogue import spec_of
from consultancy.models import Intake, Role, Severity
from consultancy.security.audit import ACTION_LABELS, describe
from consultancy.security.permissions import role_required
from consultancy.services.clock import utcnow
from consultancy.web.forms import choices
from consultancy.web.i18n import current_language
from consultancy.web.pagination import paginate
from consultancy.web.transactions import commit_or_show


def _fields(form) -> dict:
    return dict(email=form.email.data, name=form.name.data, role=Role(form.role.data),
                language=form.language.data, active=form.active.data,
                password=form.password.data)


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    page = paginate(queries.users_query())
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = NewUserForm()
    if form.validate_on_submit():
        if created := commit_or_show(lambda: create_user(**_fields(form)), form):
            flash(_("User %(name)s created.", name=created.result.name), "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    user = access.load_user(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        now = utcnow()
        if commit_or_show(lambda: update_user(user, current_user, **_fields(form),
                                                 now=now), form):
            if user.id == current_user.id and form.password.data:
                # A new password ended all of the administrator's sessions, this one too.
                sessions.sign_in(user, now)
                db.session.commit()
            flash(_("Changes to %(name)s saved.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    form = AuditFilterForm(request.args)
    form.user.choices = choices([("", _("All users"))] + [
        (str(user_id), name) for user_id, name in queries.user_names()])
    criteria = AuditFilter()
    if form.validate():
        criteria = AuditFilter(
            user_id=int(form.user.data) if form.user.data else None,
            table=form.table.data or None,
            record_id=form.record.data or None,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
    page = paginate(audit_query(criteria))
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("admin/audit.html", form=form, page=page, args=args,
                           action_labels=ACTION_LABELS, describe=describe)


@bp.route("/engagement-types")
@role_required(Role.ADMIN)
def engagement_types():
    return render_template("admin/engagement_types.html", types=queries.engagement_types(),
                           language=current_language())


@bp.route("/engagement-types/new", methods=["GET", "POST"], defaults={"type_id": None})
@bp.route("/engagement-types/<int:type_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def engagement_type_edit(type_id: int | None):
    engagement_type = access.load_engagement_type(type_id) if type_id else None
    form = EngagementTypeForm(obj=engagement_type)
    if engagement_type is not None and (uses := type_uses(engagement_type)):
        form.fix_code(uses.code_fixed())
    language = current_language()
    others = queries.engagement_types()
    form.phases_from.choices = choices((t.id, t.name(language)) for t in others)
    if request.method == "GET" and engagement_type is not None:
        form.intake.data = engagement_type.intake.value
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in TYPE_FIELDS}
        values["intake"] = Intake(values["intake"])
        phases_from = next((t for t in others if t.id == form.phases_from.data), None)
        if saved := commit_or_show(lambda: save_engagement_type(
                engagement_type, values, phases_from), form):
            flash(_("%(name)s saved.", name=saved.result.name(language)), "success")
            return redirect(url_for("admin.engagement_types"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/engagement_type_form.html", form=form,
                           engagement_type=engagement_type), status


@bp.route("/flag-rules")
@role_required(Role.ADMIN)
def flag_rules():
    language = current_language()
    type_names = {t.code: t.name(language) for t in queries.engagement_types()}
    rows = [(rule, spec_of(rule.code), thresholds(rule, type_names))
            for rule in flag_queries.rules_in_order()]
    return render_template("admin/flag_rules.html", rows=rows)


@bp.route("/flag-rules/<code>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def flag_rule(code: str):
    rule = access.load_flag_rule(code)
    spec = spec_of(rule.code)
    language = current_language()
    types = form_types(spec, rule, queries.engagement_types())
    codes = [t.code for t in types]
    data = None
    if request.method == "GET":
        data = {"severity": rule.severity.value, "enabled": rule.enabled}
        for parameter in spec.parameters:
            data[parameter.key] = rule.params.get(parameter.key)
            for type_code in codes:
                data[override_field(type_code, parameter.key)] = \
                    rule.type_params.get(type_code, {}).get(parameter.key)
    form = flag_rule_form(spec, codes, data=data)
    if form.validate_on_submit():
        params = {p.key: form[p.key].data for p in spec.parameters}
        type_params = {type_code: {p.key: form[override_field(type_code, p.key)].data
                                   for p in spec.parameters}
                       for type_code in codes}
        if commit_or_show(lambda: update_flag_rule(
                rule, Severity(form.severity.data), form.enabled.data, params, type_params),
                form):
            flash(_("%(name)s saved.", name=spec.name), "success")
            return redirect(url_for("admin.flag_rules"))
    status = 400 if form.is_submitted() else 200
    per_type_fields = [(t, [form[override_field(t.code, p.key)] for p in spec.parameters])
                       for t in types]
    return render_template("admin/flag_rule_form.html", form=form, rule=rule, spec=spec,
                           language=language, types=per_type_fields), status
