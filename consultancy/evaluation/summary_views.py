"""Effect summaries on screen: across cases (Team Dagtilbud, administrators, evaluators) and
for one case (whoever may read it). A table with the numbers, a before/after chart drawn
as SVG on the server, and what each measure means.

A fixed number of queries whatever the number of cases: the filter choices, the
instruments, and the three of `summary.summarise`.
"""
from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import abort, render_template, request
from flask_babel import gettext as _

from consultancy.engagements.access import load_case
from consultancy.evaluation import bp
from consultancy.evaluation.charts import BeforeAfter, before_after_chart
from consultancy.evaluation.summary import (
    Filters,
    Summary,
    SummaryError,
    choose_instrument,
    filter_choices,
    instruments,
    summarise,
)
from consultancy.models import Role
from consultancy.rules.statistics import MIN_PAIRS_FOR_EFFECT_SIZES
from consultancy.security.permissions import role_required
from consultancy.web.i18n import current_language
from consultancy.web.inputs import int_arg

NO_VALUE = "—"


def fixed(value: float | None, digits: int = 2) -> str:
    """A number with `digits` decimals in the user's language (decimal comma in Danish)."""
    if value is None:
        return NO_VALUE
    return format_decimal(value, format="#,##0." + "0" * digits, locale=current_language())


def percent(value: float | None) -> str:
    return NO_VALUE if value is None else format_percent(value, locale=current_language())


def _instrument(among):
    try:
        return choose_instrument(request.args.get("instrument") or None, among)
    except SummaryError:
        if request.args.get("instrument"):
            abort(404)
        return None


def _chart(summary: Summary, language: str):
    if summary.result is None or summary.scale is None:
        return None
    rows = [BeforeAfter(_("Overall"), summary.result.overall.mean_before,
                        summary.result.overall.mean_after)]
    rows += [BeforeAfter(d.name(language), summary.result.dimensions[d.code].mean_before,
                         summary.result.dimensions[d.code].mean_after)
             for d in summary.dimensions]
    said = [_("%(scope)s: before %(before)s, after %(after)s.", scope=row.label,
              before=fixed(row.before), after=fixed(row.after))
            if row.before is not None else
            _("%(scope)s: no units measured both before and after.", scope=row.label)
            for row in rows]
    low, high = summary.scale
    return before_after_chart(
        rows, summary.scale,
        title=_("Mean before and after, overall and per dimension"),
        description=" ".join([_("Means of the units measured both at baseline and at the "
                                "end, on the scale from %(low)d to %(high)d.",
                                low=low, high=high), *said]),
        before_label=_("Before (baseline)"), after_label=_("After (end)"),
        no_pairs_label=_("No units measured both before and after"), number=fixed,
        chart_id="summary-chart")


def _context(summary: Summary | None) -> dict:
    language = current_language()
    scopes = []
    if summary is not None and summary.result is not None:
        scopes = [(_("Overall"), summary.result.overall, True)]
        scopes += [(d.name(language), summary.result.dimensions[d.code], False)
                   for d in summary.dimensions]
    return dict(summary=summary, scopes=scopes,
                chart=_chart(summary, language) if summary is not None else None,
                fixed=fixed, percent=percent, min_pairs=MIN_PAIRS_FOR_EFFECT_SIZES)


def _int(name: str, low: int, high: int) -> int | None:
    value = int_arg(name)
    return value if value is not None and low <= value <= high else None


@bp.route("/summary")
@role_required(Role.TEAM, Role.ADMIN, Role.EVALUATOR)
def summary():
    all_instruments = instruments()
    instrument = _instrument(all_instruments)
    choices = filter_choices()
    type_code = request.args.get("type") or None
    filters = Filters(
        type_code=type_code if type_code in {t.code for t in choices["types"]} else None,
        round_id=_int("round", 1, 2**31 - 1), year=_int("year", 1901, 2999),
        municipality=_int("municipality", 1, 999))
    result = summarise(instrument, filters) if instrument is not None else None
    return render_template(
        "evaluation/summary.html", filters=filters, instruments=all_instruments,
        instrument=instrument, **choices, **_context(result))


@bp.route("/cases/<int:engagement_id>/summary")
@role_required(Role.CONSULTANT, Role.TEAM, Role.ADMIN, Role.EVALUATOR)
def case_summary(engagement_id: int):
    engagement = load_case(engagement_id)
    all_instruments = instruments()
    instrument = _instrument(all_instruments)
    result = (summarise(instrument, Filters(engagement_id=engagement.id))
              if instrument is not None else None)
    return render_template("evaluation/summary_case.html", engagement=engagement,
                           instruments=all_instruments, instrument=instrument,
                           **_context(result))
