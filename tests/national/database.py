"""The benchmark's own PostgreSQL database: dropped and created again, migrated and given the
demo by the app's own commands (`flask db upgrade`, `flask demo load`), as a new user would."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def server_url(name: str) -> str:
    """postgresql+psycopg URL of database `name` on PGHOST/PGPORT as PGUSER (PGPASSWORD)."""
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    password = os.environ.get("PGPASSWORD")
    credentials = f"{user}:{password}" if password else user
    return f"postgresql+psycopg://{credentials}@{host}:{port}/{name}"


def recreate(url: str) -> None:
    """Drop the database of `url` (closing its connections) and create it empty."""
    parsed = make_url(url)
    server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(
                f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        server.dispose()


def app_environment(url: str) -> dict[str, str]:
    """The environment the app's commands and gunicorn run in: this checkout's package
    first, the benchmark's database, a fixed secret (sessions across workers)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["DATABASE_URL"] = url
    env.setdefault("SECRET_KEY", "national benchmark secret")
    return env


def flask(url: str, *args: str) -> None:
    """`flask --app wsgi <args>` on the benchmark's database."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=app_environment(url), capture_output=True, text=True)
    if done.returncode:  # its output only when it failed (else Alembic's log of each step)
        sys.stderr.write(done.stdout + done.stderr)
        done.check_returncode()


def prepare(url: str) -> None:
    recreate(url)
    flask(url, "db", "upgrade")
    flask(url, "demo", "load")


def generate(url: str, scale: str, today: date | None = None) -> None:
    """`python -m tests.national.generate` on the database, in a process of its own."""
    subprocess.run([sys.executable, "-m", "tests.national.generate", "--url", url,
                    "--scale", scale, *(["--today", today.isoformat()] if today else [])],
                   cwd=ROOT, env=app_environment(url), check=True)
