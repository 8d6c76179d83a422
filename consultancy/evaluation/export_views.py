"""The effect data for evaluators as downloads: a page with filters and formats, the
streamed ZIP, and the codebook on screen and as a file."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for

from consultancy.evaluation import bp
from consultancy.evaluation.effect_data import (
    ACTIVITY_COLUMNS,
    FORMATS,
    LONG_COLUMNS,
    ExportError,
    activity_fields,
    build_export,
    codebook_sheets,
    codebook_versions,
    count_rows,
    long_fields,
    parse_filters,
)
from consultancy.evaluation.queries import instruments_by_code
from consultancy.evaluation.summary import filter_choices
from consultancy.exchange.exports import (
    stream_download,
    stream_zip,
    streamed,
    write_csv,
    write_xlsx,
)
from consultancy.extensions import db
from consultancy.models import Role
from consultancy.security import audit
from consultancy.security.permissions import role_required
from consultancy.services.clock import local_today
from consultancy.web.timeouts import statement_timeout

EVALUATION_READERS = (Role.EVALUATOR, Role.TEAM, Role.ADMIN)
FILTER_NAMES = ("type", "round", "year", "municipality", "instrument")


def _filter_args() -> dict[str, str]:
    return {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}


def _choices() -> dict:
    return dict(filter_choices(), instruments=instruments_by_code())


@bp.route("/export")
@role_required(*EVALUATION_READERS)
def export():
    args = _filter_args()
    try:
        filters = parse_filters(args)
    except ExportError as error:
        flash(error.message, "danger")
        return redirect(url_for(".export"))
    chosen_format = request.args.get("format")
    return render_template(
        "evaluation/export.html", args=args, filters=filters, rows=count_rows(filters),
        formats=FORMATS, chosen_format=chosen_format if chosen_format in FORMATS else "xlsx",
        long_columns=LONG_COLUMNS, activity_columns=ACTIVITY_COLUMNS, **_choices())


@bp.route("/export/download")
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")
@role_required(*EVALUATION_READERS)
def export_download():
    """The ZIP of the chosen format: streamed while the answers are read."""
    args = _filter_args()
    fmt = request.args.get("format", "")
    try:
        filters = parse_filters(args)
        export = build_export(fmt, filters)
    except ExportError as error:
        flash(error.message, "danger")
        return redirect(url_for(".export", **args, format=fmt or None))
    audit.record_export("effect-data", fmt, filters.as_dict(), export.rows)
    db.session.commit()
    name = f"effect-data-{local_today().isoformat()}-{fmt}.zip"
    return stream_download(stream_zip(export.files, export.manifest), "zip", name)


@bp.route("/codebook")
@role_required(*EVALUATION_READERS)
def codebook():
    versions = codebook_versions()
    return render_template("evaluation/codebook.html", long_fields=long_fields(versions),
                           activity_fields=activity_fields(), versions=versions)


@bp.route("/codebook/download")
@role_required(*EVALUATION_READERS)
def codebook_download():
    """The codebook as XLSX (sheets codebook and items), or either sheet as CSV."""
    fmt = request.args.get("format")
    fmt = fmt if fmt in ("csv", "items.csv") else "xlsx"
    sheets = codebook_sheets(codebook_versions())
    if fmt != "xlsx":
        sheets = [sheets[0 if fmt == "csv" else 1]]
    audit.record_export("codebook", fmt, None, sum(
        len(frame) for _sheet, _fields, frames in sheets for frame in frames))
    db.session.commit()
    if fmt == "xlsx":
        return stream_download(streamed(partial(write_xlsx, sheets)), "xlsx", "codebook.xlsx")
    [(_sheet, fields, frames)] = sheets
    return stream_download(streamed(partial(write_csv, frames, fields)), "csv",
                           "codebook.csv" if fmt == "csv" else "items.csv")
