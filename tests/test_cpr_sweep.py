"""A CPR number typed into any text field of any form, by any role, is refused with the
message next to the field, and nothing is written: not a row more in any table, and the
number nowhere in the database.

The forms are found by walking the pages as each role (tests/formwalk.py); every other
field holds a plausible value, so that the CPR number is what the form stumbles on.
"""
from __future__ import annotations

from datetime import datetime

import time_machine

from consultancy.extensions import db
from consultancy.services.clock import COPENHAGEN
from tests import formwalk

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=COPENHAGEN)
CPR = "010190-1234"
CPR_MESSAGE_DA = "Fjern cpr-nummeret. Det må aldrig gemmes her."


def _refusal_shown(client, response, form: formwalk.Form, name: str) -> str | None:
    """None when the field is refused next to it (or, for a small form on a page that
    sends you back, in the message at the top); else what happened instead."""
    if response.status_code in (301, 302, 303):
        page = client.get(response.location).get_data(as_text=True)
        shown = CPR_MESSAGE_DA in page
        return None if shown else f"{response.status_code} to {response.location}"
    page = formwalk.parse_page(client.application, form.action,
                               response.get_data(as_text=True))
    if not formwalk.is_refusal(response):
        return f"not refused ({response.status_code})"
    if name not in page.invalid:
        return "the field is not marked"
    return None


def test_a_cpr_number_in_any_text_field_is_refused_and_nothing_is_written(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    problems, swept = {}, 0
    with time_machine.travel(NOW, tick=False):
        users = formwalk.populate(app, NOW.date())
        forms = formwalk.walk(app, users)  # the walk's downloads are audited: count after it
        with app.app_context():
            before = formwalk.table_counts(db)
        for role, client, form in forms:
            fields = [f for f in form.typed_fields() if f.name != "csrf_token"]
            for field in fields:
                values = {other.name: other.plausible(NOW.date())[0]
                          for other in form.fields.values()
                          if other.name != "csrf_token" and other.kind != "submit"}
                values[field.name] = CPR
                response = formwalk.submit(client, form, values)
                swept += 1
                problem = _refusal_shown(client, response, form, field.name)
                if problem is None and field.free_text and response.status_code < 300 \
                        and CPR_MESSAGE_DA not in response.get_data(as_text=True):
                    problem = "refused, but not for the CPR number"
                if problem:
                    problems[role.value if role else "anonymous", form.endpoint,
                             field.name] = problem
        with app.app_context():
            after = formwalk.table_counts(db)
            stored = sorted({column for column, value in formwalk.text_values(db)
                             if "010190" in value.replace(".", "")})
    assert swept > 60
    assert problems == {}
    assert {table: (before[table], after[table]) for table in before
            if before[table] != after[table]} == {}
    assert stored == []
