"""`flask evaluation import FILE [--case REF]`: self-assessments from a spreadsheet."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from consultancy.evaluation.cli import evaluation_cli
from consultancy.evaluation.importing import ResponseImportError, import_responses
from consultancy.extensions import db
from consultancy.models import Engagement, User
from consultancy.models.users import normalise_email
from consultancy.security import audit
from consultancy.services.clock import local_today


@evaluation_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--case", "reference", help="The case the rows belong to, e.g. FORL-2026-001; "
              "then the file needs no case column.")
@click.option("--by", "email", help="The e-mail of the user recorded as entering the answers.")
def import_command(file: Path, reference: str | None, email: str | None) -> None:
    """Import self-assessment responses from FILE (.csv or .xlsx), all or nothing.

    \b
    One row per respondent and occasion, with the columns
      case (the case's reference; not needed with --case), unit (id or exact
      name), occasion (baseline|midway|end|follow_up, or før|midtvej|efter|
      opfølgning), respondent (a code; the same code is the same person),
      role (leader|pedagogue|assistant|municipal_consultant|observer),
      date (YYYY-MM-DD or DD-MM-YYYY), instrument (optional, e.g.
      egenvurdering-v1), then one column per question code (LM1, LM2, ...)
      holding a number on the scale, or ikke relevant / ved ikke.

    Every row is checked first; on any error nothing is imported and every
    error is printed with its row and column.
    """
    case = None
    if reference:
        case = db.session.scalar(sa.select(Engagement).where(
            sa.func.upper(Engagement.reference) == reference.strip().upper()))
        if case is None:
            raise click.BadParameter(f"there is no case {reference}", param_hint="--case")
    actor = None
    if email:
        actor = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
        if actor is None:
            raise click.BadParameter(f"there is no user {email}", param_hint="--by")
        audit.set_actor(actor.id)
    try:
        summary = import_responses(file.read_bytes(), file.name, actor=actor,
                                   today=local_today(), case=case)
    except ResponseImportError as error:
        for message in error.messages:
            click.echo(message, err=True)
        raise click.ClickException(
            f"{len(error.messages)} error(s) in {file.name}; nothing was imported.") from error
    db.session.commit()
    occasions = ", ".join(f"{occasion.value} {count}"
                          for occasion, count in summary.occasions.items())
    click.echo(f"Imported {summary.responses} response(s) from {summary.respondents} "
               f"respondent(s) in {summary.units} unit(s) of {', '.join(summary.cases)} "
               f"({occasions}).")
