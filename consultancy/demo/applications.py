"""The demo's applications: two application rounds (the previous half-year's, decided,
and the one open today) and mini-course applications, about thirty in every state, with
their reviews, scores and decisions. Every choice comes from a generator of its own (SEED),
in a fixed order that does not depend on dates."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from consultancy.applications import queries, services
from consultancy.applications.services import ApplicationData, UnitData
from consultancy.demo.common import DEMO_DOMAIN, UNIT_CHILDREN, DemoError, texts
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    Channel,
    Criterion,
    EngagementType,
    Municipality,
    Ownership,
    Round,
    UnitKind,
    User,
)
from consultancy.security import audit
from consultancy.services.clock import COPENHAGEN

SEED = 2017

S = ApplicationStatus


# --- what the demo contains ---------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """One demo application: who applies and how far it has come."""
    municipality: int
    status: ApplicationStatus
    reviewers: int = 0          # Team Dagtilbud users assigned
    scored: int = 0             # of whom have submitted their scores
    disputed: str | None = None  # a criterion code the two reviewers disagree on by 2
    institution: Ownership | None = None  # a self-owned or private daycare applies itself


def _decided(municipality: int, status: ApplicationStatus, **kwargs) -> Plan:
    return Plan(municipality, status, reviewers=2, scored=2, **kwargs)


# The closed round of the previous half-year, decided; capacity 3.
PREVIOUS_ROUND = [
    _decided(161, S.APPROVED),    # Glostrup, one of the first partners
    _decided(390, S.APPROVED),    # Vordingborg
    _decided(250, S.APPROVED),    # Frederikssund
    _decided(183, S.WAITLISTED, disputed="motivation"),  # Ishøj
    _decided(360, S.WAITLISTED),  # Lolland
    _decided(330, S.REJECTED),    # Slagelse
    _decided(550, S.REJECTED),    # Tønder
    _decided(860, S.REJECTED),    # Hjørring
    Plan(165, S.WITHDRAWN, reviewers=1),  # Albertslund
]

# The round open today; capacity 4.
OPEN_ROUND = [
    Plan(851, S.SUBMITTED),       # Aalborg
    Plan(461, S.SUBMITTED),       # Odense
    Plan(316, S.SUBMITTED),       # Holbæk
    Plan(730, S.SUBMITTED),       # Randers
    Plan(370, S.UNDER_REVIEW, reviewers=1),             # Næstved
    Plan(326, S.UNDER_REVIEW, reviewers=1, scored=1),   # Kalundborg
    Plan(657, S.UNDER_REVIEW, reviewers=2, scored=1),   # Herning
    Plan(479, S.UNDER_REVIEW, reviewers=2, scored=1),   # Svendborg
    Plan(169, S.UNDER_REVIEW, reviewers=2, scored=2, disputed="documented_need"),  # Høje-T.
    Plan(153, S.UNDER_REVIEW, reviewers=2, scored=2),   # Brøndby
    Plan(791, S.WITHDRAWN),       # Viborg
]

# Mini courses: continuous intake, no round.
MINI = [
    _decided(773, S.APPROVED),    # Morsø, one of the first mini partners
    _decided(561, S.APPROVED),    # Esbjerg
    _decided(751, S.APPROVED, institution=Ownership.SELF_OWNED),  # Aarhus
    _decided(157, S.REJECTED, institution=Ownership.PRIVATE),     # Gentofte
    _decided(787, S.WAITLISTED),  # Thisted
    Plan(265, S.UNDER_REVIEW, reviewers=1, scored=1, institution=Ownership.SELF_OWNED),  # Roskilde
    Plan(430, S.UNDER_REVIEW, reviewers=2),  # Faaborg-Midtfyn
    Plan(101, S.SUBMITTED, institution=Ownership.PRIVATE),     # København
    Plan(400, S.SUBMITTED),       # Bornholm
    Plan(621, S.WITHDRAWN, institution=Ownership.SELF_OWNED),  # Kolding
]

PROFILE_OF = {S.APPROVED: "high", S.WAITLISTED: "middle", S.REJECTED: "low"}

# Score pairs (first, second reviewer) by profile and by whether the criterion has a
# minimum of 2. Approved means stay >= 2.5 (total >= 83), waitlisted meet the minimums
# with a total <= 75, rejected miss the minimums: the ranking agrees with the decisions.
SCORE_PAIRS = {
    "high": {True: [(3, 3), (3, 2), (2, 3)], False: [(3, 3), (3, 2), (2, 3)]},
    "middle": {True: [(2, 2), (2, 3), (3, 2)], False: [(1, 2), (2, 1), (2, 2), (1, 1)]},
    "low": {True: [(1, 1), (1, 2), (2, 1), (0, 1)], False: [(1, 1), (0, 1), (1, 2), (2, 1)]},
}
SHARE_HALVES = {"high": (60, 120), "middle": (40, 90), "low": (10, 50)}  # 5-60 %, in halves
HOURS = {"high": ["8", "10", "12"], "middle": ["5", "6", "7.5"], "low": ["2", "3", "4"]}

NUMBER_WORDS = {3: "tre", 4: "fire", 5: "fem"}


def _decision_note(status: ApplicationStatus, kind: ApplicantKind, round_: Round | None,
                   rng: random.Random) -> str:
    notes = texts("applications")["decision_notes"]
    values = {"who": notes["who"][kind.value]}
    if round_ is not None:
        values.update(capacity=round_.capacity, start=f"{round_.planned_start:%d-%m-%Y}")
    if status is S.APPROVED and round_ is not None:
        return notes["approved_in_round"].format(**values)
    if status is S.APPROVED:
        return rng.choice(notes["approved"])
    if status is S.WAITLISTED and round_ is not None:
        return notes["waitlisted_in_round"].format(**values)
    if status is S.WAITLISTED:
        return notes["waitlisted"].format(**values)
    return rng.choice(notes["rejected"]).format(**values)


# --- building ---------------------------------------------------------------------------

def round_names(today: date) -> tuple[str, str]:
    """The names of the previous half-year's round and of the round open today."""
    (previous_year, previous_spring), (year, spring) = _previous_half(today), _half(today)
    return _round_name(previous_year, previous_spring), _round_name(year, spring)


def _half(day: date) -> tuple[int, bool]:
    return day.year, day.month <= 6


def _previous_half(day: date) -> tuple[int, bool]:
    year, spring = _half(day)
    return (year - 1, False) if spring else (year, True)


def _round_name(year: int, spring: bool) -> str:
    return f"Ansøgningsrunde {'forår' if spring else 'efterår'} {year}"


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def already_loaded(today: date) -> bool:
    """The demo rounds exist, or demo applications from a run on another day do."""
    if db.session.scalar(sa.select(Round.id).where(Round.name.in_(round_names(today)))
                         .limit(1)) is not None:
        return True
    return db.session.scalar(sa.select(Application.id).where(
        Application.contact_email.like(f"%{DEMO_DOMAIN}")).limit(1)) is not None


def _create_rounds(one_year: EngagementType, today: date) -> tuple[Round, Round]:
    criteria_set = queries.current_criteria_set()
    previous_name, current_name = round_names(today)
    year, spring = _previous_half(today)
    opens_on = date(year, 2 if spring else 8, 1)
    closes_on = date(year, 3, 31) if spring else date(year, 9, 30)
    previous = Round(name=previous_name, engagement_type=one_year, opens_on=opens_on,
                     closes_on=closes_on, capacity=3,
                     planned_start=_first_of_next_month(closes_on + timedelta(days=31)),
                     criteria_set=criteria_set)
    current_closes = today + timedelta(weeks=4)
    current = Round(name=current_name, engagement_type=one_year,
                    opens_on=today - timedelta(weeks=5), closes_on=current_closes, capacity=4,
                    planned_start=_first_of_next_month(current_closes + timedelta(weeks=4)),
                    criteria_set=criteria_set)
    db.session.add_all([previous, current])
    db.session.flush()
    return previous, current


@dataclass
class _Review:
    reviewer: int  # index into the reviewers
    assigned_at: datetime
    submitted_at: datetime | None
    scores: dict[str, tuple[int, str]]


@dataclass
class _Draft:
    plan: Plan
    data: ApplicationData
    channel: Channel
    submitted_at: datetime
    reviews: list[_Review] = field(default_factory=list)
    closing: tuple[ApplicationStatus, str, int, datetime] | None = None  # decision/withdrawal


class _Builder:
    """Draws every detail from the generator, in a fixed order that does not depend on dates."""

    def __init__(self, rng: random.Random, today: date, criteria: list[Criterion]):
        self.rng = rng
        self.today = today
        self.criteria = criteria

    def moment(self, day: date, first_hour: int = 8, last_hour: int = 16) -> datetime:
        return datetime.combine(day, time(self.rng.randint(first_hour, last_hour),
                                          self.rng.randrange(0, 60, 5)), tzinfo=COPENHAGEN)

    def units(self, plan: Plan, type_code: str, profile: str) -> list[UnitData]:
        rng = self.rng
        if plan.institution is not None:
            count, ownership = 1, plan.institution
        elif type_code == "mini":
            count, ownership = rng.randint(1, 2), Ownership.MUNICIPAL
        else:
            count, ownership = rng.randint(2, 4), Ownership.MUNICIPAL
        kinds = [UnitKind.NURSERY, UnitKind.KINDERGARTEN, UnitKind.INTEGRATED,
                 UnitKind.INTEGRATED]
        names = texts("names")["units"]
        units = []
        for base in rng.sample(names["bases"], count):
            kind = rng.choice(kinds)
            units.append((f"{rng.choice(names['prefixes'][kind.value])} {base}", kind))
        if ownership is Ownership.MUNICIPAL and rng.random() < 0.3:
            units.append((f"Dagplejen {rng.choice(names['districts'])}", UnitKind.CHILDMINDING))
        low, high = SHARE_HALVES[profile]
        return [UnitData(name=name, kind=kind, ownership=ownership,
                         children=rng.randint(*UNIT_CHILDREN[kind]),
                         vulnerable_share=Decimal(rng.randint(low, high)) / 2)
                for name, kind in units]

    def prose(self, kind: ApplicantKind, units: list[UnitData], profile: str) -> dict:
        """What the applicant writes: need, motivation, backing, participants, hours."""
        rng, words = self.rng, texts("applications")
        need_texts, motivation_texts = words["need"], words["motivation"]
        backing_texts = words["backing"]
        names = [unit.name for unit in units]
        if len(names) == 1:
            where = names[0]
        elif len(names) == 2:
            where = f"{names[0]} og {names[1]}"
        else:
            where = f"de {NUMBER_WORDS[len(names)]} deltagende dagtilbud"
        values = {"units": where, "year": self.today.year - 1,
                  "share": int(max(unit.vulnerable_share for unit in units))}
        if profile == "low":
            need = [rng.choice(need_texts["vague"]), rng.choice(need_texts["concern"])]
            motivation = [rng.choice(motivation_texts["vague"])]
            backing = [rng.choice(backing_texts["vague"])]
        else:
            need = [rng.choice(need_texts[part]) for part in ("data", "concern", "goal")]
            motivation = [rng.choice(motivation_texts["why"]),
                          rng.choice(motivation_texts["how"])]
            if profile == "high":
                motivation.append(rng.choice(motivation_texts["anchor"][kind.value]))
            backing = rng.sample(backing_texts[kind.value], 2)
        hours = Decimal(rng.choice(HOURS[profile]))
        if profile != "low":
            backing.append(backing_texts["hours"].format(hours=_danish(hours)))
        leaders = rng.randint(1, len(units) + 1)
        staff, assistants = rng.randint(4, 8) * len(units), rng.randint(2, 4) * len(units)
        if kind is ApplicantKind.INSTITUTION:
            participants = (f"Lederen, {staff} pædagoger og {assistants} pædagogmedhjælpere; "
                            "alle deltager i praksismøderne.")
        else:
            participants = (f"{_count(leaders, 'pædagogisk leder', 'pædagogiske ledere')}, "
                            f"{staff} pædagoger og {assistants} pædagogmedhjælpere fra {where}")
            consultants = rng.randint(0, 2)
            participants += (" samt " + _count(consultants, "pædagogisk konsulent",
                                                "pædagogiske konsulenter")
                             + " fra forvaltningen." if consultants else ".")
        return {
            "documented_need": " ".join(need).format(**values),
            "motivation": " ".join(motivation),
            "leadership_backing": " ".join(backing),
            "resource_participants": participants,
            "hours": hours,
        }

    def contact(self, domain: str) -> tuple[str, str, str]:
        rng = self.rng
        names = texts("names")
        first, last = rng.choice(names["first_names"]), rng.choice(names["last_names"])
        phone = " ".join([str(rng.randint(20, 99))] + [f"{rng.randint(0, 99):02d}"
                                                       for _ in range(3)])
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}{DEMO_DOMAIN}", phone

    def scores(self, plan: Plan, profile: str) -> tuple[dict, dict]:
        """Both reviewers' scores with justifications: {criterion code: (value, text)}."""
        rng, justifications = self.rng, texts("applications")["justifications"]
        first, second = {}, {}
        for criterion in self.criteria:
            pair = rng.choice(SCORE_PAIRS[profile][criterion.minimum >= 2])
            if criterion.code == plan.disputed:
                pair = (3, 1)
            by_score = justifications.get(criterion.code, justifications["fallback"])
            first[criterion.code] = (pair[0], rng.choice(by_score[str(pair[0])]))
            second[criterion.code] = (pair[1], rng.choice(by_score[str(pair[1])]))
        return first, second

    def draft(self, plan: Plan, engagement_type: EngagementType, municipality: Municipality,
              round_: Round | None, arrival: date, review_day: date) -> _Draft:
        """One application arriving on `arrival`, its review work starting on `review_day`."""
        rng = self.rng
        profile = PROFILE_OF.get(plan.status) or rng.choice(["high", "middle", "low"])
        units = self.units(plan, engagement_type.code, profile)
        if plan.institution is not None:
            kind, applicant_name = ApplicantKind.INSTITUTION, units[0].name
            domain = _slug(units[0].name.split(" ", 1)[1])
        else:
            kind, applicant_name, domain = ApplicantKind.MUNICIPALITY, None, _slug(
                municipality.name)
        contact_name, email, phone = self.contact(domain)
        prose = self.prose(kind, units, profile)
        channel = Channel.STAFF if rng.random() < 0.15 else Channel.WEB
        submitted_at = self.moment(arrival, 7, 22)
        data = ApplicationData(
            engagement_type_id=engagement_type.id, applicant_kind=kind,
            municipality_code=municipality.code, applicant_name=applicant_name,
            contact_name=contact_name, contact_email=email, contact_phone=phone,
            documented_need=prose["documented_need"], motivation=prose["motivation"],
            leadership_backing=prose["leadership_backing"],
            resource_hours_per_month=prose["hours"],
            resource_participants=prose["resource_participants"],
            consent=channel is Channel.WEB, units=units,
            round_id=round_.id if round_ else None)
        draft = _Draft(plan, data, channel, submitted_at)

        first_scores, second_scores = self.scores(plan, profile)
        reviewers = [0, 1] if plan.reviewers == 2 else [rng.randint(0, 1)]
        last = None
        for position, reviewer in enumerate(reviewers[:plan.reviewers]):
            assigned = review_day + timedelta(days=rng.randint(0, 1))
            scored_day = assigned + timedelta(days=rng.randint(2, 6))
            draft.reviews.append(_Review(
                reviewer, self.moment(assigned),
                self.moment(scored_day) if position < plan.scored else None,
                first_scores if position == 0 else second_scores))
            last = scored_day if position < plan.scored else assigned
        if plan.status in (S.APPROVED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN):
            start = last or arrival
            closed = start + timedelta(days=rng.randint(2, 8))
            note = (_decision_note(plan.status, kind, round_, rng)
                    if plan.status is not S.WITHDRAWN
                    else rng.choice(texts("applications")["withdrawal_notes"][kind.value]))
            draft.closing = (plan.status, note, rng.randint(0, 1), self.moment(closed))
        return draft


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _danish(number: Decimal) -> str:
    return str(number).replace(".", ",")


def _slug(text: str) -> str:
    for letter, spelled in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), (" ", "-")):
        text = text.lower().replace(letter, spelled)
    return text


def reviewers() -> list[User]:
    """Two active Team Dagtilbud users, the demo ones first."""
    team = sorted(queries.reviewers(),
                  key=lambda user: (not user.email.endswith("@demo.example"), user.id))
    if len(team) < 2:
        raise DemoError("The demo needs two active Team Dagtilbud users.")
    return team[:2]


def load_applications(today: date, now: datetime, types: dict[str, EngagementType],
                      team: list[User]) -> None:
    """Open the two rounds, then submit, review, decide and withdraw every demo application,
    by the two Team Dagtilbud users in `team`. Flushes."""
    previous, current = _create_rounds(types["one_year"], today)
    rng = random.Random(SEED)
    builder = _Builder(rng, today, list(queries.current_criteria_set().criteria))

    def municipality(code: int) -> Municipality:
        found = db.session.get(Municipality, code)
        if found is None:
            raise DemoError(f"Municipality {code} is missing; run `flask db upgrade` first.")
        return found

    drafts = []
    span = (previous.closes_on - previous.opens_on).days
    for plan in PREVIOUS_ROUND:
        arrival = previous.opens_on + timedelta(days=int(rng.random() * (span + 1)))
        review_day = previous.closes_on + timedelta(days=rng.randint(1, 3))
        drafts.append(builder.draft(plan, types["one_year"], municipality(plan.municipality),
                                    previous, arrival, review_day))
    for plan in OPEN_ROUND:
        if plan.status is S.SUBMITTED:
            arrival = today - timedelta(days=rng.randint(1, 12))
        else:
            arrival = current.opens_on + timedelta(days=rng.randint(0, 12))
        review_day = arrival + timedelta(days=rng.randint(1, 4))
        drafts.append(builder.draft(plan, types["one_year"], municipality(plan.municipality),
                                    current, arrival, review_day))
    for plan in MINI:
        if plan.status is S.SUBMITTED:
            arrival = today - timedelta(days=rng.randint(1, 6))
        elif plan.status is S.UNDER_REVIEW:
            arrival = today - timedelta(days=rng.randint(12, 20))
        else:
            arrival = today - timedelta(days=rng.randint(40, 170))
        review_day = arrival + timedelta(days=rng.randint(1, 3))
        drafts.append(builder.draft(plan, types["mini"], municipality(plan.municipality),
                                    None, arrival, review_day))

    _check_times(drafts, now)
    # Submit in order of arrival, so the ANS numbers follow the calendar.
    drafts.sort(key=lambda d: d.submitted_at)
    applications = []
    audit.set_actor(None)  # applicants have no account
    for draft in drafts:
        day = draft.submitted_at.astimezone(COPENHAGEN).date()
        applications.append(services.submit(draft.data, draft.channel,
                                             draft.submitted_at, day))

    criteria = {c.code: c for c in builder.criteria}
    for draft, application in zip(drafts, applications):
        for review in draft.reviews:
            audit.set_actor(team[0].id)  # the coordinator assigns
            assigned = services.assign_reviewer(application, team[review.reviewer],
                                                review.assigned_at)
            if review.submitted_at is not None:
                audit.set_actor(team[review.reviewer].id)
                services.submit_scores(assigned, {criteria[code].id: value for code, value in
                                                  review.scores.items()}, review.submitted_at)
        if draft.closing is not None:
            status, note, actor, at = draft.closing
            audit.set_actor(team[actor].id)
            if status is S.WITHDRAWN:
                services.withdraw(application, note, team[actor], at)
            else:
                services.decide(application, status, note, team[actor], at)
    audit.set_actor(None)
    db.session.flush()


def _check_times(drafts: list[_Draft], now: datetime) -> None:
    """Nothing in the demo may lie in the future."""
    moments = [d.submitted_at for d in drafts]
    moments += [r.assigned_at for d in drafts for r in d.reviews]
    moments += [r.submitted_at for d in drafts for r in d.reviews if r.submitted_at]
    moments += [d.closing[3] for d in drafts if d.closing]
    if max(moments) > now:
        raise DemoError(f"Demo moment {max(moments).isoformat()} lies after now "
                        f"({now.isoformat()}).")
