"""The password policy, applied wherever a person chooses a password: the account page, an
administrator creating a user or setting a password, and `flask users create`."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from consultancy.rules.passwords import Weakness, weakness
from consultancy.services import Refusal


class PasswordRefused(Refusal):
    """A new password the policy refuses."""


def _message(found: Weakness) -> str:
    if found is Weakness.TOO_SHORT:
        return _("Use at least %(count)d characters.",
                 count=current_app.config["PASSWORD_MIN_LENGTH"])
    if found is Weakness.UNCHANGED:
        return _("Choose a password other than the current one.")
    if found is Weakness.PERSONAL:
        return _("The password must not contain the e-mail address or the name of the user.")
    return _("The password is too easy to guess. Use several words that do not belong "
             "together, or a short sentence, and avoid common passwords, repeats such as "
             "aaa and sequences such as 1234.")


def check_new_password(password: str, *, email: str, name: str, current: str | None = None,
                       field: str = "password") -> None:
    """Refuse `password` for the account with `email` and `name` unless the policy accepts
    it. `current`: the account's current password, only once it has been checked (never
    compare a guess against the stored hash here: that would test guesses unthrottled)."""
    config = current_app.config
    found = weakness(password, min_length=config["PASSWORD_MIN_LENGTH"],
                     min_score=config["PASSWORD_MIN_SCORE"], email=email or "",
                     name=name or "", current=current)
    if found is not None:
        raise PasswordRefused(_message(found), field)
