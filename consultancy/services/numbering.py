"""Sequential, never reused reference numbers, safe under concurrent transactions."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from consultancy.extensions import db
from consultancy.models import ReferenceCounter

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_number(kind: str, year: int, session=None) -> int:
    """Take the next number of `kind` in `year`.

    One atomic upsert: concurrent callers queue on the counter row (PostgreSQL row lock,
    SQLite's write lock) and each gets its own number. A number taken in a transaction
    that rolls back was never issued to anyone; once committed it is never given again.
    """
    session = session or db.session
    insert = _UPSERT[session.get_bind().dialect.name](ReferenceCounter)
    statement = (
        insert.values(kind=kind, year=year, last=1)
        .on_conflict_do_update(index_elements=["kind", "year"],
                               set_={"last": ReferenceCounter.last + 1})
        .returning(ReferenceCounter.last)
    )
    return session.execute(statement).scalar_one()


def application_reference(year: int, number: int) -> str:
    return f"ANS-{year}-{number:04d}"


def engagement_reference(year: int, number: int) -> str:
    return f"FORL-{year}-{number:03d}"
