"""Settings: defaults here, then instance/config.py, then the environment, then the caller's."""
from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Config

from consultancy.services.clock import COPENHAGEN


class Defaults:
    ENV = "development"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # A signed-in session ends this long after signing in (a working day), and after
    # SESSION_IDLE_TIMEOUT without a request, whatever the browser's cookie says.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_IDLE_TIMEOUT = timedelta(hours=2)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # WTForms' messages come from our own catalogue (consultancy.web.forms).
    WTF_I18N_ENABLED = False

    BABEL_DEFAULT_LOCALE = "da"
    # The zone people count days and read times in: "today", deadlines, the times shown,
    # the scheduler's morning (consultancy.services.clock). Times are stored in UTC.
    TIMEZONE = COPENHAGEN.key

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    LOGIN_THROTTLE_LIMIT = 5
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    REQUIRED_REVIEWS = 2  # submitted reviews before an application can be decided
    APPLY_RATE_LIMIT = 5  # public applications per client address and window
    APPLY_RATE_WINDOW = timedelta(hours=1)
    PASSWORD_MIN_LENGTH = 10
    # zxcvbn's estimate, 0 (guessed at once) to 4; below this a new password is refused.
    PASSWORD_MIN_SCORE = 3

    # Bounds on what a request may carry (exchange.spreadsheets, web.inputs).
    # A request body past MAX_CONTENT_LENGTH is refused with 413 before it is read.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # An uploaded import file: its size, what an XLSX workbook may unpack to, its rows.
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    IMPORT_MAX_UNPACKED_BYTES = 20 * 1024 * 1024
    IMPORT_MAX_ROWS = 5000
    ITEMS_PER_PAGE = 25
    # No SQL statement of a web request runs longer than this (milliseconds; 0: no limit):
    # the page answers 503 with a message instead of holding the database and the worker
    # (consultancy.web.timeouts). The CLI and the scheduler run without a limit. Views
    # marked @statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS") (large exports) get the other.
    STATEMENT_TIMEOUT_MS = 5000
    EXPORT_STATEMENT_TIMEOUT_MS = 120_000

    # A background job's claim older than this belongs to a process that died.
    JOB_CLAIM_STALE_AFTER = timedelta(hours=1)
    # The scheduler process (`flask scheduler`): the daily flag pass, in TIMEZONE.
    FLAG_PASS_HOUR = 6
    FLAG_PASS_MINUTE = 0
    # A daily run found late by more than this many seconds (the machine slept) is skipped;
    # the catch-up at the next start covers a longer gap.
    SCHEDULER_MISFIRE_GRACE_TIME = 3600

    # The daily digest of new flags by mail, sent by the scheduler after the pass.
    DIGEST_ENABLED = False
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "praksiskonsulent@localhost"
    MAIL_TIMEOUT = 30  # seconds
    # The address people open the application at; links in mails start with it.
    BASE_URL = "http://127.0.0.1:5000"

    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    TRUSTED_PROXIES = 0

    # The accessibility statement (/accessibility, linked from every page's footer): the
    # address people report accessibility problems to, and the day the statement was
    # prepared or last reviewed (YYYY-MM-DD; update it when the statement is reviewed).
    ACCESSIBILITY_CONTACT = "sbst@sbst.dk"
    ACCESSIBILITY_STATEMENT_DATE = "2026-11-23"

    # The secret key of the pseudonyms in exports for evaluators (consultancy.security.pseudonyms).
    # Unset, it is derived from SECRET_KEY, so a new SECRET_KEY gives new pseudonyms and
    # older exports can no longer be linked to newer ones: set it in production (e.g.
    # FLASK_PSEUDONYM_KEY, 32+ random characters), keep it secret and never change it.
    PSEUDONYM_KEY = None


def database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(config: Config, instance_path: str, overrides: Mapping[str, Any] | None) -> None:
    config.from_object(Defaults)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env()  # FLASK_ENV, FLASK_SECRET_KEY, FLASK_SQLALCHEMY_DATABASE_URI ...
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if overrides:
        config.update(overrides)
    _time_zone(config)

    production = config["ENV"] == "production"
    if production:
        config["SESSION_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
        if not config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY must be set in production (environment variable SECRET_KEY)."
            )
        if not config.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError(
                "DATABASE_URL must be set in production (e.g. postgresql+psycopg://...)."
            )
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = development_secret(Path(instance_path))

    config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(instance_path) / 'consultancy.db'}"
    )
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["SQLALCHEMY_DATABASE_URI"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A writer waits for SQLite's single write lock (a flag pass, an import) instead of
        # failing after the driver's default of five seconds.
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _time_zone(config: Config) -> None:
    """One zone for everything: TIMEZONE, checked now rather than at the first page."""
    if config.get("SCHEDULER_TIMEZONE"):
        warnings.warn("SCHEDULER_TIMEZONE is deprecated: set TIMEZONE instead.", FutureWarning,
                      stacklevel=3)
        if config["TIMEZONE"] == Defaults.TIMEZONE:
            config["TIMEZONE"] = config["SCHEDULER_TIMEZONE"]
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuntimeError(f"TIMEZONE {config['TIMEZONE']!r} is not a time zone "
                           "(e.g. Europe/Copenhagen).") from error
    config["BABEL_DEFAULT_TIMEZONE"] = config["TIMEZONE"]  # the times Flask-Babel shows


def development_secret(instance: Path) -> str:
    """A key generated once into instance/ and reused, so sessions survive restarts."""
    path = instance / "secret_key"
    try:
        # Created with its mode in one step; a second process starting at once reads the first's.
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
