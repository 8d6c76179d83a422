"""Evaluation instruments: create them, version them, edit a draft version and publish it.

A published version never changes: responses point at it, and an answer means what the
version asked. Every change to a version goes through `editable`, the one place that
refuses a published one; a change is made in a new draft version (`new_version`).

Kinds are never pooled: an instrument is a self-assessment or an observation for good, and
only a self-assessment can be the default. Callers own the transaction (these functions
only flush); the audit trail records every change by itself.
"""
from __future__ import annotations

import copy
import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.extensions import db
from consultancy.models import (
    Dimension,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    ItemTheme,
    Response,
    Theme,
    VersionStatus,
)
from consultancy.services import Refusal

INSTRUMENT_CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")
DIMENSION_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")
ITEM_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,3}")
NAME_MAX = 160
ANCHOR_MAX = 80
TEXT_MAX = 2000
# Licensed observation instruments (KIDS, ECERS-3 ...) are stored without their item text:
# an observation item's wording is a code or a short label of our own.
LABEL_MAX = 120
SCALE_MIN = 1
SCALE_MAXIMA = (5, 6, 7)
LANGUAGES = ("da", "en")

DEFAULT_ANCHORS = {
    "1": {"da": "Passer slet ikke", "en": "Not at all true"},
    "2": {"da": "Passer i mindre grad", "en": "Slightly true"},
    "3": {"da": "Passer i nogen grad", "en": "Somewhat true"},
    "4": {"da": "Passer i høj grad", "en": "Largely true"},
    "5": {"da": "Passer helt", "en": "Completely true"},
}


class InstrumentError(Refusal):
    """A change to an instrument that the rules refuse."""


def anchor_field(point: int, language: str) -> str:
    """The form field of a scale point's label, e.g. `anchor_3_da`."""
    return f"anchor_{point}_{language}"


def editable(version: InstrumentVersion) -> InstrumentVersion:
    """The version, if it may still change; a published one never does."""
    if version.published:
        raise InstrumentError(_(
            "%(label)s is published and can no longer be changed: responses point at it. "
            "Make a new version to change the instrument.", label=version.label))
    return version


def _text(value: str | None, field: str, maximum: int, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InstrumentError(missing, field)
    if len(value) > maximum:
        raise InstrumentError(_("Use at most %(count)d characters.", count=maximum), field)
    return value


def _names(name_da: str | None, name_en: str | None) -> tuple[str, str]:
    return (_text(name_da, "name_da", NAME_MAX, _("Enter a name.")),
            _text(name_en, "name_en", NAME_MAX, _("Enter a name.")))


# --- instruments ---------------------------------------------------------------------------

def create_instrument(code: str, kind: InstrumentKind, name_da: str,
                      name_en: str) -> Instrument:
    """A new instrument with a draft version 1 on a 1–5 scale with the default labels."""
    code = (code or "").strip()
    if not INSTRUMENT_CODE.fullmatch(code):
        raise InstrumentError(_("Use 2 to 32 lower-case letters, digits and _, starting with "
                                "a letter, e.g. kids or ecers3."), "code")
    if db.session.scalar(sa.select(Instrument.id).where(Instrument.code == code)) is not None:
        raise InstrumentError(_("Another instrument has this code."), "code")
    if not isinstance(kind, InstrumentKind):
        raise InstrumentError(_("Choose the kind of instrument."), "kind")
    name_da, name_en = _names(name_da, name_en)
    instrument = Instrument(code=code, kind=kind, name_da=name_da, name_en=name_en,
                            is_default=False)
    instrument.versions.append(InstrumentVersion(
        number=1, status=VersionStatus.DRAFT, scale_min=SCALE_MIN, scale_max=5,
        anchors=copy.deepcopy(DEFAULT_ANCHORS)))
    db.session.add(instrument)
    db.session.flush()
    return instrument


def rename_instrument(instrument: Instrument, name_da: str, name_en: str) -> Instrument:
    """Names are not part of a version: they may change at any time."""
    instrument.name_da, instrument.name_en = _names(name_da, name_en)
    db.session.flush()
    return instrument


def latest_version(instrument: Instrument) -> InstrumentVersion | None:
    return max(instrument.versions, key=lambda v: v.number, default=None)


def draft_of(instrument: Instrument) -> InstrumentVersion | None:
    return next((v for v in instrument.versions if not v.published), None)


def new_version(instrument: Instrument) -> InstrumentVersion:
    """A draft copy of the latest version: scale, labels, dimensions, items and themes."""
    if (draft := draft_of(instrument)) is not None:
        raise InstrumentError(_("Version %(number)d is still a draft: change it, or publish "
                                "it before making another.", number=draft.number))
    source = latest_version(instrument)
    if source is None:
        raise InstrumentError(_("The instrument has no version to copy."))
    version = InstrumentVersion(
        number=source.number + 1, status=VersionStatus.DRAFT, scale_min=source.scale_min,
        scale_max=source.scale_max, anchors=copy.deepcopy(source.anchors))
    copies = {}
    for dimension in source.dimensions:
        copies[dimension.id] = Dimension(
            code=dimension.code, position=dimension.position, name_da=dimension.name_da,
            name_en=dimension.name_en)
        version.dimensions.append(copies[dimension.id])
    for item in source.items:
        version.items.append(Item(
            dimension=copies[item.dimension_id], code=item.code, position=item.position,
            text_da=item.text_da, text_en=item.text_en, reverse_coded=item.reverse_coded,
            themes=[ItemTheme(theme_id=link.theme_id) for link in item.themes]))
    instrument.versions.append(version)
    db.session.flush()
    return version


def set_default(instrument: Instrument) -> Instrument:
    """Make `instrument` the one summaries and exports use when none is asked for."""
    if instrument.kind is not InstrumentKind.SELF_ASSESSMENT:
        raise InstrumentError(_("Only a self-assessment can be the default instrument: "
                                "observations are never pooled with self-assessments."))
    if not any(v.published for v in instrument.versions):
        raise InstrumentError(_("Publish a version before making the instrument the "
                                "default."))
    for other in db.session.scalars(sa.select(Instrument).where(
            Instrument.is_default, Instrument.id != instrument.id)):
        other.is_default = False
    instrument.is_default = True
    db.session.flush()
    return instrument


def discard_draft(version: InstrumentVersion) -> Instrument | None:
    """Delete a draft version; an instrument that had only that draft goes with it.
    Returns the instrument if it is still there."""
    editable(version)
    if db.session.scalar(sa.select(Response.id).where(
            Response.instrument_version_id == version.id).limit(1)) is not None:
        raise InstrumentError(_("Responses point at this version: it cannot be discarded."))
    instrument = version.instrument
    alone = len(instrument.versions) == 1
    instrument.versions.remove(version)
    db.session.delete(version)
    if alone:
        db.session.delete(instrument)
    db.session.flush()
    return None if alone else instrument


# --- a version: scale and labels -----------------------------------------------------------

def update_version_settings(version: InstrumentVersion, scale_max: int,
                            anchors: dict) -> InstrumentVersion:
    """The scale (1 to 5, 6 or 7) and a Danish and an English label for every point of it:
    `anchors` as {"1": {"da": ..., "en": ...}, ...}; labels beyond the scale are dropped."""
    editable(version)
    if isinstance(scale_max, bool) or scale_max not in SCALE_MAXIMA:
        raise InstrumentError(_("Choose a scale from 1 to 5, 6 or 7."), "scale_max")
    checked = {}
    for point in range(SCALE_MIN, scale_max + 1):
        given = anchors.get(str(point)) or {}
        checked[str(point)] = {
            language: _text(given.get(language), anchor_field(point, language), ANCHOR_MAX,
                            _("Enter a label for %(point)d.", point=point))
            for language in LANGUAGES}
    version.scale_min = SCALE_MIN
    version.scale_max = scale_max
    version.anchors = checked  # a new dict: JSON columns notice only a new value
    db.session.flush()
    return version


# --- dimensions and items ------------------------------------------------------------------

def _renumber(version: InstrumentVersion) -> None:
    """Positions 1, 2, 3 ... : dimensions in order, items in the order of their dimension."""
    dimensions = sorted(version.dimensions, key=lambda d: d.position)
    for position, dimension in enumerate(dimensions, start=1):
        dimension.position = position
    items = sorted(version.items, key=lambda i: (i.dimension.position, i.position))
    for position, item in enumerate(items, start=1):
        item.position = position


def _end(records) -> int:
    return max((r.position for r in records), default=0) + 1


def save_dimension(version: InstrumentVersion, code: str, name_da: str, name_en: str,
                   dimension: Dimension | None = None) -> Dimension:
    """Add a dimension at the end of the version, or change one of its dimensions."""
    editable(version)
    if dimension is not None and dimension.version is not version:
        raise InstrumentError(_("The dimension belongs to another version."))
    code = (code or "").strip()
    if not DIMENSION_CODE.fullmatch(code):
        raise InstrumentError(_("Use lower-case letters, digits and _, starting with a "
                                "letter, e.g. play."), "code")
    if any(d.code == code and d is not dimension for d in version.dimensions):
        raise InstrumentError(_("Another dimension of this version has this code."), "code")
    name_da, name_en = _names(name_da, name_en)
    if dimension is None:
        dimension = Dimension(position=_end(version.dimensions))
        version.dimensions.append(dimension)
    dimension.code, dimension.name_da, dimension.name_en = code, name_da, name_en
    _renumber(version)
    db.session.flush()
    return dimension


def delete_dimension(dimension: Dimension) -> None:
    version = editable(dimension.version)
    if any(item.dimension is dimension for item in version.items):
        raise InstrumentError(_("Delete or move the dimension's items first."))
    version.dimensions.remove(dimension)
    _renumber(version)
    db.session.flush()


def _themes(theme_ids, item: Item | None) -> list[Theme]:
    wanted = sorted(set(theme_ids or ()))
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(wanted)))) \
        if wanted else []
    kept = {link.theme_id for link in item.themes} if item is not None else set()
    if len(themes) != len(wanted) or any(not t.active and t.id not in kept for t in themes):
        raise InstrumentError(_("Choose among the themes shown."), "theme_ids")
    return themes


def save_item(version: InstrumentVersion, dimension: Dimension, code: str, text_da: str,
              text_en: str, reverse_coded: bool, theme_ids, item: Item | None = None) -> Item:
    """Add an item at the end of `dimension`, or change an item (moving it to the end of
    another dimension). The code is unique within the version and keeps meaning the same
    question from version to version."""
    editable(version)
    if item is not None and item.version is not version:
        raise InstrumentError(_("The item belongs to another version."))
    if dimension is None or dimension.version is not version:
        raise InstrumentError(_("Choose one of the version's dimensions."), "dimension_id")
    code = (code or "").strip().upper()
    if not ITEM_CODE.fullmatch(code):
        raise InstrumentError(_("Use 1 to 4 capital letters followed by 1 to 3 digits, "
                                "e.g. LM1."), "code")
    if any(i.code == code and i is not item for i in version.items):
        raise InstrumentError(_("Another item of this version has the code %(code)s.",
                                code=code), "code")
    observation = version.instrument.kind is InstrumentKind.OBSERVATION
    maximum = LABEL_MAX if observation else TEXT_MAX
    text_da = _text(text_da, "text_da", maximum, _("Enter the wording."))
    if observation and not (text_en or "").strip():
        text_en = text_da  # a code or short label needs no translation
    text_en = _text(text_en, "text_en", maximum, _("Enter the wording."))
    themes = _themes(theme_ids, item)
    if item is None:
        item = Item(dimension=dimension,
                    position=_end(i for i in version.items if i.dimension is dimension))
        version.items.append(item)
    elif item.dimension is not dimension:
        item.dimension = dimension
        item.position = _end(version.items)  # the end of its new dimension, once renumbered
    item.code, item.text_da, item.text_en = code, text_da, text_en
    item.reverse_coded = bool(reverse_coded)
    wanted = {theme.id for theme in themes}
    for link in [link for link in item.themes if link.theme_id not in wanted]:
        item.themes.remove(link)
    present = {link.theme_id for link in item.themes}
    item.themes.extend(ItemTheme(theme=theme) for theme in themes if theme.id not in present)
    _renumber(version)
    db.session.flush()
    return item


def delete_item(item: Item) -> None:
    version = editable(item.version)
    version.items.remove(item)
    _renumber(version)
    db.session.flush()


def _swap(records: list, record, direction: str) -> None:
    index = records.index(record)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(records):
        return  # already first or last: nothing to do
    records[index].position, records[other].position = \
        records[other].position, records[index].position


def move_dimension(dimension: Dimension, direction: str) -> None:
    """Move a dimension (with its items) one place "up" or "down"."""
    version = editable(dimension.version)
    _swap(sorted(version.dimensions, key=lambda d: d.position), dimension, direction)
    _renumber(version)
    db.session.flush()


def move_item(item: Item, direction: str) -> None:
    """Move an item one place "up" or "down" within its dimension."""
    version = editable(item.version)
    siblings = sorted((i for i in version.items if i.dimension is item.dimension),
                      key=lambda i: i.position)
    _swap(siblings, item, direction)
    _renumber(version)
    db.session.flush()


# --- publishing ----------------------------------------------------------------------------

def publish(version: InstrumentVersion, now: datetime) -> InstrumentVersion:
    """Publish a complete draft: from now on responses may point at it, and it is fixed."""
    editable(version)
    if not version.dimensions:
        raise InstrumentError(_("Add at least one dimension with an item before publishing."))
    for dimension in sorted(version.dimensions, key=lambda d: d.position):
        if not any(item.dimension is dimension for item in version.items):
            raise InstrumentError(_(
                "The dimension %(code)s has no items: add one, or delete the dimension.",
                code=dimension.code))
    for point in range(version.scale_min, version.scale_max + 1):
        label = version.anchors.get(str(point)) or {}
        if not all((label.get(language) or "").strip() for language in LANGUAGES):
            raise InstrumentError(_("Point %(point)d of the scale has no label in both "
                                    "languages.", point=point))
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    db.session.flush()
    return version
