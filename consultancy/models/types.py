"""Column types shared by the models, and SQL for the moments they hold."""
import enum
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored as UTC.

    PostgreSQL keeps the offset in `timestamptz`; SQLite keeps none, so values are
    normalised to UTC on the way in and marked UTC on the way out. Naive values are
    refused: they are the usual source of off-by-an-hour bugs around DST.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_class: type[enum.Enum], name: str, length: int = 24) -> sa.Enum:
    """A portable enum: a checked VARCHAR holding the member values, alike on both databases."""
    return sa.Enum(enum_class, native_enum=False, length=length, create_constraint=True, name=name,
                   values_callable=lambda members: [member.value for member in members])


# --- moments as people count them, in SQL -------------------------------------------------
# Two kinds of value order a mixed list of events (a case's timeline) the way Python's
# `astimezone(zone)` and `datetime.combine(day, time.max)` do: a UTC instant as the wall-clock
# time in a zone, and a day as its last moment. Both are timestamps without a zone on
# PostgreSQL and text of one form ("YYYY-MM-DD HH:MM:SS.ffffff") on SQLite, so they compare.

class local_moment(FunctionElement):  # noqa: N801 (used like a SQL function)
    """`local_moment(instant, zone)`: the wall-clock time in `zone` of a UTCDateTime column."""
    inherit_cache = True


@compiles(local_moment, "postgresql")
def _local_moment_postgresql(element, compiler, **kw):
    instant, zone = element.clauses
    return f"timezone({compiler.process(zone, **kw)}, {compiler.process(instant, **kw)})"


@compiles(local_moment, "sqlite")
def _local_moment_sqlite(element, compiler, **kw):
    # A function of each connection (`extensions._local_moment`).
    instant, zone = element.clauses
    return f"local_moment({compiler.process(instant, **kw)}, {compiler.process(zone, **kw)})"


class end_of_day(FunctionElement):  # noqa: N801
    """`end_of_day(day)`: the last moment of a date column's day, to compare with
    `local_moment`."""
    inherit_cache = True


@compiles(end_of_day, "postgresql")
def _end_of_day_postgresql(element, compiler, **kw):
    [day] = element.clauses
    return f"(CAST({compiler.process(day, **kw)} AS TIMESTAMP) + INTERVAL '23:59:59.999999')"


@compiles(end_of_day, "sqlite")
def _end_of_day_sqlite(element, compiler, **kw):
    [day] = element.clauses
    return f"({compiler.process(day, **kw)} || ' 23:59:59.999999')"
