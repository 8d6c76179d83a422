"""Pseudonyms for the ids that leave the system in exports.

A pseudonym is a keyed hash (HMAC-SHA256) of the kind and the value, cut to 12 hex
digits behind a letter for the kind: `E-3f9a0c1b2d4e`. The same key gives the same
pseudonym in every export, so an evaluator can link files and exports over time; without
the key nobody can go back from a pseudonym to the database id or the respondent code.

The key is the setting PSEUDONYM_KEY. Unset, it is derived from SECRET_KEY: then a new
SECRET_KEY (which also signs everyone out) changes every pseudonym, and files exported
before can no longer be linked to files exported after. Production should set its own.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

PREFIXES = {"engagement": "E", "unit": "U", "respondent": "R"}
DIGITS = 12
RESPONDENT_SEPARATOR = ":"  # between the case and the respondent code (`respondent_value`)


def pseudonymisation_key() -> bytes:
    configured = current_app.config.get("PSEUDONYM_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, b"consultancy pseudonym key", hashlib.sha256).digest()


def key_source() -> str:
    """"PSEUDONYM_KEY", or "SECRET_KEY" when the key is derived from it."""
    return "PSEUDONYM_KEY" if current_app.config.get("PSEUDONYM_KEY") else "SECRET_KEY"


def key_id(key: bytes | None = None) -> str:
    """A fingerprint of the key (not the key): two exports with the same key id have
    pseudonyms that can be linked."""
    key = pseudonymisation_key() if key is None else key
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:8]


def respondent_value(engagement_id, code):
    """What a respondent's pseudonym is made from: the case and the respondent code,
    "12:R-7K2F3", as strings. Works alike on two pandas Series of strings; the exports join
    Arrow arrays with RESPONDENT_SEPARATOR alike."""
    return engagement_id + RESPONDENT_SEPARATOR + code


def pseudonym(kind: str, value, key: bytes | None = None) -> str:
    """The pseudonym of `value` (an id, or `respondent_value(...)`) of `kind` (engagement,
    unit, respondent). Give `key` when calling it many times; by default the app's key."""
    prefix = PREFIXES[kind]
    key = pseudonymisation_key() if key is None else key
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:DIGITS]}"
