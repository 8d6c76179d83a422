"""Benchmark: the effect-data export of 1,000,000 answer rows on PostgreSQL (issue 14,
point 6: every format under 300 MB peak, at the speed of PostgreSQL's COPY).

Outside the default run: `make benchmark` (or `pytest -m benchmark -s`) with
TEST_DATABASE_URL set (skipped on SQLite). 1,750 cases with two units each, four
respondents per unit at baseline, midway and end, 24 items: 1,008,000 answers, written
with COPY into a database of its own.

Each format is exported by `flask export effect-data` in a process of its own, as an
administrator would, timing it and taking the process's peak resident memory (the app's
imports included). Beside them, in the same run, the anchor: PostgreSQL's
`COPY (SELECT …) TO STDOUT` of the same rows in the same order with the same pseudonyms,
computed by pgcrypto's `hmac()` (a test below checks they are the app's), read by psycopg
into a file. Printed side by side; the limits asserted.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consultancy import create_app
from consultancy.evaluation.effect_data import XLSX_MAX_ROWS
from consultancy.extensions import db
from consultancy.models import EngagementType, Item, Occasion, RespondentRole
from consultancy.services.clock import local_today
from tests.conftest import ON_POSTGRES, app_config, scratch_database

pytestmark = [pytest.mark.benchmark,
              pytest.mark.skipif(not ON_POSTGRES, reason="measured on PostgreSQL")]

CASES = 1_750
UNITS_PER_CASE = 2
ROLES = [RespondentRole.LEADER, RespondentRole.PEDAGOGUE, RespondentRole.PEDAGOGUE,
         RespondentRole.ASSISTANT]
OCCASIONS = [Occasion.BASELINE, Occasion.MIDWAY, Occasion.END]
ROWS = 1_008_000
SMALL_YEAR = 2025  # a tenth of the cases start in it: the small export's filter
PEAK_MIB = 300
# The time of a format's export, at most this many times the anchor's (COPY).
WITHIN = {"csv": 1.5, "csv-excel-da": 1.5, "parquet": 1.5, "dta": 2.5, "sav": 2.5, "xlsx": 5.0}
KEY = "benchmark key of 32 characters!!"
ROOT = Path(__file__).resolve().parent.parent


def _copy_rows(connection, table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(today) -> None:
    """The cases, units, responses and answers, with COPY (seeded)."""
    rng = random.Random(6)
    mini = db.session.scalars(sa.select(EngagementType).where(
        EngagementType.code == "mini")).one()
    items = db.session.scalars(sa.select(Item.id).where(Item.version_id == 1)
                               .order_by(Item.position)).all()
    cases, units, links, responses, answers = [], [], [], [], []
    now = "2026-01-01 00:00:00+00"
    for number in range(1, CASES + 1):
        start = today.replace(year=SMALL_YEAR if number % 10 == 0 else SMALL_YEAR + 1)
        cases.append((number, f"FORL-E-{number:05d}", start.year, number, mini.id,
                      rng.choice([101, 147, 751, 773]), "Kommune", "active", start,
                      start + timedelta(days=91), mini.default_hours, "[]", "", now, 1))
        for slot in range(UNITS_PER_CASE):
            unit_id = (number - 1) * UNITS_PER_CASE + slot + 1
            units.append((unit_id, f"Enhed {unit_id}", 101, "municipal", "integrated", 60))
            links.append((number, unit_id))
            for position, role in enumerate(ROLES):
                for occasion_number, occasion in enumerate(OCCASIONS):
                    responses.append((len(responses) + 1, number, unit_id, 1, occasion.value,
                                      role.value, f"R{unit_id}X{position}",
                                      start + timedelta(days=45 * occasion_number), now))
                    level = rng.randint(2, 4) + occasion_number // 2
                    answers.extend((len(responses), item,
                                    min(5, max(1, level + rng.randint(-1, 1))))
                                   for item in items)
    connection = db.session.connection().connection.driver_connection
    _copy_rows(connection, "engagements", [
        "id", "reference", "year", "number", "engagement_type_id", "municipality_code",
        "applicant_name", "status", "start_date", "planned_end", "hour_budget", "goals",
        "documentation_form", "created_at", "version"], cases)
    _copy_rows(connection, "daycare_units", [
        "id", "name", "municipality_code", "ownership", "kind", "children"], units)
    _copy_rows(connection, "engagement_units", ["engagement_id", "unit_id"], links)
    _copy_rows(connection, "evaluation_responses", [
        "id", "engagement_id", "unit_id", "instrument_version_id", "occasion",
        "respondent_role", "respondent_code", "responded_on", "entered_at"], responses)
    _copy_rows(connection, "evaluation_answers", ["response_id", "item_id", "value"], answers)
    for table in ("engagements", "daycare_units", "evaluation_responses"):
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT max(id) FROM {table}))"))
    db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def _pseudonym_sql(kind: str, prefix: str, value: str) -> str:
    return (f"'{prefix}-' || left(encode(hmac(convert_to('{kind}:' || {value}, 'UTF8'), "
            f"convert_to('{KEY}', 'UTF8'), 'sha256'), 'hex'), 12)")


# The long table as the app writes it (same columns, rows, order and pseudonyms).
ANCHOR = f"""
COPY (
  SELECT {_pseudonym_sql("engagement", "E", "r.engagement_id")},
         {_pseudonym_sql("unit", "U", "r.unit_id")},
         {_pseudonym_sql("respondent", "R", "r.engagement_id || ':' || r.respondent_code")},
         r.respondent_role, r.occasion, d.code, i.code, a.value, a.missing_code,
         CASE WHEN i.reverse_coded THEN 'true' ELSE 'false' END, v.scale_min, v.scale_max,
         ins.code || '-v' || v.number, t.code, ro.name, e.municipality_code, u.kind,
         u.ownership, r.responded_on
  FROM evaluation_answers a
  JOIN evaluation_responses r ON r.id = a.response_id
  JOIN instrument_items i ON i.id = a.item_id
  JOIN instrument_dimensions d ON d.id = i.dimension_id
  JOIN instrument_versions v ON v.id = i.version_id
  JOIN instruments ins ON ins.id = v.instrument_id
  JOIN engagements e ON e.id = r.engagement_id
  JOIN engagement_types t ON t.id = e.engagement_type_id
  LEFT JOIN applications ap ON ap.id = e.application_id
  LEFT JOIN rounds ro ON ro.id = ap.round_id
  JOIN daycare_units u ON u.id = r.unit_id
  {{where}}
  ORDER BY r.engagement_id, r.unit_id, r.respondent_code,
           CASE r.occasion WHEN 'baseline' THEN 0 WHEN 'midway' THEN 1 WHEN 'end' THEN 2
                           ELSE 3 END, r.instrument_version_id, i.position
) TO STDOUT (FORMAT csv)
"""


def anchor(url: str, out: Path, where: str = "") -> float:
    """Seconds of the anchor COPY, written to `out` (the better of two runs)."""
    import psycopg

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    best = float("inf")
    for _run in range(2):
        began = time.perf_counter()
        with psycopg.connect(conninfo) as connection, connection.cursor() as cursor, \
                out.open("wb") as handle, cursor.copy(ANCHOR.format(where=where)) as copy:
            for block in copy:
                handle.write(block)
        best = min(best, time.perf_counter() - began)
    return best


# Runs the command and reports the process's own peak resident memory (VmHWM; a child's
# rusage would include the benchmark's own memory, inherited at fork).
MEASURED = """
import sys
from flask.cli import main
try:
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM"))
    print("peak_kib", peak.split()[1], file=sys.stderr)
"""


def export(url: str, fmt: str, out: Path, *filters: str) -> tuple[float, float, str]:
    """Seconds, peak resident MiB and the error output of `flask export effect-data` in a
    process of its own; the error output only when it failed."""
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark",
                   "FLASK_PSEUDONYM_KEY": KEY}
    command = [sys.executable, "-c", MEASURED, "--app", "wsgi", "export", "effect-data",
               "--format", fmt, "--out", str(out), *filters]
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True,
                            text=True, check=False)
    seconds = time.perf_counter() - began
    peak = int(result.stderr.split("peak_kib")[-1]) / 1024
    return seconds, peak, result.stderr if result.returncode else ""


def _extension(fmt: str) -> str:
    return {"csv-excel-da": "csv"}.get(fmt, fmt)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("export_benchmark")
    with scratch_database(tmp_path, "export_benchmark") as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade()
            generate(local_today())
            db.session.remove()
            db.engine.dispose()
        yield url, tmp_path


def _small_where(municipality: int | None = None) -> str:
    cases = (f"start_date >= '{SMALL_YEAR}-01-01' AND start_date < '{SMALL_YEAR + 1}-01-01'"
             + (f" AND municipality_code = {municipality}" if municipality else ""))
    return f"WHERE r.engagement_id IN (SELECT id FROM engagements WHERE {cases})"


def test_the_anchor_writes_the_rows_and_pseudonyms_of_the_csv_export(national):
    url, tmp_path = national
    anchor(url, tmp_path / "anchor-small.csv", _small_where())
    _seconds, _peak, error = export(url, "csv", tmp_path / "small" / "data.csv",
                                    "--year", str(SMALL_YEAR))
    assert not error, error
    app = (tmp_path / "small" / "data.csv").read_bytes()
    copied = (tmp_path / "anchor-small.csv").read_bytes()
    assert app.split(b"\r\n", 1)[1] == copied.replace(b"\n", b"\r\n")


def test_a_million_rows_export_in_bounded_memory_at_the_speed_of_copy(national):
    url, tmp_path = national
    copy_seconds = anchor(url, tmp_path / "anchor.csv")
    with (tmp_path / "anchor.csv").open("rb") as copied:
        assert sum(1 for _line in copied) == ROWS
    results = {}
    for fmt in WITHIN:
        results[fmt] = export(url, fmt, tmp_path / fmt / f"data.{_extension(fmt)}")
    copy_seconds = min(copy_seconds, anchor(url, tmp_path / "anchor.csv"))
    # XLSX holds at most XLSX_MAX_ROWS: measured on a year and a municipality too.
    municipality = 101
    small_copy = anchor(url, tmp_path / "anchor-xlsx.csv", _small_where(municipality))
    with (tmp_path / "anchor-xlsx.csv").open("rb") as copied:
        small_rows = sum(1 for _line in copied)
    small_xlsx = export(url, "xlsx", tmp_path / "xlsx-small" / "data.xlsx",
                        "--year", str(SMALL_YEAR), "--municipality", str(municipality))
    lines = [f"{'format':<13}{'app s':>8}{'COPY s':>8}{'ratio':>7}{'limit':>7}{'peak MiB':>10}"]
    for fmt, (seconds, peak, error) in [*results.items(), ("xlsx-small", small_xlsx)]:
        anchor_seconds = small_copy if fmt == "xlsx-small" else copy_seconds
        if error:
            message = [line for line in error.splitlines() if "Parquet" in line] or [error]
            lines.append(f"{fmt:<13}refused after {seconds:.1f} s, peak {peak:.0f} MiB: "
                         f"{message[0].strip()[:90]}")
            continue
        lines.append(f"{fmt:<13}{seconds:>8.1f}{anchor_seconds:>8.1f}"
                     f"{seconds / anchor_seconds:>6.1f}×"
                     f"{WITHIN[fmt.removesuffix('-small')]:>6.1f}×{peak:>10.0f}")
    print(f"\nPostgreSQL, {ROWS:,} answers (xlsx-small: {small_rows:,}), each exported by "
          "`flask export effect-data` in a process of its own; the anchor: COPY … TO STDOUT "
          "of the same rows with pgcrypto's hmac() pseudonyms:\n  " + "\n  ".join(lines))
    written = pd.read_parquet(tmp_path / "parquet" / "data.parquet", columns=["value"])
    assert len(written) == ROWS
    for fmt, (seconds, peak, error) in results.items():
        assert peak < PEAK_MIB, (fmt, peak)
        if fmt == "xlsx" and ROWS > XLSX_MAX_ROWS:
            assert "Parquet" in error, error
            continue
        assert not error, (fmt, error)
        assert seconds < WITHIN[fmt] * copy_seconds, (fmt, seconds, copy_seconds)
    seconds, peak, error = small_xlsx
    assert not error, error
    assert peak < PEAK_MIB
    assert seconds < WITHIN["xlsx"] * small_copy, (seconds, small_copy)


def test_memory_does_not_grow_with_the_rows(national):
    """A tenth of the rows takes hardly less memory than all of them, in the formats
    written as the rows are read (Stata and SPSS gather the table, compactly)."""
    url, tmp_path = national
    for fmt in ("csv", "csv-excel-da", "parquet"):
        small = export(url, fmt, tmp_path / f"small-{fmt}" / f"data.{_extension(fmt)}",
                       "--year", str(SMALL_YEAR))
        full = export(url, fmt, tmp_path / f"full-{fmt}" / f"data.{_extension(fmt)}")
        assert full[1] < small[1] + 100, (fmt, small, full)

