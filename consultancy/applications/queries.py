"""Reading applications, rounds, reviews and criteria: what the pages, the demo and the
dashboard show. Nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from consultancy.extensions import db
from consultancy.models import (
    Application,
    ApplicationStatus,
    ApplicationUnit,
    CriteriaSet,
    DaycareUnit,
    EngagementType,
    Intake,
    Municipality,
    Review,
    Role,
    Round,
    User,
)
from consultancy.rules import eligibility
from consultancy.rules.applications import RoundState, round_state
from consultancy.security.permissions import sees_scores

# --- reference data for the forms ----------------------------------------------------------

def municipalities() -> list[tuple[int, str]]:
    """(code, name) of every municipality, by name."""
    return list(db.session.execute(
        sa.select(Municipality.code, Municipality.name).order_by(Municipality.name)).all())


def criteria_sets() -> list[CriteriaSet]:
    """Every version of the criteria, newest first."""
    return list(db.session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.version.desc())))


def current_criteria_set() -> CriteriaSet:
    return db.session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.version.desc())
                              .limit(1)).one()


def reviewers() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.TEAM, User.active.is_(True)).order_by(User.name)))


# --- rounds --------------------------------------------------------------------------------

def open_round(engagement_type: EngagementType, today: date) -> Round | None:
    """The open round of a type (the one closing first, should rounds overlap)."""
    return db.session.scalars(
        sa.select(Round).where(Round.engagement_type_id == engagement_type.id,
                               Round.opens_on <= today, Round.closes_on >= today)
        .order_by(Round.closes_on, Round.id).limit(1)).first()


def next_round(engagement_type: EngagementType, today: date) -> Round | None:
    return db.session.scalars(
        sa.select(Round).where(Round.engagement_type_id == engagement_type.id,
                               Round.opens_on > today)
        .order_by(Round.opens_on).limit(1)).first()


def rounds() -> list[Round]:
    """Every round, the latest to open first."""
    return list(db.session.scalars(sa.select(Round).order_by(Round.opens_on.desc())))


def application_counts() -> dict[int | None, int]:
    """How many applications each round has (None: applications outside rounds)."""
    return dict(db.session.execute(
        sa.select(Application.round_id, sa.func.count()).group_by(Application.round_id)).all())


def overlapping_round(engagement_type_id: int, opens_on: date, closes_on: date,
                      other_than: Round | None) -> str | None:
    """The name of a round of the type whose dates overlap these, if any."""
    query = sa.select(Round.name).where(
        Round.engagement_type_id == engagement_type_id,
        Round.opens_on <= closes_on, Round.closes_on >= opens_on)
    if other_than is not None:
        query = query.where(Round.id != other_than.id)
    return db.session.scalar(query.limit(1))


def has_applications(round_: Round) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.func.count()).where(Application.round_id == round_.id)))


def round_state_of(round_: Round, today: date) -> RoundState:
    return round_state(round_.opens_on, round_.closes_on, today)


def units_query() -> sa.Select:
    """Every registered daycare unit, by name (for a paged list)."""
    return sa.select(DaycareUnit).order_by(DaycareUnit.name, DaycareUnit.id)


# --- applications --------------------------------------------------------------------------

def with_reviews(query: sa.Select) -> sa.Select:
    """Load what a list of applications shows in a fixed number of queries."""
    return query.options(
        selectinload(Application.reviews).selectinload(Review.scores),
        selectinload(Application.units).joinedload(ApplicationUnit.unit),
        selectinload(Application.criteria_set).selectinload(CriteriaSet.criteria),
        selectinload(Application.engagement),
    )


def application_with_reviews(application_id: int) -> Application | None:
    """One application, with what its page shows."""
    return db.session.scalars(with_reviews(
        sa.select(Application).where(Application.id == application_id))).first()


def by_reference(reference: str) -> Application | None:
    return db.session.scalar(sa.select(Application).where(Application.reference == reference))


def submitted_with(token: str | None) -> Application | None:
    """The application a form with this token has already made, if any."""
    if not token:
        return None
    return db.session.scalars(sa.select(Application).where(
        Application.submission_token == token)).first()


def applications_query(status: ApplicationStatus | None, type_id: int | None,
                       round_id: int | None) -> sa.Select:
    """Applications, newest first, of a status, a type and a round when given."""
    query = sa.select(Application).order_by(Application.submitted_at.desc(), Application.id)
    if status is not None:
        query = query.where(Application.status == status)
    if type_id:
        query = query.where(Application.engagement_type_id == type_id)
    if round_id:
        query = query.where(Application.round_id == round_id)
    return with_reviews(query)


def queue_query() -> sa.Select:
    """Applications for continuous-intake types, oldest first, until decided."""
    return with_reviews(
        sa.select(Application).join(Application.engagement_type)
        .where(EngagementType.intake == Intake.CONTINUOUS,
               Application.status.in_([ApplicationStatus.SUBMITTED,
                                       ApplicationStatus.UNDER_REVIEW,
                                       ApplicationStatus.WAITLISTED]))
        .order_by(Application.submitted_at, Application.id))


def awaiting_scores(reviewer: User) -> list[Application]:
    """Applications under review where this reviewer has not yet submitted scores."""
    return list(db.session.scalars(
        sa.select(Application).join(Review).where(
            Review.reviewer_id == reviewer.id, Review.submitted_at.is_(None),
            Application.status == ApplicationStatus.UNDER_REVIEW)
        .order_by(Application.submitted_at)))


def count_by_status() -> dict[ApplicationStatus, int]:
    return dict(db.session.execute(
        sa.select(Application.status, sa.func.count()).group_by(Application.status)).all())


# --- what the reviews say ------------------------------------------------------------------

@dataclass(frozen=True)
class Assessment:
    """What the submitted reviews say about an application."""
    means: dict[str, float]
    total: float | None
    minimums_met: bool | None
    disagreements: list[str]
    submitted_reviews: int


def assess(application: Application) -> Assessment:
    criteria = application.criteria_set.criteria
    rules = [eligibility.CriterionRule(c.code, c.weight, c.minimum) for c in criteria]
    code_of = {c.id: c.code for c in criteria}
    submitted = [r for r in application.reviews if r.submitted_at is not None]
    means = eligibility.criterion_means(
        (code_of[s.criterion_id], s.value) for r in submitted for s in r.scores)
    by_reviewer = {r.reviewer_id: {code_of[s.criterion_id]: s.value for s in r.scores}
                   for r in submitted}
    return Assessment(means=means, total=eligibility.weighted_total(rules, means),
                      minimums_met=eligibility.minimums_met(rules, means),
                      disagreements=eligibility.disagreements(by_reviewer),
                      submitted_reviews=len(submitted))


def assessment_for(application: Application, viewer: User) -> Assessment | None:
    """What `viewer` may see of the scores: nothing while their own are not yet in."""
    return assess(application) if sees_scores(viewer, application) else None


def prescreen(application: Application) -> eligibility.Prescreen:
    return eligibility.prescreen([u.vulnerable_share for u in application.units],
                                 application.criteria_set.vulnerable_share_threshold)


@dataclass(frozen=True)
class RankedApplication:
    application: Application
    assessment: Assessment
    place: int
    within_capacity: bool


def ranking(round_: Round) -> list[RankedApplication]:
    applications = db.session.scalars(with_reviews(
        sa.select(Application).where(
            Application.round_id == round_.id,
            Application.status != ApplicationStatus.WITHDRAWN)
    )).all()
    assessments = {a.id: assess(a) for a in applications}
    tie_codes = {c.code for c in round_.criteria_set.criteria if c.breaks_ties}
    candidates = [eligibility.Candidate(
        application_id=a.id, total=assessments[a.id].total,
        tie_breaker=max((assessments[a.id].means.get(code, 0) for code in tie_codes),
                        default=None),
        submitted_order=a.submitted_at.timestamp()) for a in applications]
    by_id = {a.id: a for a in applications}
    ranked, granted = [], 0
    for place, candidate in enumerate(eligibility.rank(candidates), start=1):
        application = by_id[candidate.application_id]
        assessment = assessments[candidate.application_id]
        # Only applications that meet every minimum and are not rejected take a place.
        fits = (assessment.minimums_met is True
                and application.status is not ApplicationStatus.REJECTED
                and granted < round_.capacity)
        granted += fits
        ranked.append(RankedApplication(application, assessment, place, fits))
    return ranked


def has_pending_review(viewer: User, round_: Round) -> bool:
    """Whether the viewer still owes scores in the round (and so may not see its ranking)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Review).join(Application)
                             .where(Application.round_id == round_.id,
                                    Review.reviewer_id == viewer.id,
                                    Review.submitted_at.is_(None))) > 0
