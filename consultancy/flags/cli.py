"""`flask flags run`: one flag pass, the same one the scheduler runs each morning;
`flask flags digest`: the mail about new flags that follows it."""
from __future__ import annotations

from datetime import date

import click
from flask import current_app

from consultancy.flags import bp
from consultancy.flags.digest import run_digest
from consultancy.flags.services import run_pass
from consultancy.models import RunStatus
from consultancy.services.clock import local_today, utcnow


@bp.cli.group("flags")
def flags_cli() -> None:
    """Phases and flags of the cases."""


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


@flags_cli.command("digest")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]),
              metavar="YYYY-MM-DD",
              help="Send to the consultants on the cases on this day (default: today).")
def digest_command(today) -> None:
    """Mail each consultant the new flags of their cases and Team Dagtilbud all new flags
    (new: raised since the last digest). Off unless DIGEST_ENABLED; the scheduler sends it
    after the morning pass. Ends by printing `sent N mail(s) about M flag(s)`."""
    if not current_app.config["DIGEST_ENABLED"]:
        click.echo("digests are disabled (DIGEST_ENABLED is off); nothing sent")
        return
    try:
        run = run_digest(utcnow(), today.date() if today else local_today())
    except Exception as error:
        raise click.ClickException(f"the digest failed: {error}") from error
    if run.status is RunStatus.SKIPPED:
        click.echo("another digest was running; this one sent nothing", err=True)
    click.echo(f"sent {run.counts.get('mails', 0)} mail(s) "
               f"about {run.counts.get('flags', 0)} flag(s)")
