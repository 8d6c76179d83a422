"""Across cases, for Team Dagtilbud: the case overview and the consultants' load. Both run a
fixed number of queries whatever their row count (`engagements.queries`)."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from consultancy.admin.queries import engagement_types
from consultancy.engagements import bp, queries
from consultancy.engagements.queries import CaseFilters
from consultancy.models import EngagementStatus, Role
from consultancy.rules.engagements import half_year_of, month_of
from consultancy.security.permissions import role_required
from consultancy.services.clock import local_today
from consultancy.web.inputs import int_arg
from consultancy.web.pagination import paginate, paginate_list

SORT_LABELS = {
    "reference": _l("Reference"),
    "start": _l("Start date"),
    "end": _l("Planned end"),
    "municipality": _l("Municipality"),
    "hours": _l("Hours used"),
}
DEFAULT_SORT = "-reference"


def _filters() -> CaseFilters:
    args = request.args
    status = args.get("status")
    year = int_arg("year")
    sort = args.get("sort", DEFAULT_SORT)
    if sort.removeprefix("-") not in SORT_LABELS:
        sort = DEFAULT_SORT
    return CaseFilters(
        type_id=int_arg("type"),
        status=EngagementStatus(status) if status in {s.value for s in EngagementStatus}
        else None,
        municipality=int_arg("municipality"),
        consultant=int_arg("consultant"),
        year=year if year and 1900 < year < 3000 else None,
        sort=sort)


@bp.route("/")
@role_required(Role.TEAM, Role.ADMIN)
def overview():
    today = local_today()
    filters = _filters()
    page = paginate(queries.overview_query(filters, today))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "engagements/overview.html", page=page, rows=queries.case_rows(page.items, today),
        filters=filters, args=args, sort_labels=SORT_LABELS, statuses=list(EngagementStatus),
        types=engagement_types(),
        municipalities=queries.municipalities(with_cases=True),
        consultants=queries.consultants(active_only=False), years=queries.case_years())


@bp.route("/load")
@role_required(Role.TEAM, Role.ADMIN)
def load():
    today = local_today()
    page = paginate_list(queries.consultant_load(today))
    return render_template("engagements/load.html", page=page, rows=page.items, today=today,
                           month=month_of(today), half_year=half_year_of(today))
