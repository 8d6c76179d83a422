"""The small tables of an export, read once and keyed by database id: cases, units and
items, with the cases' and units' pseudonyms."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from consultancy.evaluation.effect_data.filters import (
    EffectFilters,
    response_conditions,
    versions_covered,
)
from consultancy.evaluation.summary import Filters, cases_matching
from consultancy.extensions import db
from consultancy.models import (
    Application,
    DaycareUnit,
    Dimension,
    Engagement,
    EngagementType,
    InstrumentVersion,
    Item,
    Response,
    Round,
)
from consultancy.security.pseudonyms import pseudonym, pseudonymisation_key


@dataclass
class Lookups:
    """The small tables, keyed by database id, that the chunks of answers are joined to in
    memory: cases (pseudonym, type, round, municipality), units (pseudonym, kind,
    ownership) and items (dimension, code, reverse-coded, scale, version label)."""
    cases: pd.DataFrame
    units: pd.DataFrame
    items: pd.DataFrame
    versions: list[InstrumentVersion]
    key: bytes


def _pseudonyms(kind: str, values, key: bytes) -> list[str]:
    return [pseudonym(kind, value, key) for value in values]


def _cases(filters: EffectFilters, key: bytes) -> pd.DataFrame:
    query = (sa.select(Engagement.id, EngagementType.code, Round.name,
                       Engagement.municipality_code)
             .join(EngagementType, Engagement.engagement_type_id == EngagementType.id)
             .outerjoin(Application, Engagement.application_id == Application.id)
             .outerjoin(Round, Application.round_id == Round.id)
             .order_by(Engagement.id))
    if filters.cases != Filters():
        query = query.where(Engagement.id.in_(cases_matching(filters.cases)))
    rows = db.session.execute(query).all()
    ids = [row[0] for row in rows]
    return pd.DataFrame({
        "engagement_id": pd.array(_pseudonyms("engagement", ids, key), dtype="str"),
        "engagement_type": pd.array([row[1] for row in rows], dtype="str"),
        "round": pd.array([row[2] for row in rows], dtype="str"),
        "municipality_code": pd.array([row[3] for row in rows], dtype="Int64"),
    }, index=pd.Index(ids, name="id"))


def _units(filters: EffectFilters, key: bytes) -> pd.DataFrame:
    answered = sa.select(Response.unit_id).where(*response_conditions(filters)).distinct()
    rows = db.session.execute(
        sa.select(DaycareUnit.id, sa.type_coerce(DaycareUnit.kind, sa.String),
                  sa.type_coerce(DaycareUnit.ownership, sa.String))
        .where(DaycareUnit.id.in_(answered)).order_by(DaycareUnit.id)).all()
    ids = [row[0] for row in rows]
    return pd.DataFrame({
        "unit_id": pd.array(_pseudonyms("unit", ids, key), dtype="str"),
        "unit_kind": pd.array([row[1] for row in rows], dtype="str"),
        "unit_ownership": pd.array([row[2] for row in rows], dtype="str"),
    }, index=pd.Index(ids, name="id"))


def _items(versions: list[InstrumentVersion]) -> pd.DataFrame:
    rows = db.session.execute(
        sa.select(Item.id, Dimension.code, Item.code, Item.reverse_coded, Item.version_id)
        .join(Dimension, Item.dimension_id == Dimension.id)
        .where(Item.version_id.in_([v.id for v in versions]))).all()
    by_id = {v.id: v for v in versions}
    return pd.DataFrame({
        "dimension": pd.array([row[1] for row in rows], dtype="str"),
        "item": pd.array([row[2] for row in rows], dtype="str"),
        "reverse_coded": pd.array([bool(row[3]) for row in rows], dtype="boolean"),
        "scale_min": pd.array([by_id[row[4]].scale_min for row in rows], dtype="Int64"),
        "scale_max": pd.array([by_id[row[4]].scale_max for row in rows], dtype="Int64"),
        "instrument_version": pd.array([by_id[row[4]].label for row in rows], dtype="str"),
    }, index=pd.Index([row[0] for row in rows], name="id"))


def lookups(filters: EffectFilters) -> Lookups:
    key = pseudonymisation_key()
    versions = versions_covered(filters)
    return Lookups(_cases(filters, key), _units(filters, key), _items(versions), versions, key)
