"""The command-line groups that belong to no area: `flask demo` and `flask translate`,
added to the app with `flask scheduler` by `init_app`. Each area adds its own groups on its
blueprint (`bp.cli`, in the area's cli.py), so `app.test_cli_runner()` sees them all."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from flask.cli import AppGroup

from consultancy import demo
from consultancy.admin.services import create_user
from consultancy.extensions import db
from consultancy.models import Role, User
from consultancy.services.clock import local_today, utcnow

demo_cli = AppGroup("demo", help="Demo data for trying the application.")
translate_cli = AppGroup("translate", help="Update and compile the translation catalogues.")

DEMO_USERS = [
    ("admin@demo.example", "Ada Admin", Role.ADMIN),
    ("team@demo.example", "Tove Team", Role.TEAM),
    ("team2@demo.example", "Tobias Team", Role.TEAM),
    ("konsulent@demo.example", "Karen Konsulent", Role.CONSULTANT),
    ("konsulent2@demo.example", "Kasper Konsulent", Role.CONSULTANT),
    ("konsulent3@demo.example", "Lene Kjærgaard", Role.CONSULTANT),
    ("konsulent4@demo.example", "Niels Bach", Role.CONSULTANT),
    ("konsulent5@demo.example", "Signe Vestergaard", Role.CONSULTANT),
    ("evaluator@demo.example", "Eva Evaluator", Role.EVALUATOR),
]
DEMO_PASSWORD = "demo-praksis"


@demo_cli.command("load")
def demo_load() -> None:
    """Create demo users and demo applications, unless they exist (safe to run again)."""
    existing = set(db.session.scalars(sa.select(User.email)))
    for email, name, role in DEMO_USERS:
        if email not in existing:
            create_user(email, name, role, DEMO_PASSWORD)
    try:
        summary = demo.load(local_today(), utcnow())
    except demo.DemoError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Demo logins (password for new demo users: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_USERS:
        state = "existing, password unchanged" if email in existing else "created"
        click.echo(f"  {role.value:<11} {email:<26} ({state})")
    for line in summary.lines():
        click.echo(line)


PACKAGE = Path(__file__).parent
ROOT = PACKAGE.parent


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", *args])


@translate_cli.command("update")
def translate_update() -> None:
    """Extract messages from code and templates and merge them into the catalogues."""
    pot = ROOT / "messages.pot"
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "-o", str(pot), str(PACKAGE), str(ROOT / "templates"))
    _pybabel("update", "-i", str(pot), "-d", str(PACKAGE / "translations"), "--no-wrap",
             "--ignore-obsolete", "--no-fuzzy-matching")
    pot.unlink()


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogues (.po to .mo)."""
    for domain in ("messages", "wtforms"):
        _pybabel("compile", "-d", str(PACKAGE / "translations"), "-D", domain, "--statistics")


def init_app(app) -> None:
    from consultancy.scheduler import scheduler_command
    for command in (demo_cli, translate_cli, scheduler_command):
        app.cli.add_command(command)
