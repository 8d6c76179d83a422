"""All models, imported here so that Alembic and the mappers see every table."""
from consultancy.models.applications import (
    ApplicantKind, Application, ApplicationStatus, ApplicationUnit, Channel, CriteriaSet,
    Criterion, Review, Round, Score,
)
from consultancy.models.audit import AuditEntry, ThrottleEvent
from consultancy.models.engagements import (
    Engagement, EngagementContact, EngagementMember, EngagementSession, EngagementStatus,
    EngagementStatusChange, EngagementTheme, EngagementUnit, MemberRole, SessionConsultant,
    SessionFormat, SessionStatus, SessionTheme, SessionUnit, SubFormat, Theme, ThemeGroup,
)
from consultancy.models.numbering import ReferenceCounter
from consultancy.models.reference import (
    DaycareUnit, EngagementType, Intake, Municipality, Ownership, Region, UnitKind,
)
from consultancy.models.users import LANGUAGES, Role, User

__all__ = [
    "ApplicantKind", "Application", "ApplicationStatus", "ApplicationUnit", "AuditEntry",
    "Channel", "CriteriaSet", "Criterion", "DaycareUnit", "Engagement", "EngagementStatus",
    "EngagementContact", "EngagementMember", "EngagementSession", "EngagementStatusChange",
    "EngagementTheme", "EngagementType", "EngagementUnit", "MemberRole", "SessionConsultant",
    "SessionFormat", "SessionStatus", "SessionTheme", "SessionUnit", "SubFormat", "Theme",
    "ThemeGroup", "Intake", "LANGUAGES", "Municipality", "Ownership",
    "ReferenceCounter", "Region", "Review", "Role", "Round", "Score", "ThrottleEvent",
    "UnitKind", "User",
]
