"""What makes a new password unacceptable: too short, the password it replaces, built on
the account's own e-mail address or name, or easy to guess by zxcvbn's estimate (which
knows common passwords, words, names, keyboard patterns, repeats and sequences)."""
from __future__ import annotations

import enum
import re

# zxcvbn refuses longer input; the first characters of a long password decide.
JUDGED_LENGTH = 72
# Shorter parts of an e-mail address or a name ("jo", "dk") are too common to refuse.
PERSONAL_MIN_LENGTH = 3


class Weakness(enum.Enum):
    TOO_SHORT = "too_short"
    UNCHANGED = "unchanged"
    PERSONAL = "personal"
    GUESSABLE = "guessable"


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _long_enough(words) -> list[str]:
    return [word for word in words if len(_letters(word)) >= PERSONAL_MIN_LENGTH]


def weakness(password: str, *, min_length: int, min_score: int, email: str = "",
             name: str = "", current: str | None = None) -> Weakness | None:
    """Why `password` will not do for the account with `email` and `name`, or None.
    `current`: the password it replaces, when known."""
    if len(password) < min_length:
        return Weakness.TOO_SHORT
    if current is not None and password == current:
        return Weakness.UNCHANGED
    local = email.partition("@")[0]
    letters = _letters(password)
    parts = []
    for whole in (local, name):
        # The whole local part or name, or all of its parts in any order ("hansen.jens"),
        # in any case and with any separators between.
        words = _long_enough(re.split(r"[\W_]+", whole))
        if (len(_letters(whole)) >= PERSONAL_MIN_LENGTH and _letters(whole) in letters) or (
                len(words) > 1 and all(_letters(word) in letters for word in words)):
            return Weakness.PERSONAL
        parts += words
    # The parts count as known words: a password built on one of them scores lower.
    known = _long_enough([email, local, name]) + parts
    from zxcvbn import zxcvbn  # 13 MB of word lists: loaded when a password is judged

    if zxcvbn(password[:JUDGED_LENGTH], user_inputs=known)["score"] < min_score:
        return Weakness.GUESSABLE
    return None
