"""The case page and the case itself: create, edit, team, status."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consultancy.admin.queries import engagement_types
from consultancy.engagements import bp, queries, services
from consultancy.engagements.access import child_of, load_case
from consultancy.engagements.case_forms import (
    CaseForm,
    ContactForm,
    MemberForm,
    NewCaseForm,
    StatusForm,
    UnitLinkForm,
)
from consultancy.engagements.forms import expected_version
from consultancy.engagements.queries import CASE_PAGE
from consultancy.engagements.timeline import timeline
from consultancy.extensions import db
from consultancy.flags.queries import sort_key
from consultancy.models import Engagement, EngagementStatus, MemberRole, Role
from consultancy.rules.phases import phase_entry
from consultancy.security.identities import unit_label
from consultancy.security.permissions import (
    can_manage_case,
    can_write_case,
    pseudonymised,
    role_required,
    sees_case_notes,
)
from consultancy.services.clock import local_today, utcnow
from consultancy.web.forms import ButtonForm, choices
from consultancy.web.i18n import current_language
from consultancy.web.pagination import paginate_window
from consultancy.web.transactions import commit_or_show, flash_form_errors


@bp.route("/<int:engagement_id>")
@role_required(Role.CONSULTANT, Role.TEAM, Role.ADMIN, Role.EVALUATOR)
def case(engagement_id: int):
    return _case_page(load_case(engagement_id, loads=CASE_PAGE))


def _case_page(engagement: Engagement, refused=None, status: int = 200):
    """The case page; `refused` is a small form of it as sent and refused, shown again
    with its messages next to its fields and what was typed (the others start empty)."""
    def form_of(kind):
        return refused if isinstance(refused, kind) else kind(formdata=None)

    today = local_today()
    writer = can_write_case(current_user, engagement, today)
    manager = can_manage_case(current_user)
    notes = sees_case_notes(current_user)
    hidden = pseudonymised(current_user)
    budget = queries.case_budget(engagement, consultant_hours=engagement.consultant_hours)
    context = dict(
        engagement=engagement, today=today, writer=writer, manager=manager, notes=notes,
        budget=budget,
        phase=phase_entry(engagement.engagement_type.phase_template, engagement.phase),
        # By what the reader sees: in name order, evaluators' pseudonyms in theirs.
        units=sorted((link.unit for link in engagement.units),
                     key=lambda unit: unit_label(unit, hidden).casefold()),
        # What needs attention: the open flags not snoozed, the most severe first.
        flags=sorted((flag for flag in engagement.flags if flag.shown(today)), key=sort_key),
        members=queries.current_members(engagement, today),
        timeline_page=paginate_window(lambda offset, limit: timeline(
            engagement, pseudonymised=hidden, today=today, offset=offset, limit=limit)),
        language=current_language())
    if manager:
        member_form = form_of(MemberForm)
        on_case = {m.user_id for m in context["members"]}
        member_form.user.choices = choices(
            [("", _("Choose a consultant"))] + [(u.id, u.name) for u in queries.consultants()
                                                  if u.id not in on_case])
        unit_form = form_of(UnitLinkForm)
        linked = {link.unit_id for link in engagement.units}
        unit_form.unit.choices = choices(
            [("", _("Choose a unit"))] + [(u.id, u.name) for u in queries.units_of(
                engagement.municipality_code) if u.id not in linked])
        context.update(member_form=member_form, status_form=form_of(StatusForm),
                       unit_form=unit_form)
    if writer and notes:
        contact_form = form_of(ContactForm)
        contact_form.unit.choices = choices(
            [("", _("The municipality"))] + [(link.unit_id, link.unit.name)
                                              for link in engagement.units])
        context["contact_form"] = contact_form
    return render_template("engagements/case.html", **context), status


MANAGED_FIELDS = ("start_date", "planned_end", "hour_budget")


def _case_form(engagement: Engagement) -> CaseForm:
    form = CaseForm(obj=engagement if request.method == "GET" else None)
    if not can_manage_case(current_user):
        for name in MANAGED_FIELDS:  # dates and budget are Team Dagtilbud's to set
            delattr(form, name)
    language = current_language()
    form.themes.choices = choices((t.id, t.name(language)) for t in services.themes())
    if request.method == "GET":
        form.goals.data = "\n".join(engagement.goals)
        form.themes.data = [t.theme_id for t in engagement.themes]
        form.version.data = str(engagement.version)
    return form


@bp.route("/<int:engagement_id>/edit", methods=["GET", "POST"])
@role_required(Role.CONSULTANT, Role.TEAM, Role.ADMIN)
def case_edit(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = _case_form(engagement)
    status = 200
    if form.validate_on_submit():
        managed = {name: (getattr(form, name).data if name in form
                          else getattr(engagement, name)) for name in MANAGED_FIELDS}
        outcome = commit_or_show(lambda: services.update_case(
            engagement, expected_version(form.version), **managed,
            goals=(form.goals.data or "").splitlines(),
            documentation_form=form.documentation_form.data, theme_ids=form.themes.data), form)
        status = outcome.status
        if outcome:
            flash(_("The case is saved."), "success")
            return redirect(url_for("engagements.case", engagement_id=engagement.id))
    elif form.is_submitted():
        status = 400
    return render_template("engagements/case_form.html", form=form,
                           engagement=engagement), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.TEAM, Role.ADMIN)
def case_new():
    """A case created directly, e.g. one that predates the system."""
    form = NewCaseForm()
    language = current_language()
    types = engagement_types(active_only=True)
    form.engagement_type.choices = choices(
        [("", _("Choose a type of course"))] + [(t.id, t.name(language)) for t in types])
    form.municipality.choices = choices(
        [("", _("Choose a municipality"))] + [(m.code, m.name)
                                               for m in queries.municipalities()])
    if form.validate_on_submit():
        engagement = services.create_case(
            next(t for t in types if t.id == form.engagement_type.data), form.municipality.data,
            form.applicant_name.data, form.start_date.data, [], current_user, utcnow())
        db.session.commit()
        flash(_("Case %(reference)s created.", reference=engagement.reference), "success")
        return redirect(url_for("engagements.case", engagement_id=engagement.id))
    status = 400 if form.is_submitted() else 200
    return render_template("engagements/case_new.html", form=form), status


def _act(engagement: Engagement, form, action, success: str):
    """Run one change from a button on the case page, then go back to the page."""
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif commit_or_show(action):
        flash(success, "success")
    return redirect(url_for("engagements.case", engagement_id=engagement.id))


def _submit(engagement: Engagement, form, action, success: str):
    """Run one change from a small form of the case page and go back to the page; when
    refused, show the page again with the form as sent (400)."""
    if form.validate_on_submit() and commit_or_show(action, form):
        flash(success, "success")
        return redirect(url_for("engagements.case", engagement_id=engagement.id))
    return _case_page(load_case(engagement.id, write=True, loads=CASE_PAGE), refused=form,
                      status=400)


@bp.route("/<int:engagement_id>/team", methods=["POST"])
@role_required(Role.TEAM, Role.ADMIN)
def member_add(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = MemberForm()
    consultants = queries.consultants(active_only=False)
    form.user.choices = choices((u.id, u.name) for u in consultants)
    return _submit(engagement, form, lambda: services.assign_consultant(
        engagement, next(u for u in consultants if u.id == form.user.data),
        MemberRole(form.role.data),
        form.started_on.data or local_today()), _("The team is updated."))


@bp.route("/<int:engagement_id>/team/<int:member_id>/end", methods=["POST"])
@role_required(Role.TEAM, Role.ADMIN)
def member_end(engagement_id: int, member_id: int):
    engagement = load_case(engagement_id, write=True)
    member = child_of(engagement.members, member_id)
    return _act(engagement, ButtonForm(), lambda: services.end_membership(member, local_today()),
                _("%(name)s is taken off the case.", name=member.user.name))


@bp.route("/<int:engagement_id>/status", methods=["POST"])
@role_required(Role.TEAM, Role.ADMIN)
def status_change(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = StatusForm()
    return _submit(engagement, form, lambda: services.change_status(
        engagement, EngagementStatus(form.status.data), form.reason.data, current_user,
        utcnow()), _("The status is changed."))


@bp.route("/<int:engagement_id>/units", methods=["POST"])
@role_required(Role.TEAM, Role.ADMIN)
def unit_add(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = UnitLinkForm()
    units = queries.units_of(engagement.municipality_code)
    form.unit.choices = choices((u.id, u.name) for u in units)
    return _submit(engagement, form, lambda: services.add_unit(
        engagement, next(u for u in units if u.id == form.unit.data)), _("The unit is added."))


@bp.route("/<int:engagement_id>/contacts", methods=["POST"])
@role_required(Role.CONSULTANT, Role.TEAM, Role.ADMIN)
def contact_add(engagement_id: int):
    engagement = load_case(engagement_id, write=True)
    form = ContactForm()
    form.unit.choices = choices([("", "")] + [(link.unit_id, "") for link in engagement.units])
    return _submit(engagement, form, lambda: services.add_contact(
        engagement, form.name.data, form.title.data, form.email.data, form.phone.data,
        form.unit.data), _("The contact is added."))


@bp.route("/<int:engagement_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@role_required(Role.CONSULTANT, Role.TEAM, Role.ADMIN)
def contact_delete(engagement_id: int, contact_id: int):
    engagement = load_case(engagement_id, write=True)
    contact = child_of(engagement.contacts, contact_id)
    return _act(engagement, ButtonForm(), lambda: services.remove_contact(engagement, contact),
                _("The contact is removed."))
