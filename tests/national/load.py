"""The load test: gunicorn with 3 workers on the national database (started here on a free
port, stopped afterwards) and locust headless with 20 people of the four roles
(`locustfile`), bounded in time; prints p50/p95/p99 and errors per page beside `/healthz`
from the same run (locust's stats CSV)."""
from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from consultancy.cli import DEMO_PASSWORD
from consultancy.extensions import db
from consultancy.models import (
    Engagement,
    EngagementMember,
    EngagementStatus,
    MemberRole,
    Role,
    User,
)
from tests.national.database import ROOT, app_environment

WORKERS = 3
# People of each role among the 20.
PEOPLE = {"consultant": 8, "team": 6, "evaluator": 3, "admin": 3}
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    p50: str
    p95: str
    p99: str


def _emails(role: Role) -> list[str]:
    return list(db.session.scalars(sa.select(User.email).where(
        User.role == role, User.active).order_by(User.id)))


def plan(big_cases: dict[int, int], today: date, people: dict[str, int] = PEOPLE) -> dict:
    """Who signs in and which pages each opens: consultants their start page, flags and
    running cases they are on the team of `today` (the leads of the big cases among them);
    Team Dagtilbud the lists and the big cases; evaluators the summary; administrators
    users and audit."""
    sizes = sorted(big_cases)
    big = [(f"case, {n} sessions", f"/engagements/{big_cases[n]}") for n in sizes]
    leads = {}
    for n in sizes:
        email = db.session.scalar(sa.select(User.email).join(EngagementMember).where(
            EngagementMember.engagement_id == big_cases[n],
            EngagementMember.role == MemberRole.LEAD))
        leads.setdefault(email, []).append((f"case, {n} sessions", f"/engagements/{big_cases[n]}"))
    consultants = list(leads) + [email for email in _emails(Role.CONSULTANT)
                                 if email not in leads]
    consultant_people = []
    for email in consultants[:people["consultant"]]:
        own = db.session.scalars(
            sa.select(Engagement.id).join(EngagementMember).join(User)
            .where(User.email == email, Engagement.status == EngagementStatus.ACTIVE,
                   EngagementMember.is_current(today),
                   Engagement.id.not_in(list(big_cases.values())))
            .order_by(Engagement.id).limit(3)).all()
        consultant_people.append({"email": email, "pages": [
            ["start page", "/"], ["flags", "/flags/"], *leads.get(email, []),
            *[["case, consultant's own", f"/engagements/{case}"] for case in own]]})
    middle = big_cases[sizes[len(sizes) // 2]]
    return {
        "consultant": {"count": people["consultant"], "password": DEMO_PASSWORD,
                       "people": consultant_people},
        "team": {"count": people["team"], "password": DEMO_PASSWORD, "people": [
            {"email": email, "pages": [
                ["start page", "/"], ["case overview", "/engagements/"],
                ["overview sorted by hours", "/engagements/?sort=-hours"],
                ["consultants' load", "/engagements/load"], ["flags", "/flags/"],
                ["applications", "/applications"], *big]}
            for email in _emails(Role.TEAM)]},
        "evaluator": {"count": people["evaluator"], "password": DEMO_PASSWORD, "people": [
            {"email": email, "pages": [
                ["start page", "/"], ["evaluation summary", "/evaluation/summary"],
                ["summary, one-year type", "/evaluation/summary?type=one_year"],
                ["case summary", f"/evaluation/cases/{middle}/summary"]]}
            for email in _emails(Role.EVALUATOR)]},
        "admin": {"count": people["admin"], "password": DEMO_PASSWORD, "people": [
            {"email": email, "pages": [
                ["start page", "/"], ["users", "/admin/users"], ["audit log", "/admin/audit"],
                ["case overview", "/engagements/"]]}
            for email in _emails(Role.ADMIN)]},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn ended with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def run(url: str, load_plan: dict, seconds: int, users: int) -> tuple[list[Row], list[str]]:
    """Start gunicorn on `url`, run locust against it for `seconds`, stop both; returns the
    rows of locust's stats, and its distinct errors with the workers gunicorn killed."""
    with tempfile.TemporaryDirectory(prefix="national-load-") as folder:
        work = Path(folder)
        (work / "plan.json").write_text(json.dumps(load_plan), encoding="utf-8")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = app_environment(url)
        with open(work / "gunicorn.log", "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind",
                 f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
            try:
                _wait_until_up(base, server)
                subprocess.run(
                    [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                     "--users", str(users), "--spawn-rate", "5", "--run-time", f"{seconds}s",
                     "--stop-timeout", "10", "--host", base, "--csv", str(work / "load"),
                     "--only-summary", "--loglevel", "WARNING"],
                    cwd=ROOT, env={**env, "NATIONAL_LOAD_PLAN": str(work / "plan.json")},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        with open(work / "load_stats.csv", newline="", encoding="utf-8") as handle:
            rows = [Row(r["Name"], int(r["Request Count"]), int(r["Failure Count"]),
                        r["50%"], r["95%"], r["99%"]) for r in csv.DictReader(handle)]
        errors = []
        with open(work / "load_failures.csv", newline="", encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                errors.append(f"{r['Occurrences']:>5} x {r['Name']}: {r['Error'][:120]}")
        log = (work / "gunicorn.log").read_text(errors="replace")
        errors.append(f"gunicorn: {log.count('WORKER TIMEOUT')} worker(s) killed for taking "
                      f"over its timeout, {log.count('SIGSEGV')} crashed (SIGSEGV)")
    return rows, errors


def table(rows: list[Row]) -> list[str]:
    anchor = next((r for r in rows if r.name == "healthz (anchor)"), None)

    def ratio(value: str) -> str:
        try:
            return f"{float(value) / max(float(anchor.p95), 1):.1f}"
        except (AttributeError, ValueError):
            return "-"
    lines = [f"{'page':<36} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'p99 ms':>7} {'p95/healthz':>11}"]
    for r in sorted(rows, key=lambda r: (r.name == "Aggregated", r.name)):
        lines.append(f"{r.name:<36} {r.requests:>8} {r.failures:>6} {r.p50:>7} {r.p95:>7} "
                     f"{r.p99:>7} {ratio(r.p95):>11}")
    return lines
