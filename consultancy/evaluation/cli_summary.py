"""`flask evaluation summary`: the effect summary of an instrument as JSON or CSV, the same
numbers the summary pages show."""
from __future__ import annotations

import json

import click
import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.evaluation.cli import evaluation_cli
from consultancy.evaluation.summary import (
    COLUMNS,
    Filters,
    SummaryError,
    choose_instrument,
    summarise,
)
from consultancy.exchange.exports import write_table
from consultancy.extensions import db
from consultancy.models import Engagement, EngagementType, Municipality, Round


def _check_filters(filters: Filters) -> None:
    """Refuse filter values that name nothing, rather than summarise no case at all."""
    checks = [
        (filters.type_code, EngagementType.code, "--type",
         _("There is no type of course with the code %(value)s.")),
        (filters.round_id, Round.id, "--round", _("There is no round with the id %(value)s.")),
        (filters.municipality, Municipality.code, "--municipality",
         _("There is no municipality with the code %(value)s.")),
        (filters.case_reference, Engagement.reference, "--case",
         _("There is no case with the reference %(value)s.")),
    ]
    for value, column, option, message in checks:
        if value is not None and db.session.scalar(
                sa.select(sa.func.count()).where(column == value)) == 0:
            raise click.BadParameter(message % {"value": value}, param_hint=option)


@evaluation_cli.command("summary")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--type", "type_code", metavar="CODE", help="Only cases of this type of course.")
@click.option("--round", "round_id", type=int, metavar="ID",
              help="Only cases from applications in this round.")
@click.option("--year", type=click.IntRange(1900, 3000), metavar="YYYY",
              help="Only cases starting in this year (without a start date: created in it).")
@click.option("--municipality", type=int, metavar="CODE",
              help="Only cases of this municipality (three-digit code).")
@click.option("--case", "case_reference", metavar="REF", help="Only this case.")
@click.option("--instrument", "instrument_code", metavar="CODE",
              help="Default: the default self-assessment instrument.")
def summary_command(fmt: str, type_code: str | None, round_id: int | None, year: int | None,
                    municipality: int | None, case_reference: str | None,
                    instrument_code: str | None) -> None:
    """Print the effect summary of an instrument: per dimension and overall, the matched
    units (measured at baseline and at end) and those measured only once, the means before
    and after over the matched units, the mean change with its 95 % t interval, d_z and
    d_av, and the shares improved, unchanged and worse; the attrition figures compare the
    baseline means of units with and without an end measurement.

    Numbers are unrounded; null (JSON) or empty (CSV) where undefined, and d_z and d_av
    also below 5 pairs. Shares are fractions of the matched units.
    """
    filters = Filters(type_code=type_code, round_id=round_id, year=year,
                      municipality=municipality, case_reference=case_reference)
    _check_filters(filters)
    try:
        result = summarise(choose_instrument(instrument_code), filters)
    except SummaryError as error:
        raise click.BadParameter(error.message, param_hint="--instrument") from error
    if result.result is None:
        raise click.ClickException(result.refusal or "")
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        frame = pd.DataFrame(result.rows(), columns=list(COLUMNS))
        click.echo(write_table(frame, "csv", sheet="summary"), nl=False)
