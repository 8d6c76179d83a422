"""A bounded fuzz of every form of every role: random and hostile values, with valid CSRF
tokens, must never give an error page, and a refused form shows again what was typed.

The forms are found by walking the pages (tests/formwalk.py) as each role, with CSRF on;
each distinct form gets EXAMPLES examples from hypothesis with a fixed seed
(derandomize), so the run is repeatable and takes well under a minute. Values: numbers
past every column's range, NUL and other control characters, unicode, empty, very long,
wrong types, dates out of range, CPR numbers in several spellings, fields left out and
fields sent twice.
"""
from __future__ import annotations

import io
import os
from datetime import datetime

import time_machine
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from consultancy.extensions import db
from consultancy.services.clock import COPENHAGEN
from tests import formwalk

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=COPENHAGEN)
# Per distinct form; FUZZ_EXAMPLES=200 for a longer search by hand (the same seed).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 12))
HOSTILE = [
    "99999999999999999999", "-99999999999999999999", str(2**31), str(2**63), "-1", "0",
    "1e999", "NaN", "Infinity", "-0", "0x1F", "1_000", "²", "٣", "１２",
    "", " ", "\t", "\x00", "a\x00b", "\x1b[31m", "\u202eevil", "\ufeff", "😀" * 3,
    "Ærø Å æøå", "x" * 6000, "ø" * 300,
    "9999-12-31", "0001-01-01", "2026-02-30", "31-12-2026", "2026-11-23T25:61",
    "010190-1234", "0101901234", "01.01.90-1234", "010190 1234",
    "<script>alert(1)</script>", "' OR 1=1 --", "=HYPERLINK(\"x\")", "{{7*7}}", "%s%n",
    "../../etc/passwd", "/\r\nX-Evil: 1", "//example.org", "null", "true", "[]", "{}",
]
# Never fuzzed: the CSRF token is kept valid; signing out would end the walk.
KEPT = {"csrf_token"}
SKIPPED_ENDPOINTS = {"auth.logout"}
# Run last: a success changes or removes what the other forms work on.
LAST_WORDS = ("delete", "discard", "withdraw", "remove", "unassign", "end", "publish",
              "decision", "user_edit", "password")


CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\x7f"]


def values_for(field: formwalk.FormField):
    text = st.one_of(
        st.sampled_from(HOSTILE),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
        st.integers(-10**25, 10**25).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
        # A control character inside a value that would otherwise be accepted.
        st.tuples(plausible(field), st.sampled_from(CONTROL)).map(
            lambda pair: f"{pair[0]}{pair[1]}x" if isinstance(pair[0], str) else pair[1]),
    )
    if field.kind == "file":
        return st.tuples(st.sampled_from([b"", b"case,unit\n\"x", b"PK\x03\x04junk",
                                          b"a;b\r\n1;2\x00", b"\xff\xfe\x00"]),
                         st.sampled_from(["svar.csv", "svar.xlsx", "svar.txt", ""]))
    if field.options:
        text = st.one_of(st.sampled_from(field.options), text)
    if field.kind in ("select-multiple", "checkbox"):
        return st.one_of(text, st.lists(text, max_size=3))
    if field.kind in formwalk.TEXT_INPUTS:
        # A browser strips line breaks from a one-line input.
        return text.map(lambda value: value.replace("\r", "").replace("\n", ""))
    return text


def plausible(field: formwalk.FormField):
    """A value a careful user could send, so that the hostile ones reach the services."""
    return st.sampled_from(field.plausible(NOW.date()))


@st.composite
def attacks(draw, form: formwalk.Form):
    """A plausible form with one to three fields hostile and up to two left out."""
    names = [name for name in form.fields if name not in KEPT]
    values = {name: draw(plausible(form.fields[name])) for name in names
              if form.fields[name].kind != "submit"}  # the button pressed: see Form.data
    hostile = draw(st.lists(st.sampled_from(names), unique=True, min_size=1,
                            max_size=min(len(names), 3)))
    values |= {name: draw(values_for(form.fields[name])) for name in hostile}
    missing = draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
    return {name: value for name, value in values.items() if name not in missing}, missing


def _order(form: formwalk.Form) -> tuple:
    return (any(word in (form.endpoint or "") for word in LAST_WORDS), form.endpoint)


def distinct_forms(app, users) -> list[tuple]:
    """(role, client, form) once per form that differs (the same form for two roles is
    posted by the first), in the order: harmless first, destructive last."""
    seen, chosen = set(), []
    for role, client, form in formwalk.walk(app, users):
        key = (form.endpoint, frozenset(form.fields))
        fuzzable = set(form.fields) - KEPT
        if key in seen or form.endpoint in SKIPPED_ENDPOINTS or not fuzzable:
            continue
        seen.add(key)
        chosen.append((role, client, form))
    return sorted(chosen, key=lambda entry: _order(entry[2]))


def _sendable(value):
    """What the harness sends for a drawn value (a file as a fresh stream each time)."""
    if isinstance(value, tuple):
        return (io.BytesIO(value[0]).getvalue(), value[1])
    return value


def fuzz(app, client, form, problems: list) -> None:
    @settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(attacks(form))
    def attack(drawn):
        values, missing = drawn
        sent = {name: _sendable(value) for name, value in values.items()}
        try:
            response = formwalk.submit(client, form, sent, missing)
        except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
            problems.append((form.endpoint, "500", repr(error)[:300], values, missing))
            return
        if response.status_code >= 500:
            problems.append((form.endpoint, response.status_code, values, missing))
        elif formwalk.is_refusal(response):
            typed = {name: value for name, value in sent.items()
                     if isinstance(value, str) and form.fields[name].typed}
            lost = formwalk.shown_again(app, response, form, typed)
            if lost and response.mimetype == "text/html":
                problems.append((form.endpoint, "input lost", response.status_code, lost))
    attack()


def test_every_form_of_every_role_survives_hostile_values(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    problems: list = []
    with time_machine.travel(NOW, tick=False):
        users = formwalk.populate(app, NOW.date())
        forms = distinct_forms(app, users)
        assert len(forms) >= 35
        assert formwalk.post_routes(app) - {form.endpoint for _role, _c, form in forms} \
            <= SKIPPED_ENDPOINTS | BUTTONS_ONLY
        for _role, client, form in forms:
            fuzz(app, client, form, problems)
    first = {}
    for problem in problems:
        first.setdefault((problem[0], problem[1]), problem)
    assert list(first.values()) == []
    with app.app_context():
        assert [column for column, value in formwalk.text_values(db)
                if "\x00" in value] == []


# Forms with nothing to type or choose (a button and its CSRF token): nothing to fuzz.
BUTTONS_ONLY = {
    "engagements.member_end", "engagements.contact_delete", "applications.unassign",
    "evaluation.response_delete", "admin.instrument_default", "admin.instrument_new_version",
    "admin.instrument_dimension_delete", "admin.instrument_item_delete",
    "admin.instrument_discard", "admin.instrument_publish",
}
