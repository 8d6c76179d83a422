"""The evaluator API: the effect data and the activity as CSV, Parquet or JSON, streamed as
they are read, and the codebook as JSON. Every download is audited."""
from __future__ import annotations

import json

from flask import jsonify, request
from flask_babel import force_locale

from consultancy.api import bp
from consultancy.api.tokens import TOKEN_ROLES
from consultancy.evaluation.effect_data import (
    API_FORMATS,
    ExportError,
    activity_fields,
    activity_frame,
    codebook_versions,
    count_rows,
    items_frame,
    long_batches,
    long_fields,
    lookups,
    parse_filters,
    variables_frame,
)
from consultancy.exchange.exports import stream_download, streamed, table_writer
from consultancy.extensions import db
from consultancy.security import audit
from consultancy.security.permissions import current_token, token_required
from consultancy.web.errors import json_error
from consultancy.web.timeouts import statement_timeout

EXTENSIONS = {"csv": "csv", "parquet": "parquet", "json": "json"}


def _format():
    fmt = request.args.get("format", "csv")
    return fmt if fmt in API_FORMATS else None


def _table(name: str, frames_and_fields):
    """Stream the table `name` in the requested format, after auditing the download."""
    fmt = _format()
    if fmt is None:
        return json_error(400, "invalid_format",
                          f"format must be one of {', '.join(API_FORMATS)}.", "format")
    with force_locale(current_token().user.language):
        try:
            filters = parse_filters(request.args)
        except ExportError as error:
            return json_error(400, "invalid_filter", error.message, error.field)
        found = lookups(filters)
        frames, fields, rows = frames_and_fields(filters, found)
    audit.record_export(name, fmt, filters.as_dict(), rows, channel="api",
                        token_id=current_token().id)
    db.session.commit()
    writer = table_writer(fmt)
    return stream_download(streamed(lambda out: writer(frames, fields, out)), fmt,
                           f"{name.replace('-', '_')}.{EXTENSIONS[fmt]}")


@bp.route("/effect-data")
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")
@token_required(*TOKEN_ROLES)
def effect_data():
    """The long table: one row per case, unit, respondent, occasion and item; `format`
    csv (default), parquet or json; filters type, round, year, municipality, instrument."""
    return _table("effect-data", lambda filters, found: (
        long_batches(filters, found), long_fields(found.versions), count_rows(filters)))


@bp.route("/activity")
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")
@token_required(*TOKEN_ROLES)
def activity():
    """One row per case: sessions held and hours, in all and per format."""
    def table(filters, found):
        frame = activity_frame(filters, found)
        return [frame], activity_fields(), len(frame)
    return _table("activity", table)


@bp.route("/codebook")
@token_required(*TOKEN_ROLES)
def codebook():
    """Every variable of the data and activity tables, and the items with their wording."""
    with force_locale(current_token().user.language):
        versions = codebook_versions()
        variables, items = variables_frame(versions), items_frame(versions)
    audit.record_export("codebook", "json", None, len(variables) + len(items), channel="api",
                        token_id=current_token().id)
    db.session.commit()
    return jsonify({
        "variables": json.loads(variables.to_json(orient="records", force_ascii=False)),
        "items": json.loads(items.to_json(orient="records", force_ascii=False)),
    })
