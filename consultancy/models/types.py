"""Column types shared by the models."""
import enum
from datetime import timezone

import sqlalchemy as sa


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
