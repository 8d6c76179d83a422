"""Loading the records of the administrator's pages. Every page is for administrators only
(`role_required(Role.ADMIN)`, `consultancy.security.permissions`), who may see and change any of
them, so a record is only looked up here: a missing one is a 404."""
from __future__ import annotations

from flask import abort
from sqlalchemy.orm import selectinload

from consultancy.extensions import db
from consultancy.models import (
    Dimension,
    EngagementType,
    FlagRule,
    Instrument,
    InstrumentVersion,
    Item,
    User,
)
from consultancy.rules.text import has_control_characters


def load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def load_engagement_type(type_id: int) -> EngagementType:
    return db.get_or_404(EngagementType, type_id)


def load_flag_rule(code: str) -> FlagRule:
    if has_control_characters(code):
        abort(404)  # no rule has such a code, and PostgreSQL cannot be asked (NUL)
    return db.get_or_404(FlagRule, code)


def load_instrument(instrument_id: int) -> Instrument:
    return db.get_or_404(Instrument, instrument_id)


def load_version(version_id: int) -> InstrumentVersion:
    """An instrument version with its dimensions and items, which its pages show."""
    return db.get_or_404(InstrumentVersion, version_id, options=[
        selectinload(InstrumentVersion.dimensions),
        selectinload(InstrumentVersion.items)])


def load_dimension(dimension_id: int) -> Dimension:
    return db.get_or_404(Dimension, dimension_id)


def load_item(item_id: int) -> Item:
    return db.get_or_404(Item, item_id)
