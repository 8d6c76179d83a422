"""Applications from submission to decision, and the rounds, units and criteria they meet.
Callers own the transaction (they commit)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _, ngettext

from consultancy.applications.queries import (
    current_criteria_set,
    has_applications,
    next_round,
    open_round,
    overlapping_round,
)
from consultancy.engagements.services import create_case
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    ApplicationUnit,
    Channel,
    CriteriaSet,
    Criterion,
    DaycareUnit,
    Engagement,
    EngagementType,
    Intake,
    Municipality,
    Ownership,
    Review,
    Role,
    Round,
    Score,
    UnitKind,
    User,
)
from consultancy.rules import eligibility
from consultancy.rules.applications import CLOSED, DECISIONS, can_move
from consultancy.services import Conflict, Refusal
from consultancy.services.locking import hold
from consultancy.services.numbering import application_reference, next_number
from consultancy.web.i18n import format_date


class ApplicationError(Refusal):
    """A rule of applications, rounds or reviews that the input breaks."""


class DecidedMeanwhile(ApplicationError, Conflict):
    """Someone closed the application after this user opened it."""


class AlreadyScored(ApplicationError, Conflict):
    """The reviewer's scores were submitted by another request after this one read them."""


@dataclass
class UnitData:
    name: str
    kind: UnitKind
    ownership: Ownership
    children: int
    vulnerable_share: Decimal


@dataclass
class ApplicationData:
    engagement_type_id: int
    applicant_kind: ApplicantKind
    municipality_code: int
    applicant_name: str | None
    contact_name: str
    contact_email: str
    contact_phone: str
    documented_need: str
    motivation: str
    leadership_backing: str
    resource_hours_per_month: Decimal
    resource_participants: str
    consent: bool
    units: list[UnitData] = field(default_factory=list)
    round_id: int | None = None
    submission_token: str | None = None


@dataclass
class RoundData:
    name: str
    engagement_type_id: int
    opens_on: date
    closes_on: date
    capacity: int
    planned_start: date | None
    criteria_set_id: int


# --- submission --------------------------------------------------------------------------

def _unit_for(municipality_code: int, data: UnitData) -> DaycareUnit:
    """The registered unit of that name in the municipality, or a new one.

    A submission never changes a registered unit (anyone can submit the public form);
    the figures it gives are kept on the application. Team corrects units by hand.
    """
    unit = db.session.scalars(sa.select(DaycareUnit).where(
        DaycareUnit.municipality_code == municipality_code,
        sa.func.lower(DaycareUnit.name) == data.name.strip().lower())).first()
    if unit is None:
        unit = DaycareUnit(name=data.name.strip(), municipality_code=municipality_code,
                           ownership=data.ownership, kind=data.kind, children=data.children)
        db.session.add(unit)
    return unit


def check_intake(data: ApplicationData, today: date) -> tuple[EngagementType, Round | None]:
    """The type's intake rules: who may apply, and whether a round must be open."""
    engagement_type = db.session.get(EngagementType, data.engagement_type_id)
    if engagement_type is None or not engagement_type.active:
        raise ApplicationError(_("Choose a type of course."), "engagement_type")
    if db.session.get(Municipality, data.municipality_code) is None:
        raise ApplicationError(_("Choose a municipality."), "municipality")
    if (data.applicant_kind is ApplicantKind.INSTITUTION
            and not engagement_type.institutions_may_apply):
        raise ApplicationError(
            _("Only municipalities can apply for this type of course."), "applicant_kind")
    if data.applicant_kind is ApplicantKind.INSTITUTION and any(
            unit.ownership is Ownership.MUNICIPAL for unit in data.units):
        raise ApplicationError(
            _("A self-owned or private daycare applies for its own units only; "
              "municipal units are applied for by the municipality."), "applicant_kind")
    round_ = None
    if engagement_type.intake is Intake.ROUNDS:
        round_ = open_round(engagement_type, today)
        if data.round_id is not None and (round_ is None or round_.id != data.round_id):
            round_ = None  # a round named by the caller must be this type's open round
        if round_ is None:
            upcoming = next_round(engagement_type, today)
            message = _("There is no open application round for this type of course.")
            if upcoming:
                message += " " + _("The next round opens %(date)s.",
                                   date=format_date(upcoming.opens_on))
            raise ApplicationError(message, "engagement_type")
    return engagement_type, round_


def submit(data: ApplicationData, channel: Channel, now: datetime, today: date) -> Application:
    engagement_type, round_ = check_intake(data, today)
    if not data.consent and channel is Channel.WEB:
        raise ApplicationError(_("You must accept the privacy notice."), "consent")
    if not data.units:
        raise ApplicationError(_("Add at least one participating daycare unit."), "units")
    municipality = db.session.get(Municipality, data.municipality_code)
    applicant_name = (data.applicant_name or "").strip()
    if data.applicant_kind is ApplicantKind.MUNICIPALITY:
        applicant_name = f"{municipality.name} Kommune"
    elif not applicant_name:
        raise ApplicationError(_("Enter the name of the daycare that applies."),
                               "applicant_name")

    number = next_number("ANS", today.year)
    application = Application(
        reference=application_reference(today.year, number), year=today.year, number=number,
        engagement_type=engagement_type, round=round_,
        criteria_set=round_.criteria_set if round_ else current_criteria_set(),
        channel=channel, status=ApplicationStatus.SUBMITTED, submitted_at=now,
        applicant_kind=data.applicant_kind, applicant_name=applicant_name,
        municipality_code=data.municipality_code,
        contact_name=data.contact_name.strip(), contact_email=data.contact_email.strip(),
        contact_phone=data.contact_phone.strip(),
        documented_need=data.documented_need.strip(), motivation=data.motivation.strip(),
        leadership_backing=data.leadership_backing.strip(),
        resource_hours_per_month=data.resource_hours_per_month,
        resource_participants=data.resource_participants.strip(),
        consent_at=now if data.consent else None, submission_token=data.submission_token,
    )
    seen = set()
    for position, unit_data in enumerate(data.units, start=1):
        key = unit_data.name.strip().lower()
        if key in seen:
            raise ApplicationError(_("The unit %(name)s is listed twice.", name=unit_data.name),
                                   "units")
        seen.add(key)
        application.units.append(ApplicationUnit(
            unit=_unit_for(data.municipality_code, unit_data), position=position,
            children=unit_data.children, vulnerable_share=unit_data.vulnerable_share))
    db.session.add(application)
    db.session.flush()
    return application


# --- review ------------------------------------------------------------------------------

def assign_reviewer(application: Application, reviewer: User, now: datetime,
                    actor: User | None = None) -> Review:
    hold(application)  # two assigning the same reviewer at once: the second is told
    if reviewer.role is not Role.TEAM or not reviewer.active:
        raise ApplicationError(_("Only active Team Dagtilbud users can review."), "reviewer")
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW):
        raise ApplicationError(_("The application has been decided."))
    if any(review.reviewer_id == reviewer.id for review in application.reviews):
        raise ApplicationError(_("%(name)s already reviews this application.",
                                 name=reviewer.name), "reviewer")
    if actor is not None and actor.id == reviewer.id and any(
            r.submitted_at for r in application.reviews):
        # They may have read the submitted scores: a colleague decides whether they review.
        raise ApplicationError(_("Scores are already in: ask a colleague to assign you."),
                               "reviewer")
    review = Review(reviewer=reviewer, assigned_at=now)
    application.reviews.append(review)
    if application.status is ApplicationStatus.SUBMITTED:
        application.status = ApplicationStatus.UNDER_REVIEW
    db.session.flush()
    return review


def remove_reviewer(review: Review) -> None:
    hold(review.application)
    hold(review)  # scores submitted meanwhile are not deleted with the review
    if review.submitted_at is not None:
        raise ApplicationError(_("A reviewer who has submitted scores cannot be removed."))
    db.session.delete(review)
    db.session.flush()


def submit_scores(review: Review, scores: dict[int, tuple[int, str]], now: datetime) -> None:
    """Record one reviewer's score and justification for every criterion of the set."""
    application = review.application
    seen_submitted = review.submitted_at is not None  # as the request loaded it
    hold(application)  # not scored after a decision taken meanwhile
    hold(review)
    if review.submitted_at is not None:
        if not seen_submitted:  # a second click, or another tab, got there first
            raise AlreadyScored(_("Your scores were already submitted (from another window or "
                                  "a second click); they are final."))
        raise ApplicationError(_("Your scores are submitted and final."))
    if application.status is not ApplicationStatus.UNDER_REVIEW:
        raise ApplicationError(_("Scores can only be given while the application is under "
                                 "review."))
    criteria = application.criteria_set.criteria
    missing = [c for c in criteria if c.id not in scores]
    if missing:
        raise ApplicationError(_("Score every criterion."))
    existing = {score.criterion_id: score for score in review.scores}
    for criterion in criteria:
        value, justification = scores[criterion.id]
        if not 0 <= value <= eligibility.MAX_SCORE:
            raise ApplicationError(_("A score is between 0 and 3."))
        score = existing.get(criterion.id)
        if score is None:
            review.scores.append(Score(criterion=criterion, value=value,
                                       justification=justification.strip()))
        else:
            score.value, score.justification = value, justification.strip()
    review.submitted_at = now
    db.session.flush()


# --- decision ----------------------------------------------------------------------------

def _close(application: Application, status: ApplicationStatus, note: str, actor: User,
           now: datetime) -> None:
    application.status = status
    application.decided_at = now
    application.decided_by = actor
    application.decision_note = note.strip()


def _not_closed(application: Application, actor: User | None) -> None:
    """Refuse to act on an application closed since the page was opened, saying by whom.

    Held first: of two decisions (or a decision and a withdrawal) sent at once, the
    second waits for the first and then finds the application closed.
    """
    hold(application)
    if application.status not in CLOSED:
        return
    status = application.status.label.lower()
    if actor is not None and application.decided_by_id == actor.id:
        message = _("You have already decided the application (it is now %(status)s), so it "
                    "cannot be changed.", status=status)
    else:
        message = _("%(name)s decided the application in the meantime (it is now %(status)s), "
                    "so it cannot be changed.", status=status,
                    name=application.decided_by.name if application.decided_by
                    else _("Someone else"))
    raise DecidedMeanwhile(message, "decision")


def decide(application: Application, decision: ApplicationStatus, note: str, actor: User,
           now: datetime, required_reviews: int = 2) -> Engagement | None:
    """Approve, waitlist or reject once enough reviews are in; approving opens the case."""
    _not_closed(application, actor)
    if decision not in DECISIONS or not can_move(application.status, decision):
        raise ApplicationError(_("The application cannot be %(decision)s now (it is %(status)s).",
                                 decision=decision.label.lower(),
                                 status=application.status.label.lower()), "decision")
    if not note.strip():
        raise ApplicationError(_("Give a justification for the decision."), "note")
    submitted = sum(1 for review in application.reviews if review.submitted_at is not None)
    if submitted < required_reviews:
        raise ApplicationError(ngettext(
            "A decision needs %(num)d submitted review; %(submitted)d is in.",
            "A decision needs %(num)d submitted reviews; %(submitted)d are in.",
            required_reviews, submitted=submitted), "decision")
    _close(application, decision, note, actor, now)
    if decision is ApplicationStatus.APPROVED:
        return open_engagement(application, now)
    db.session.flush()
    return None


def withdraw(application: Application, note: str, actor: User, now: datetime) -> None:
    _not_closed(application, actor)
    if not can_move(application.status, ApplicationStatus.WITHDRAWN):
        raise ApplicationError(_("A decided application cannot be withdrawn."))
    if not note.strip():
        raise ApplicationError(_("Say why the application is withdrawn."), "note")
    _close(application, ApplicationStatus.WITHDRAWN, note, actor, now)
    db.session.flush()


def open_engagement(application: Application, now: datetime) -> Engagement:
    return create_case(
        application.engagement_type, application.municipality_code,
        application.applicant_name,
        application.round.planned_start if application.round else None,
        [link.unit for link in application.units], application.decided_by, now,
        application=application)


# --- rounds, units and criteria ------------------------------------------------------------

def round_problems(round_: Round | None, data: RoundData) -> list[tuple[str, str]]:
    """What keeps `data` from being saved as the round (None: a new one), as (field,
    message): rounds of a type never overlap; a round with applications keeps its type and
    criteria."""
    problems = []
    clash = overlapping_round(data.engagement_type_id, data.opens_on, data.closes_on, round_)
    if clash:
        problems.append(("opens_on", _("The dates overlap the round %(name)s.", name=clash)))
    if round_ is not None and has_applications(round_):
        if data.engagement_type_id != round_.engagement_type_id:
            problems.append(("engagement_type", _(
                "The round has applications: its type of course cannot change.")))
        if data.criteria_set_id != round_.criteria_set_id:
            problems.append(("criteria_set", _(
                "The round has applications: its criteria cannot change.")))
    return problems


def save_round(round_: Round | None, data: RoundData) -> Round:
    """Create a round, or change one; `round_problems` has found nothing against it."""
    round_ = round_ or Round()
    round_.name = data.name.strip()
    round_.engagement_type_id = data.engagement_type_id
    round_.opens_on, round_.closes_on = data.opens_on, data.closes_on
    round_.capacity = data.capacity
    round_.planned_start = data.planned_start
    round_.criteria_set_id = data.criteria_set_id
    db.session.add(round_)
    db.session.flush()
    return round_


def update_unit(unit: DaycareUnit, name: str, kind: UnitKind, ownership: Ownership,
                children: int) -> DaycareUnit:
    """Team's correction of a registered unit (a submission never changes one)."""
    unit.name = name.strip()
    unit.kind, unit.ownership = kind, ownership
    unit.children = children
    db.session.flush()
    return unit


def new_criteria_version(current: CriteriaSet, name: str, threshold: Decimal,
                         settings: dict[str, tuple[int, int]]) -> CriteriaSet:
    """Copy the newest set into a new version with other weights and minimums."""
    created = CriteriaSet(version=current.version + 1, name=name.strip(),
                          vulnerable_share_threshold=threshold)
    for criterion in current.criteria:
        weight, minimum = settings[criterion.code]
        created.criteria.append(Criterion(
            position=criterion.position, code=criterion.code, name_da=criterion.name_da,
            name_en=criterion.name_en, description_da=criterion.description_da,
            description_en=criterion.description_en, anchors=criterion.anchors,
            weight=weight, minimum=minimum, breaks_ties=criterion.breaks_ties))
    db.session.add(created)
    db.session.flush()
    return created
