"""The instrument pages: list and create instruments, version them, edit a draft version's
scale, dimensions and items, and publish it. A published version is shown read-only; the
services refuse any change to it (`consultancy.admin.instruments.editable`)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consultancy.admin import access, bp, instruments as services, queries
from consultancy.admin.instrument_forms import (
    DimensionForm,
    InstrumentForm,
    InstrumentNamesForm,
    ItemForm,
    ScaleForm,
    scale_values,
)
from consultancy.models import (
    Dimension,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    MissingCode,
    Role,
)
from consultancy.security.permissions import role_required
from consultancy.services.clock import utcnow
from consultancy.web.forms import ButtonForm
from consultancy.web.i18n import current_language
from consultancy.web.inputs import int_arg
from consultancy.web.transactions import commit_or_show, flash_form_errors


def version_url(version: InstrumentVersion) -> str:
    return url_for("admin.instrument_version", version_id=version.id)


def instrument_url(instrument: Instrument) -> str:
    return url_for("admin.instrument", instrument_id=instrument.id)


def _button(action, success: str, back: str):
    """Run one change from a button, then go back to the page it was on."""
    form = ButtonForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif commit_or_show(action):
        flash(success, "success")
    return redirect(back)


# --- instruments ---------------------------------------------------------------------------

@bp.route("/instruments")
@role_required(Role.ADMIN)
def instruments():
    found = queries.instruments()
    counts = queries.item_counts([v.id for i in found for v in i.versions])
    return render_template("admin/instruments.html", instruments=found, item_counts=counts,
                           language=current_language())


@bp.route("/instruments/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_new():
    form = InstrumentForm()
    if form.validate_on_submit():
        if created := commit_or_show(lambda: services.create_instrument(
                form.code.data, InstrumentKind(form.kind.data), form.name_da.data,
                form.name_en.data), form):
            instrument = created.result
            flash(_("%(name)s created with a draft version 1: add its dimensions and items, "
                    "then publish it.", name=instrument.name(current_language())), "success")
            return redirect(version_url(instrument.versions[0]))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/instrument_form.html", form=form), status


@bp.route("/instruments/<int:instrument_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument(instrument_id: int):
    found = access.load_instrument(instrument_id)
    form = InstrumentNamesForm(obj=found)
    if form.validate_on_submit():
        if commit_or_show(lambda: services.rename_instrument(
                found, form.name_da.data, form.name_en.data), form):
            flash(_("The names are saved."), "success")
            return redirect(instrument_url(found))
    status = 400 if form.is_submitted() else 200
    ids = [v.id for v in found.versions]
    return render_template(
        "admin/instrument.html", instrument=found, form=form,
        item_counts=queries.item_counts(ids), response_counts=queries.response_counts(ids),
        draft=services.draft_of(found), language=current_language()), status


@bp.route("/instruments/<int:instrument_id>/versions", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_new_version(instrument_id: int):
    found = access.load_instrument(instrument_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif commit_or_show(lambda: services.new_version(found)):
        version = services.draft_of(found)
        flash(_("Version %(number)d is a draft copy of the latest version: change it, then "
                "publish it.", number=version.number), "success")
        return redirect(version_url(version))
    return redirect(instrument_url(found))


@bp.route("/instruments/<int:instrument_id>/default", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_default(instrument_id: int):
    found = access.load_instrument(instrument_id)
    return _button(lambda: services.set_default(found), _(
        "%(name)s is now the default instrument.", name=found.name(current_language())),
        instrument_url(found))


# --- a version -----------------------------------------------------------------------------

@bp.route("/instruments/versions/<int:version_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_version(version_id: int):
    version = access.load_version(version_id)
    form = ScaleForm(data=None if request.method == "POST" else scale_values(version))
    if form.validate_on_submit():
        if commit_or_show(lambda: services.update_version_settings(
                version, form.scale_max.data, form.anchors()), form):
            flash(_("The scale is saved."), "success")
            return redirect(version_url(version))
    status = 400 if form.is_submitted() else 200
    dimensions = sorted(version.dimensions, key=lambda d: d.position)
    items = {d.id: [] for d in dimensions}
    for item in sorted(version.items, key=lambda i: i.position):
        items[item.dimension_id].append(item)
    return render_template(
        "admin/instrument_version.html", version=version, instrument=version.instrument,
        form=form, dimensions=dimensions, items=items,
        points=range(version.scale_min, version.scale_max + 1),
        responses=queries.response_counts([version.id]).get(version.id, 0),
        missing_codes=list(MissingCode), language=current_language()), status


def _confirm(version: InstrumentVersion, action, template_values: dict, success: str,
             after: str):
    form = ButtonForm()
    if form.validate_on_submit():
        if commit_or_show(action, form):
            flash(success, "success")
            return redirect(after)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/instrument_confirm.html", form=form, version=version,
                           instrument=version.instrument, **template_values), status


@bp.route("/instruments/versions/<int:version_id>/publish", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_publish(version_id: int):
    """GET asks for confirmation; POST checks the version is complete and publishes it."""
    version = access.load_version(version_id)
    return _confirm(
        version, lambda: services.publish(version, utcnow()),
        {"title": _("Publish %(label)s?", label=version.label), "action": "publish",
         "dimension_count": len(version.dimensions), "item_count": len(version.items)},
        _("%(label)s is published. Responses can now be entered against it.",
          label=version.label), version_url(version))


@bp.route("/instruments/versions/<int:version_id>/discard", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_discard(version_id: int):
    """GET asks for confirmation; POST deletes the draft version."""
    version = access.load_version(version_id)
    instrument = version.instrument
    after = instrument_url(instrument) if len(instrument.versions) > 1 \
        else url_for("admin.instruments")
    return _confirm(
        version, lambda: services.discard_draft(version),
        {"title": _("Discard the draft %(label)s?", label=version.label), "action": "discard",
         "dimension_count": len(version.dimensions), "item_count": len(version.items)},
        _("The draft %(label)s is discarded.", label=version.label), after)


# --- dimensions ----------------------------------------------------------------------------

def _dimension_page(form, version: InstrumentVersion, dimension: Dimension | None, status):
    return render_template("admin/instrument_dimension_form.html", form=form,
                           version=version, instrument=version.instrument,
                           dimension=dimension), status


@bp.route("/instruments/versions/<int:version_id>/dimensions/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_dimension_new(version_id: int):
    version = access.load_version(version_id)
    form = DimensionForm()
    if form.validate_on_submit():
        if saved := commit_or_show(lambda: services.save_dimension(
                version, form.code.data, form.name_da.data, form.name_en.data), form):
            flash(_("The dimension %(code)s is added.", code=saved.result.code), "success")
            return redirect(version_url(version))
    return _dimension_page(form, version, None, 400 if form.is_submitted() else 200)


@bp.route("/instruments/dimensions/<int:dimension_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_dimension(dimension_id: int):
    dimension = access.load_dimension(dimension_id)
    version = dimension.version
    form = DimensionForm(obj=dimension)
    if form.validate_on_submit():
        if commit_or_show(lambda: services.save_dimension(
                version, form.code.data, form.name_da.data, form.name_en.data, dimension),
                form):
            flash(_("The dimension %(code)s is saved.", code=dimension.code), "success")
            return redirect(version_url(version))
    return _dimension_page(form, version, dimension, 400 if form.is_submitted() else 200)


@bp.route("/instruments/dimensions/<int:dimension_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_dimension_delete(dimension_id: int):
    dimension = access.load_dimension(dimension_id)
    return _button(lambda: services.delete_dimension(dimension),
                   _("The dimension %(code)s is deleted.", code=dimension.code),
                   version_url(dimension.version))


@bp.route("/instruments/dimensions/<int:dimension_id>/move", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_dimension_move(dimension_id: int):
    dimension = access.load_dimension(dimension_id)
    return _button(lambda: services.move_dimension(dimension, request.form.get("direction")),
                   _("The dimension %(code)s is moved.", code=dimension.code),
                   version_url(dimension.version))


# --- items ---------------------------------------------------------------------------------

def _item_form(version: InstrumentVersion, item: Item | None, data: dict | None) -> ItemForm:
    form = ItemForm(obj=item, data=data)
    themes = queries.active_themes()
    for link in item.themes if item is not None else ():
        themes.setdefault(link.theme_id, link.theme)  # an inactive theme the item has
    form.set_choices(sorted(version.dimensions, key=lambda d: d.position), themes.values(),
                     current_language(), version.instrument.kind is InstrumentKind.OBSERVATION)
    return form


def _item_page(form, version: InstrumentVersion, item: Item | None, status):
    chosen = set(form.theme_ids.data or [])
    return render_template(
        "admin/instrument_item_form.html", form=form, version=version,
        instrument=version.instrument, item=item,
        open_theme_groups={g for g, ids in form.theme_groups if chosen & set(ids)},
        observation=version.instrument.kind is InstrumentKind.OBSERVATION), status


def _save_item(form, version: InstrumentVersion, item: Item | None):
    dimension = next((d for d in version.dimensions if d.id == form.dimension_id.data), None)
    return services.save_item(
        version, dimension, form.code.data,
        form.text_da.data, form.text_en.data, form.reverse_coded.data,
        form.theme_ids.data or [], item=item)


@bp.route("/instruments/versions/<int:version_id>/items/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_item_new(version_id: int):
    version = access.load_version(version_id)
    data = None
    if request.method == "GET":
        data = {"dimension_id": int_arg("dimension")}
    form = _item_form(version, None, data)
    if form.validate_on_submit():
        if saved := commit_or_show(lambda: _save_item(form, version, None), form):
            flash(_("The item %(code)s is added.", code=saved.result.code), "success")
            return redirect(version_url(version) + f"#dimension-{saved.result.dimension_id}")
    return _item_page(form, version, None, 400 if form.is_submitted() else 200)


@bp.route("/instruments/items/<int:item_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def instrument_item(item_id: int):
    item = access.load_item(item_id)
    version = item.version
    data = None
    if request.method == "GET":
        data = {"theme_ids": [link.theme_id for link in item.themes]}
    form = _item_form(version, item, data)
    if form.validate_on_submit():
        if commit_or_show(lambda: _save_item(form, version, item), form):
            flash(_("The item %(code)s is saved.", code=item.code), "success")
            return redirect(version_url(version) + f"#dimension-{item.dimension_id}")
    return _item_page(form, version, item, 400 if form.is_submitted() else 200)


@bp.route("/instruments/items/<int:item_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_item_delete(item_id: int):
    item = access.load_item(item_id)
    return _button(lambda: services.delete_item(item),
                   _("The item %(code)s is deleted.", code=item.code),
                   version_url(item.version))


@bp.route("/instruments/items/<int:item_id>/move", methods=["POST"])
@role_required(Role.ADMIN)
def instrument_item_move(item_id: int):
    item = access.load_item(item_id)
    return _button(lambda: services.move_item(item, request.form.get("direction")),
                   _("The item %(code)s is moved.", code=item.code),
                   version_url(item.version))
