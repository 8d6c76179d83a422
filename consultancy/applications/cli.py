"""`flask applications import|export`: applications to and from spreadsheets."""
from __future__ import annotations

from pathlib import Path

import click

from consultancy.applications import bp
from consultancy.applications.exchange import ExchangeError, export_frame, import_applications
from consultancy.exchange.exports import write_table
from consultancy.extensions import db
from consultancy.models import Round
from consultancy.security import audit
from consultancy.services.clock import local_today, utcnow


@bp.cli.group("applications")
def applications_cli() -> None:
    """Import and export applications."""


FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@applications_cli.command("import")
@click.argument("file", type=FILE)
@click.option("--units", "units", type=FILE,
              help="The units, when FILE is a CSV file or its workbook has no units sheet.")
def import_command(file: Path, units: Path | None) -> None:
    """Import applications from FILE (.csv or .xlsx), all or nothing.

    \b
    FILE has one row per application, with the columns
      key, applicant_kind (municipality|institution), applicant_name,
      municipality_code, engagement_type (e.g. one_year, mini), contact_name,
      contact_email, contact_phone, documented_need, motivation,
      leadership_backing, resource_hours_per_month, resource_participants.
    The units, one row each, are in a sheet named "units" of the same workbook or
    in the --units file, with the columns
      key (the key of the application's row), name,
      kind (nursery|kindergarten|integrated|childminding),
      ownership (municipal|self_owned|private), children, vulnerable_share (%).

    Every row is checked as the web form checks it; on any error nothing is
    imported and every error is printed with its row and column.
    """
    try:
        created = import_applications(file, units, today=local_today(), now=utcnow())
    except ExchangeError as error:
        for message in error.messages:
            click.echo(message, err=True)
        raise click.ClickException(
            f"{len(error.messages)} error(s) in {file.name}; nothing was imported.") from error
    db.session.commit()
    click.echo(f"Imported {len(created)} application(s): "
               + ", ".join(application.reference for application in created))


@applications_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]),
              help="Default: from the extension of --out.")
@click.option("--round", "round_id", type=int, help="Only the applications of this round.")
@click.option("--out", required=True, type=click.File("wb"), help="The file to write, or -.")
def export_command(fmt: str | None, round_id: int | None, out) -> None:
    """Export applications with their mean scores, total and decision.

    CSV is UTF-8 with a byte order mark, comma-separated, with decimal points.
    """
    fmt = fmt or Path(getattr(out, "name", "")).suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise click.BadParameter("give --format csv or xlsx", param_hint="--format")
    if round_id is not None and db.session.get(Round, round_id) is None:
        raise click.BadParameter(f"there is no round {round_id}", param_hint="--round")
    frame = export_frame(round_id)
    out.write(write_table(frame, fmt, sheet="applications"))
    audit.record_export("applications", fmt, {"round": round_id}, len(frame), channel="cli")
    db.session.commit()
    click.echo(f"Exported {len(frame)} application(s).", err=True)
