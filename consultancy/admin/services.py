"""Managing users, types of course and flag rules. Callers own the transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _, ngettext

from consultancy.admin.flag_rules import override_field
from consultancy.api import tokens
from consultancy.auth import sessions
from consultancy.auth.passwords import check_new_password
from consultancy.extensions import db
from consultancy.flags.catalogue import spec_of
from consultancy.models import (
    Application,
    Engagement,
    EngagementType,
    FlagRule,
    Role,
    Round,
    Severity,
    User,
)
from consultancy.models.users import normalise_email
from consultancy.security.validators import text_problem
from consultancy.services import Refusal


class UserError(Refusal):
    """A change to an account or a setting that the rules refuse."""


def email_taken(email: str, except_user: User | None = None) -> bool:
    query = sa.select(User.id).where(User.email == normalise_email(email))
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


NAME_MAX_LENGTH = 120


def check_account(email: str, name: str, password: str | None) -> None:
    """The rules every account meets, whether it comes from a form or the command line.
    A password is judged without the account's current one: comparing it with the stored
    hash would let an administrator test guesses of someone's password."""
    for value, field in ((email, "email"), (name, "name")):
        if problem := text_problem(value):
            raise UserError(str(problem), field)
    if not name.strip():
        raise UserError(_("Enter a name."), "name")
    if len(name.strip()) > NAME_MAX_LENGTH:
        raise UserError(_("Use at most %(count)d characters.", count=NAME_MAX_LENGTH), "name")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise UserError(_("Enter a valid email address, e.g. name@kommune.dk."), "email") \
            from error
    if password is not None:
        check_new_password(password, email=email, name=name.strip())


def create_user(email: str, name: str, role: Role, password: str, language: str = "da",
                active: bool = True) -> User:
    check_account(email, name, password)
    if email_taken(email):
        raise UserError(_("A user with this email address already exists."), "email")
    user = User(email=email, name=name.strip(), role=role, language=language, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, acting: User, *, email: str, name: str, role: Role,
                language: str, active: bool, password: str | None, now: datetime) -> User:
    """Change an account. A new password, a deactivation or a new role signs the user out
    in every browser; a deactivation, or a role without API access, revokes the user's API
    tokens for good (a reactivated user needs new ones)."""
    if user.id == acting.id and role is not Role.ADMIN:
        raise UserError(_("You cannot remove your own administrator role."), "role")
    if user.id == acting.id and not active:
        raise UserError(_("You cannot deactivate your own account."), "active")
    check_account(email, name, password or None)
    if email_taken(email, except_user=user):
        raise UserError(_("A user with this email address already exists."), "email")
    ended = (sessions.DEACTIVATED if user.active and not active
             else sessions.ROLE if role is not user.role
             else sessions.PASSWORD if password else None)
    user.email = email
    user.name = name.strip()
    user.role = role
    user.language = language
    user.active = active
    if password:
        user.set_password(password)
    if ended:
        sessions.end_all(user, ended, now)
    if not active or role not in tokens.TOKEN_ROLES:
        tokens.revoke_all(user, now)
    db.session.flush()
    return user


TYPE_FIELDS = ("code", "name_da", "name_en", "intake", "default_length_months", "default_hours",
               "institutions_may_apply", "min_consultants", "active")


@dataclass(frozen=True)
class TypeUses:
    """What refers to a type of course: rows by its id, flag thresholds by its code."""
    cases: int
    applications: int
    rounds: int
    flag_rules: int  # rules with thresholds of their own for the type

    def __bool__(self) -> bool:
        return any((self.cases, self.applications, self.rounds, self.flag_rules))

    def code_fixed(self) -> str:
        """Why the code cannot change, for the form and for a refusal."""
        parts = [text for count, text in (
            (self.cases, ngettext("%(num)d case", "%(num)d cases", self.cases)),
            (self.applications, ngettext("%(num)d application", "%(num)d applications",
                                         self.applications)),
            (self.rounds, ngettext("%(num)d round", "%(num)d rounds", self.rounds)),
            (self.flag_rules, ngettext("%(num)d flag rule with thresholds of its own",
                                       "%(num)d flag rules with thresholds of their own",
                                       self.flag_rules))) if count]
        return _("The code cannot change once the type is in use: %(uses)s.",
                 uses=", ".join(parts))


def type_uses(engagement_type: EngagementType) -> TypeUses:
    def count(model) -> sa.ScalarSelect:
        return sa.select(sa.func.count()).where(
            model.engagement_type_id == engagement_type.id).scalar_subquery()

    cases, applications, rounds = db.session.execute(sa.select(
        count(Engagement), count(Application), count(Round))).one()
    rules = sum(engagement_type.code in rule.type_params
                for rule in db.session.scalars(sa.select(FlagRule)))
    return TypeUses(cases, applications, rounds, rules)


def save_engagement_type(engagement_type: EngagementType | None, values: dict,
                         phases_from: EngagementType | None) -> EngagementType:
    """Create or change a type of course; a new type takes its phases from another. The
    code of a type in use is its identity: it stays (flag thresholds, exports and imports
    name the type by it)."""
    taken = sa.select(EngagementType.id).where(EngagementType.code == values["code"])
    if engagement_type is not None:
        taken = taken.where(EngagementType.id != engagement_type.id)
        if values["code"] != engagement_type.code and (uses := type_uses(engagement_type)):
            raise UserError(uses.code_fixed(), "code")
    if db.session.scalar(taken) is not None:
        raise UserError(_("Another type of course has this code."), "code")
    if engagement_type is None:
        engagement_type = EngagementType(phase_template=list(
            phases_from.phase_template) if phases_from else [])
        db.session.add(engagement_type)
    for name in TYPE_FIELDS:
        setattr(engagement_type, name, values[name])
    db.session.flush()
    return engagement_type


def _threshold(code: str, key: str, value, field: str) -> int:
    parameter = spec_of(code).parameter(key)
    if parameter is None:
        raise UserError(_("This rule has no setting %(key)s.", key=key), field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(_("Enter a whole number."), field)
    if not parameter.minimum <= value <= parameter.maximum:
        raise UserError(_("Enter a whole number from %(min)d to %(max)d.",
                          min=parameter.minimum, max=parameter.maximum), field)
    return value


def update_flag_rule(rule: FlagRule, severity: Severity, enabled: bool, params: dict,
                     type_params: dict) -> FlagRule:
    """Change how a flag rule judges: its severity, whether it runs, its thresholds and the
    thresholds of single types of course. A type without a value of its own (None or left
    out) uses the general one. Takes effect at the next flag pass."""
    wanted = {p.key for p in spec_of(rule.code).parameters}
    missing = sorted(wanted - params.keys())
    if missing:
        raise UserError(_("Enter a value."), missing[0])
    checked = {key: _threshold(rule.code, key, value, key)
               for key, value in sorted(params.items())}
    overrides: dict[str, dict[str, int]] = {}
    if type_params and not spec_of(rule.code).per_type:
        raise UserError(_("This rule judges applications; it has no values per type of "
                          "course."))
    known = set(db.session.scalars(sa.select(EngagementType.code)))
    for type_code, values in sorted(type_params.items()):
        if type_code not in known:
            raise UserError(_("There is no type of course with the code %(code)s.",
                              code=type_code))
        own = {key: _threshold(rule.code, key, value, override_field(type_code, key))
               for key, value in sorted(values.items()) if value is not None}
        if own:
            overrides[type_code] = own
    rule.severity = severity
    rule.enabled = enabled
    # New dicts, not changed ones: JSON columns notice only a new value (and so does the audit).
    rule.params = checked
    rule.type_params = overrides
    db.session.flush()
    return rule
