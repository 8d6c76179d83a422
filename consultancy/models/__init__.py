"""All models, imported here so that Alembic and the mappers see every table."""
from consultancy.models.audit import AuditEntry, ThrottleEvent
from consultancy.models.users import LANGUAGES, Role, User

__all__ = ["AuditEntry", "LANGUAGES", "Role", "ThrottleEvent", "User"]
