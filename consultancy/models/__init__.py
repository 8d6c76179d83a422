"""All models, imported here so that Alembic and the mappers see every table; with the enums
they store (defined in consultancy.enums), so that one import gives the whole vocabulary."""
from consultancy.enums import (
    ApplicantKind,
    ApplicationStatus,
    Channel,
    EngagementStatus,
    FlagEventKind,
    InstrumentKind,
    Intake,
    MemberRole,
    MissingCode,
    Occasion,
    Ownership,
    Region,
    RespondentRole,
    Role,
    RunStatus,
    SessionFormat,
    SessionStatus,
    Severity,
    SubFormat,
    ThemeGroup,
    UnitKind,
    VersionStatus,
)
from consultancy.models.applications import (
    Application,
    ApplicationUnit,
    CriteriaSet,
    Criterion,
    Review,
    Round,
    Score,
)
from consultancy.models.audit import AuditEntry, ThrottleEvent
from consultancy.models.engagements import (
    Engagement,
    EngagementContact,
    EngagementMember,
    EngagementPhaseChange,
    EngagementSession,
    EngagementStatusChange,
    EngagementTheme,
    EngagementUnit,
    SessionConsultant,
    SessionTheme,
    SessionUnit,
    Theme,
)
from consultancy.models.evaluation import (
    Answer,
    CaseScore,
    Dimension,
    Instrument,
    InstrumentVersion,
    Item,
    ItemTheme,
    Response,
)
from consultancy.models.flags import SEVERITY_ORDER, Flag, FlagEvent, FlagRule
from consultancy.models.jobs import JobClaim, JobRun
from consultancy.models.numbering import ReferenceCounter
from consultancy.models.reference import DaycareUnit, EngagementType, Municipality
from consultancy.models.users import LANGUAGES, ApiToken, User, UserSession

__all__ = [
    "ApiToken",
    "Answer", "Dimension", "Instrument", "InstrumentKind", "InstrumentVersion", "Item",
    "ItemTheme", "MissingCode", "Occasion", "RespondentRole", "Response", "VersionStatus",
    "CaseScore",
    "ApplicantKind", "Application", "ApplicationStatus", "ApplicationUnit", "AuditEntry",
    "Channel", "CriteriaSet", "Criterion", "DaycareUnit", "Engagement", "EngagementStatus",
    "EngagementContact", "EngagementMember", "EngagementPhaseChange", "Flag", "FlagEvent",
    "FlagEventKind", "FlagRule", "JobClaim", "JobRun", "RunStatus", "SEVERITY_ORDER", "Severity",
    "EngagementSession", "EngagementStatusChange",
    "EngagementTheme", "EngagementType", "EngagementUnit", "MemberRole", "SessionConsultant",
    "SessionFormat", "SessionStatus", "SessionTheme", "SessionUnit", "SubFormat", "Theme",
    "ThemeGroup", "Intake", "LANGUAGES", "Municipality", "Ownership",
    "ReferenceCounter", "Region", "Review", "Role", "Round", "Score", "ThrottleEvent",
    "UnitKind", "User", "UserSession",
]
