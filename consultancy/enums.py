"""The enumerations of the domain (roles, statuses, kinds, formats), with nothing but the
standard library beneath them: the models store them, the pure rules reason about them.

Their labels for people are translations, registered where Flask-Babel is at hand (beside
the models, `set_labels`); `.label` reads them.
"""
from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """An enum stored by value, with a translated label for people."""

    @property
    def label(self) -> str:
        return str(_LABELS[type(self), self.value])


_LABELS: dict[tuple[type, str], object] = {}


def set_labels(labels: dict[LabelledEnum, object]) -> None:
    """Register the (lazily translated) labels of ONE enum's members.

    One call per enum: members of two str-enums with the same value are equal dict keys,
    so a dict mixing enums would silently drop labels.
    """
    if len({type(member) for member in labels}) > 1:
        raise ValueError("set_labels takes the members of one enum")
    for member, label in labels.items():
        _LABELS[type(member), member.value] = label


# --- Accounts ---------------------------------------------------------------------
class Role(LabelledEnum):
    ADMIN = "admin"
    TEAM = "team"
    CONSULTANT = "consultant"
    EVALUATOR = "evaluator"


# --- Reference data: regions, daycare units, engagement types ---------------------
class Region(LabelledEnum):
    HOVEDSTADEN = "hovedstaden"
    SJAELLAND = "sjaelland"
    SYDDANMARK = "syddanmark"
    MIDTJYLLAND = "midtjylland"
    NORDJYLLAND = "nordjylland"


class Ownership(LabelledEnum):
    MUNICIPAL = "municipal"
    SELF_OWNED = "self_owned"
    PRIVATE = "private"


class UnitKind(LabelledEnum):
    NURSERY = "nursery"
    KINDERGARTEN = "kindergarten"
    INTEGRATED = "integrated"
    CHILDMINDING = "childminding"


class Intake(LabelledEnum):
    ROUNDS = "rounds"
    CONTINUOUS = "continuous"


# --- Applications and rounds ------------------------------------------------------
class ApplicantKind(LabelledEnum):
    MUNICIPALITY = "municipality"
    INSTITUTION = "institution"  # a self-owned or private daycare


class ApplicationStatus(LabelledEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Channel(LabelledEnum):
    WEB = "web"
    STAFF = "staff"
    IMPORT = "import"


class RoundState(LabelledEnum):
    """Where a round is on a given day (consultancy.rules.applications.round_state)."""
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


# --- Cases and their sessions -----------------------------------------------------
class EngagementStatus(LabelledEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MemberRole(LabelledEnum):
    LEAD = "lead"
    CO = "co"


class ThemeGroup(LabelledEnum):
    FOCUS = "focus"
    FOUNDATION = "foundation"
    CURRICULUM = "curriculum"
    OTHER = "other"


class SessionFormat(LabelledEnum):
    PRACTICE_MEETING = "practice_meeting"
    LEADERSHIP_SPARRING = "leadership_sparring"
    CONSULTANT_SPARRING = "consultant_sparring"
    THEME_DAY = "theme_day"
    KICKOFF = "kickoff"
    MIDWAY_STATUS = "midway_status"
    EVALUATION_MEETING = "evaluation_meeting"
    OTHER = "other"


class SubFormat(LabelledEnum):
    SIDE_BY_SIDE = "side_by_side"
    PRESENTATION = "presentation"
    INTERNAL_MEETING = "internal_meeting"
    FORMAL_INDIVIDUAL = "formal_individual"
    FORMAL_GROUP = "formal_group"
    INFORMAL_INDIVIDUAL = "informal_individual"
    INFORMAL_GROUP = "informal_group"
    FORMAL = "formal"
    INFORMAL = "informal"


class SessionStatus(LabelledEnum):
    PLANNED = "planned"
    HELD = "held"


# --- Evaluation -------------------------------------------------------------------
class InstrumentKind(LabelledEnum):
    SELF_ASSESSMENT = "self_assessment"
    OBSERVATION = "observation"


class VersionStatus(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Occasion(LabelledEnum):
    BASELINE = "baseline"
    MIDWAY = "midway"
    END = "end"
    FOLLOW_UP = "follow_up"


class RespondentRole(LabelledEnum):
    LEADER = "leader"
    PEDAGOGUE = "pedagogue"
    ASSISTANT = "assistant"
    MUNICIPAL_CONSULTANT = "municipal_consultant"
    OBSERVER = "observer"


class MissingCode(LabelledEnum):
    NOT_RELEVANT = "not_relevant"
    DONT_KNOW = "dont_know"


# --- Flags ------------------------------------------------------------------------
class Severity(LabelledEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class FlagEventKind(LabelledEnum):
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"


# --- Background jobs --------------------------------------------------------------
class RunStatus(LabelledEnum):
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
