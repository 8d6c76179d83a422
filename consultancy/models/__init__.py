"""All models, imported here so that Alembic and the mappers see every table."""
from consultancy.models.applications import (
    ApplicantKind, Application, ApplicationStatus, ApplicationUnit, Channel, CriteriaSet,
    Criterion, Review, Round, Score,
)
from consultancy.models.audit import AuditEntry, ThrottleEvent
from consultancy.models.engagements import (
    Engagement, EngagementContact, EngagementMember, EngagementSession, EngagementStatus,
    EngagementPhaseChange, EngagementStatusChange, EngagementTheme, EngagementUnit, MemberRole, SessionConsultant,
    SessionFormat, SessionStatus, SessionTheme, SessionUnit, SubFormat, Theme, ThemeGroup,
)
from consultancy.models.evaluation import (
    Answer, Dimension, Instrument, InstrumentKind, InstrumentVersion, Item, ItemTheme, MissingCode,
    Occasion, RespondentRole, Response, VersionStatus,
)
from consultancy.models.flags import SEVERITY_ORDER, Flag, FlagEvent, FlagEventKind, FlagRule, Severity
from consultancy.models.jobs import JobClaim, JobRun, RunStatus
from consultancy.models.numbering import ReferenceCounter
from consultancy.models.reference import (
    DaycareUnit, EngagementType, Intake, Municipality, Ownership, Region, UnitKind,
)
from consultancy.models.users import LANGUAGES, ApiToken, Role, User, UserSession

__all__ = [
    "ApiToken",
    "Answer", "Dimension", "Instrument", "InstrumentKind", "InstrumentVersion", "Item",
    "ItemTheme", "MissingCode", "Occasion", "RespondentRole", "Response", "VersionStatus",
    "ApplicantKind", "Application", "ApplicationStatus", "ApplicationUnit", "AuditEntry",
    "Channel", "CriteriaSet", "Criterion", "DaycareUnit", "Engagement", "EngagementStatus",
    "EngagementContact", "EngagementMember", "EngagementPhaseChange", "Flag", "FlagEvent",
    "FlagEventKind", "FlagRule", "JobClaim", "JobRun", "RunStatus", "SEVERITY_ORDER", "Severity", "EngagementSession", "EngagementStatusChange",
    "EngagementTheme", "EngagementType", "EngagementUnit", "MemberRole", "SessionConsultant",
    "SessionFormat", "SessionStatus", "SessionTheme", "SessionUnit", "SubFormat", "Theme",
    "ThemeGroup", "Intake", "LANGUAGES", "Municipality", "Ownership",
    "ReferenceCounter", "Region", "Review", "Role", "Round", "Score", "ThrottleEvent",
    "UnitKind", "User", "UserSession",
]
