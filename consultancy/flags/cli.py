"""`flask flags run`: one flag pass, the same one the scheduler runs each morning."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from consultancy.flags.services import run_pass
from consultancy.models import RunStatus
from consultancy.services.clock import local_today

flags_cli = AppGroup("flags", help="Phases and flags of the cases.")


@flags_cli.command("run")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]),
              metavar="YYYY-MM-DD", help="Judge the cases as on this day (default: today).")
def run_command(today) -> None:
    """Store each case's phase, raise flags whose condition holds and resolve those whose
    condition no longer holds. Safe to run again, and beside another run: a run that finds
    another one busy is skipped. Ends by printing `raised N, resolved M, open K`."""
    day: date = today.date() if today else local_today()
    try:
        result = run_pass(day)
    except Exception as error:
        click.echo("raised 0, resolved 0, open ?")
        raise click.ClickException(f"the flag pass failed: {error}") from error
    if result.run.status is RunStatus.SKIPPED:
        click.echo("another flag pass was running; this one changed nothing", err=True)
    click.echo(result.summary())
