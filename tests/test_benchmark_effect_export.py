"""Benchmark: the effect-data export of 1,000,000 answer rows (issue 6: under 20 s, in
bounded memory).

Outside the default run: `make benchmark` (or `pytest -m benchmark -s`); set
TEST_DATABASE_URL to measure PostgreSQL. 1,750 cases with two units each, four respondents
per unit at baseline, midway and end, 24 items: 1,008,000 answers, written with bulk inserts
on a database of its own. Each format is then exported by `flask export effect-data` in a
process of its own, as an administrator would, timing it and taking the process's peak
resident memory; a tenth of the data is exported too, to show that memory does not grow
with the rows in the streamed formats (CSV and Parquet; Stata and SPSS files are written
whole by their libraries).
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
from sqlalchemy.engine import make_url

from consultancy import create_app
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    DaycareUnit,
    Engagement,
    EngagementStatus,
    EngagementType,
    EngagementUnit,
    Item,
    Occasion,
    Ownership,
    RespondentRole,
    Response,
    UnitKind,
)
from consultancy.services.clock import local_today, utcnow
from tests.conftest import app_config, scratch_database

pytestmark = pytest.mark.benchmark

CASES = 1_750
UNITS_PER_CASE = 2
ROLES = [RespondentRole.LEADER, RespondentRole.PEDAGOGUE, RespondentRole.PEDAGOGUE,
         RespondentRole.ASSISTANT]
OCCASIONS = [Occasion.BASELINE, Occasion.MIDWAY, Occasion.END]
ROWS = 1_008_000
LIMIT_SECONDS = 20.0
SMALL_YEAR = 2025  # a tenth of the cases start in it: the small export's filter
# Stata and SPSS files are written whole by their libraries, so those two hold the table.
STREAMED = ("csv", "csv-excel-da", "parquet")
ROOT = Path(__file__).resolve().parent.parent


def generate(today) -> None:
    rng = random.Random(6)
    mini = db.session.scalars(sa.select(EngagementType).where(
        EngagementType.code == "mini")).one()
    items = db.session.scalars(sa.select(Item.id).where(Item.version_id == 1)
                               .order_by(Item.position)).all()
    cases, units, links, responses, answers = [], [], [], [], []
    for number in range(1, CASES + 1):
        start = today.replace(year=SMALL_YEAR if number % 10 == 0 else SMALL_YEAR + 1)
        cases.append({
            "id": number, "reference": f"FORL-E-{number:05d}", "year": start.year,
            "number": number, "engagement_type_id": mini.id,
            "municipality_code": rng.choice([101, 147, 751, 773]),
            "applicant_name": "Kommune", "status": EngagementStatus.ACTIVE,
            "start_date": start, "planned_end": start + timedelta(days=91),
            "hour_budget": mini.default_hours, "goals": [], "documentation_form": "",
            "created_at": utcnow(), "version": 1})
        for slot in range(UNITS_PER_CASE):
            unit_id = (number - 1) * UNITS_PER_CASE + slot + 1
            units.append({"id": unit_id, "name": f"Enhed {unit_id}", "municipality_code": 101,
                          "ownership": Ownership.MUNICIPAL, "kind": UnitKind.INTEGRATED,
                          "children": 60})
            links.append({"engagement_id": number, "unit_id": unit_id})
            for position, role in enumerate(ROLES):
                for occasion_number, occasion in enumerate(OCCASIONS):
                    responses.append({
                        "id": len(responses) + 1, "engagement_id": number, "unit_id": unit_id,
                        "instrument_version_id": 1, "occasion": occasion,
                        "respondent_role": role, "respondent_code": f"R{unit_id}X{position}",
                        "responded_on": start + timedelta(days=45 * occasion_number),
                        "entered_at": utcnow()})
                    level = rng.randint(2, 4) + occasion_number // 2
                    answers.extend(
                        {"response_id": len(responses), "item_id": item,
                         "value": min(5, max(1, level + rng.randint(-1, 1)))}
                        for item in items)
    db.session.execute(sa.insert(Engagement), cases)
    db.session.execute(sa.insert(DaycareUnit), units)
    db.session.execute(sa.insert(EngagementUnit), links)
    db.session.execute(sa.insert(Response), responses)
    for first in range(0, len(answers), 100_000):
        db.session.execute(sa.insert(Answer), answers[first:first + 100_000])
    if db.engine.dialect.name == "postgresql":
        for table in ("engagements", "daycare_units", "evaluation_responses"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


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


def export(url: str, fmt: str, out: Path, *filters: str) -> tuple[float, float]:
    """Seconds and peak resident MiB of `flask export effect-data` in a process of its own."""
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark",
                   "FLASK_PSEUDONYM_KEY": "benchmark key of 32 characters!!"}
    command = [sys.executable, "-c", MEASURED, "--app", "wsgi", "export", "effect-data",
               "--format", fmt, "--out", str(out), *filters]
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True,
                            text=True, check=False)
    seconds = time.perf_counter() - began
    assert result.returncode == 0, result.stderr
    return seconds, int(result.stderr.split("peak_kib")[-1]) / 1024


def test_a_million_rows_export_in_under_twenty_seconds_in_bounded_memory(tmp_path):
    with scratch_database(tmp_path, "export_benchmark") as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade()
            generate(local_today())
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == ROWS
            db.session.remove()
            db.engine.dispose()
        lines, results = [], {}
        for fmt in ("csv", "csv-excel-da", "parquet", "dta", "sav"):
            extension = {"csv-excel-da": "csv"}.get(fmt, fmt)
            small = export(url, fmt, tmp_path / f"small-{fmt}" / f"data.{extension}",
                           "--year", str(SMALL_YEAR))
            full = export(url, fmt, tmp_path / fmt / f"data.{extension}")
            results[fmt] = small, full
            lines.append(f"{fmt}: {full[0]:.1f} s, peak {full[1]:.0f} MiB "
                         f"(a tenth of the rows: {small[0]:.1f} s, peak {small[1]:.0f} MiB)")
        print(f"\n{make_url(url).get_backend_name()}, {ROWS:,} rows:\n  " + "\n  ".join(lines))
        written = pd.read_parquet(tmp_path / "parquet" / "data.parquet", columns=["value"])
        assert len(written) == ROWS
        for fmt, (small, full) in results.items():
            assert full[0] < LIMIT_SECONDS, fmt
            if fmt in STREAMED:
                # bounded: ten times the rows take hardly more memory than a tenth does
                assert full[1] < small[1] + 150, fmt
