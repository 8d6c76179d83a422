"""`flask sessions export`: the logged sessions as a spreadsheet, without free text.
`flask sessions figures`: the figures kept on every case recomputed from its sessions."""
from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from consultancy.engagements import bp
from consultancy.engagements.activity import refresh_activity
from consultancy.engagements.exchange import PeriodError, parse_period, sessions_frame
from consultancy.exchange.exports import write_table
from consultancy.extensions import db
from consultancy.security import audit


@bp.cli.group("sessions")
def sessions_cli() -> None:
    """Export the logged sessions of the cases; recompute the figures kept from them."""


@sessions_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]),
              help="Default: from the extension of --out.")
@click.option("--out", required=True, type=click.File("wb"), help="The file to write, or -.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD",
              help="Only sessions on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD",
              help="Only sessions on or before this day.")
def export_command(fmt: str | None, out, date_from: str | None, date_to: str | None) -> None:
    """Export one row per session, held or planned: case, type, municipality, date,
    hours, format, sub-format, participant counts and theme codes.

    No summaries, next steps or names are written. CSV is UTF-8 with a byte order
    mark, comma-separated, with decimal points.
    """
    fmt = fmt or Path(getattr(out, "name", "")).suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise click.BadParameter(_("Give --format csv or xlsx."), param_hint="--format")
    try:
        first, last = parse_period(date_from, date_to)
    except PeriodError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from error
    frame = sessions_frame(first, last)
    out.write(write_table(frame, fmt, sheet="sessions"))
    audit.record_export("sessions", fmt, {"from": first, "to": last}, len(frame), channel="cli")
    db.session.commit()
    click.echo(_("Exported %(count)d session(s).", count=len(frame)), err=True)


@sessions_cli.command("figures")
def figures_command() -> None:
    """Recompute the hours used, last session held and next planned session kept on every
    case from its sessions: after sessions were loaded in bulk (which the application does
    not see), or to repair. Cases already right are left as they are."""
    written = refresh_activity(db.session.connection())
    db.session.commit()
    click.echo(_("Recomputed the figures of %(count)d case(s).", count=written), err=True)
