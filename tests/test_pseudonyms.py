"""Pseudonyms: a keyed hash per kind, stable for one key, different for another; the key's
fingerprint and where the key comes from, as the export manifest states them."""
from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from consultancy.security.pseudonyms import (
    DIGITS,
    PREFIXES,
    key_id,
    key_source,
    pseudonym,
    pseudonymisation_key,
    respondent_value,
)

PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)
SHAPE = re.compile(rf"([EUR])-[0-9a-f]{{{DIGITS}}}")


@pytest.fixture
def keyed(make_app):
    """An app context with SECRET_KEY and, when given, PSEUDONYM_KEY."""
    def enter(secret: str = "secret one", pseudonym_key=None):
        settings_ = {"SECRET_KEY": secret}
        if pseudonym_key is not None:
            settings_["PSEUDONYM_KEY"] = pseudonym_key
        context = make_app(**settings_).app_context()
        context.push()
        contexts.append(context)
    contexts = []
    yield enter
    for context in reversed(contexts):
        context.pop()


def test_without_its_own_key_the_key_is_derived_from_the_secret_key(keyed):
    keyed("secret one")
    expected = hmac.new(b"secret one", b"consultancy pseudonym key", hashlib.sha256).digest()
    assert pseudonymisation_key() == expected
    assert key_source() == "SECRET_KEY"
    assert key_id() == hmac.new(expected, b"key id", hashlib.sha256).hexdigest()[:8]
    assert pseudonym("engagement", 7) == "E-" + hmac.new(
        expected, b"engagement:7", hashlib.sha256).hexdigest()[:12]


@pytest.mark.parametrize("configured", ["a pseudonym key", b"a pseudonym key"])
def test_its_own_key_is_used_as_given_text_or_bytes(keyed, configured):
    keyed("secret one", pseudonym_key=configured)
    assert pseudonymisation_key() == b"a pseudonym key"
    assert key_source() == "PSEUDONYM_KEY"
    assert key_id() == key_id(b"a pseudonym key") == hmac.new(
        b"a pseudonym key", b"key id", hashlib.sha256).hexdigest()[:8]


def test_an_empty_pseudonym_key_counts_as_unset(keyed):
    keyed("secret one", pseudonym_key="")
    assert key_source() == "SECRET_KEY"
    assert pseudonymisation_key() == hmac.new(
        b"secret one", b"consultancy pseudonym key", hashlib.sha256).digest()


def test_a_new_secret_key_changes_derived_pseudonyms_but_not_those_of_an_own_key(keyed):
    found = {}
    for secret in ("secret one", "secret two"):
        keyed(secret)
        found[("derived", secret)] = (key_id(), pseudonym("unit", 5))
        keyed(secret, pseudonym_key="kept key")
        found[("own", secret)] = (key_id(), pseudonym("unit", 5))
    assert found[("derived", "secret one")] != found[("derived", "secret two")]
    assert found[("own", "secret one")] == found[("own", "secret two")]
    assert found[("own", "secret one")] != found[("derived", "secret one")]


def test_a_secret_key_given_as_bytes_derives_the_same_key_as_text(keyed):
    keyed("secret one")
    as_text = pseudonymisation_key()
    keyed(b"secret one")
    assert pseudonymisation_key() == as_text


def test_the_key_id_names_the_key_but_does_not_give_it_away(keyed):
    keyed("secret one")
    assert re.fullmatch(r"[0-9a-f]{8}", key_id())
    assert key_id().encode() not in pseudonymisation_key().hex().encode()
    assert key_id(b"key one") != key_id(b"key two")
    assert key_id(b"key one") == key_id(b"key one")


keys = st.binary(min_size=1, max_size=64)
values = st.one_of(st.integers(1, 10**9), st.text(min_size=1, max_size=30))


@PROPERTY
@given(kind=st.sampled_from(sorted(PREFIXES)), value=values, key=keys)
def test_a_pseudonym_has_its_kinds_letter_and_twelve_hex_digits(kind, value, key):
    made = pseudonym(kind, value, key)
    assert SHAPE.fullmatch(made) and made[0] == PREFIXES[kind]
    assert made == pseudonym(kind, value, key)  # stable


@PROPERTY
@given(value=values, key=keys)
def test_the_same_value_of_two_kinds_gets_unrelated_pseudonyms(value, key):
    made = {pseudonym(kind, value, key)[2:] for kind in PREFIXES}
    assert len(made) == len(PREFIXES)


@PROPERTY
@given(first=values, second=values, key=keys)
def test_two_values_get_two_pseudonyms(first, second, key):
    if str(first) != str(second):
        assert pseudonym("unit", first, key) != pseudonym("unit", second, key)


@PROPERTY
@given(value=values, first=keys, second=keys)
def test_another_key_gives_other_pseudonyms_and_another_key_id(value, first, second):
    if first != second:
        assert pseudonym("respondent", value, first) != pseudonym("respondent", value, second)
        assert key_id(first) != key_id(second)


def test_an_unknown_kind_is_refused(keyed):
    keyed()
    with pytest.raises(KeyError):
        pseudonym("person", 1)


def test_a_respondents_pseudonym_is_made_from_the_case_and_the_code(keyed):
    """The pages (one respondent) and the exports (a column of them) make the same value."""
    keyed()
    assert respondent_value("12", "R-7K2F3") == "12:R-7K2F3"
    assert pseudonym("respondent", respondent_value("12", "R-7K2F3")) \
        == pseudonym("respondent", "12:R-7K2F3")
    series = respondent_value(pd.Series(["12", "3"]), pd.Series(["R-7K2F3", "R-AB2CD"]))
    assert list(series) == ["12:R-7K2F3", "3:R-AB2CD"]
