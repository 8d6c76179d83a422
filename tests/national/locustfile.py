"""The load test's people (locust): consultants, Team Dagtilbud, evaluators and administrators,
each signing in through the login form (with its CSRF token) as an account of their role and
opening pages of their role with a pause of 0.5-1.5 s between them, like a person clicking.
Every person also opens `/healthz` now and then, the anchor measured in the same run.

Run by `tests.national.load` (`make benchmark-national`), which writes the plan this reads:
NATIONAL_LOAD_PLAN names a JSON file {role: {"count": n, "password": ..., "people":
[{"email": ..., "pages": [[name, path], ...]}, ...]}}.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["NATIONAL_LOAD_PLAN"]).read_text(encoding="utf-8"))
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    role = ""

    def on_start(self) -> None:
        plan = PLAN[self.role]
        person = plan["people"][next(type(self).numbers) % len(plan["people"])]
        self.pages = person["pages"] + [["healthz (anchor)", "/healthz"]]
        form = self.client.get("/login", name="sign in (form)")
        token = CSRF_TOKEN.search(form.text)
        with self.client.post("/login", name="sign in", allow_redirects=False, catch_response=True,
                              data={"email": person["email"], "password": plan["password"],
                                    "csrf_token": token.group(1) if token else "",
                                    "next": ""}) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused: {response.status_code}")

    @task
    def open_a_page(self) -> None:
        name, path = random.choice(self.pages)
        self.client.get(path, name=name)


def _person(role: str) -> type[_Person]:
    return type(f"{role.title()}User", (_Person,), {
        "role": role, "fixed_count": PLAN[role]["count"], "numbers": itertools.count()})


ConsultantUser = _person("consultant")
TeamUser = _person("team")
EvaluatorUser = _person("evaluator")
AdminUser = _person("admin")
