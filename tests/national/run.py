"""`python -m tests.national.run` (`make benchmark-national`): the national-scale benchmark.

1. Drops and creates the PostgreSQL database NATIONAL_DATABASE (consultancy_national) on
   PGHOST/PGPORT as PGUSER (127.0.0.1, 5432, postgres), migrates it (`flask db upgrade`)
   and loads the demo (`flask demo load`).
2. Generates ten years of national data with COPY and derives what the app stores from it
   (`generate`), printing the rows and the seconds of each step.
3. Measures every main page in-process (`pages`): status, SQL statements, rows returned,
   median of warm requests, and its ratio to `/healthz` measured the same way.
4. Runs the load test (`load`): 20 people against gunicorn with 3 workers for
   NATIONAL_LOAD_SECONDS (60) seconds, printing p50/p95/p99 and errors per page beside
   `/healthz`.

`--reuse` skips 1 and 2 on a database generated before; `--small` generates the small scale
the test in the default run uses; `--no-load` skips 4.
"""
from __future__ import annotations

import argparse
import logging
import os
import time

from consultancy import create_app
from consultancy.extensions import db
from consultancy.services.clock import local_today
from tests.national import database, load, pages


def _heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get(
        "NATIONAL_DATABASE", "consultancy_national"))
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database generated before")
    parser.add_argument("--small", action="store_true", help="the small scale")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--load-seconds", type=int, default=int(os.environ.get(
        "NATIONAL_LOAD_SECONDS", "60")))
    parser.add_argument("--users", type=int, default=sum(load.PEOPLE.values()))
    args = parser.parse_args(argv)
    scale = "small" if args.small else "national"
    url = database.server_url(args.database)
    began = time.perf_counter()

    if not args.reuse:
        _heading(f"database {args.database}: create, migrate, demo")
        step = time.perf_counter()
        database.prepare(url)
        print(f"  {time.perf_counter() - step:.1f} s", flush=True)
    # The request log would print a line per request; the pages are measured without it.
    logging.getLogger("consultancy.request").setLevel(logging.WARNING)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": database.app_environment(url)["SECRET_KEY"]})
    if not args.reuse:
        _heading("national data: generate with COPY, then derive")
        step = time.perf_counter()
        database.generate(url, scale)
        print(f"  generated and derived in {time.perf_counter() - step:.1f} s", flush=True)
    with app.app_context():
        cases = pages.big_cases()
        page_list = pages.pages(cases)
        users = pages.users_by_role(lead_of=cases[max(cases)])
        load_plan = load.plan(cases, local_today())
        db.session.remove()

    _heading(f"pages: median of up to {pages.TIMED} warm requests after {pages.WARM_UPS} "
             "warm-ups, in-process (test client)")
    print(pages.HEADER, flush=True)
    anchor = []  # /healthz comes first

    def show(result: pages.Measured) -> None:
        anchor.append(result.median_ms)
        print(pages.line(result, anchor[0]), flush=True)
    pages.measure(app, page_list, users, on_result=show)
    with app.app_context():
        db.engine.dispose()

    if not args.no_load:
        roles = ", ".join(f"{n} {role}" for role, n in load.PEOPLE.items())
        _heading(f"load: {args.users} people ({roles}), pauses 0.5-1.5 s, "
                 f"{args.load_seconds} s, gunicorn with {load.WORKERS} workers")
        rows, errors = load.run(url, load_plan, args.load_seconds, args.users)
        for line in load.table(rows):
            print(line)
        for line in errors:
            print(line)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
