"""Browser tests: the real application under gunicorn, driven by Chromium through Playwright.

`make e2e` runs them (they are outside the default `make test`). The server runs on a free
port against a fresh database with the demo data: SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set (a database of its own is created and dropped). Chromium is
Debian's (`/usr/bin/chromium`, or CHROMIUM_PATH); no browser is downloaded.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / ".cache" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "demo-praksis"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True)


@contextmanager
def _serving(url: str, tmp: Path):
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": url, "FLASK_SECRET_KEY": "e2e secret",
           "FLASK_ENV": "development"}
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "load")
    port = _free_port()
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer; see {tmp / 'gunicorn.log'}")
        yield base, env
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The base URL of the running application, and the environment of its CLI."""
    tmp = tmp_path_factory.mktemp("e2e")
    with scratch_database(tmp, "e2e") as url, _serving(url, tmp) as served:
        yield served


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server[0]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, base_url):
    """Open a page in a fresh browser context (own cookies) at desktop or phone size.

    Every request outside the application is refused and recorded: no page may reach out."""
    contexts = []

    def make(viewport=DESKTOP, locale="da-DK"):
        context = browser.new_context(viewport=viewport, locale=locale, base_url=base_url)
        context.outside_requests = []

        def guard(route):
            if route.request.url.startswith(base_url):
                return route.continue_()
            context.outside_requests.append(route.request.url)
            return route.abort()
        context.route("**/*", guard)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        assert context.outside_requests == [], "a page requested something outside the app"
        context.close()


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_label("Adgangskode").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (fetched from the npm registry by `make e2e`) on the page."""
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
