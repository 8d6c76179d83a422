"""The demo's cases: those the approved demo applications opened and some opened directly,
with their teams, goals and themes, their sessions held and planned, and their closing.
Every choice comes from a generator of its own (CASES_SEED), in a fixed order."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from consultancy.demo.common import UNIT_CHILDREN, DemoError, texts, weekday
from consultancy.engagements import services as case_services
from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementMember,
    EngagementStatus,
    EngagementType,
    MemberRole,
    Municipality,
    Ownership,
    Role,
    SessionFormat,
    SubFormat,
    Theme,
    UnitKind,
    User,
)
from consultancy.rules import engagements as rules
from consultancy.security import audit
from consultancy.services.clock import COPENHAGEN

CASES_SEED = 2019
E = EngagementStatus
F = SessionFormat
Sub = SubFormat


@dataclass(frozen=True)
class CasePlan:
    """A case opened directly (not from an application), e.g. one that predates the system.

    `start` is in days from today; `runs` is how many months it ran before it was
    cancelled; `held_hours` is what a mini case has used by today (or in all, if closed).
    """
    type_code: str
    municipality: int
    start: int
    status: EngagementStatus
    consultants: int = 2
    runs: int | None = None
    held_hours: str | None = None
    overrun: bool = False
    team_change: bool = False
    institution: Ownership | None = None
    reason: str = ""  # why it was cancelled: a key of `cancel_reasons` in texts/cases.toml


DIRECT_CASES = [
    CasePlan("one_year", 259, -790, E.COMPLETED),                    # Køge
    CasePlan("one_year", 510, -670, E.COMPLETED, team_change=True),  # Haderslev
    CasePlan("mini", 340, -610, E.COMPLETED, consultants=1, held_hours="10"),  # Sorø
    CasePlan("one_year", 306, -520, E.CANCELLED, runs=4, reason="reorganised"),  # Odsherred
    CasePlan("mini", 210, -455, E.CANCELLED, consultants=1, runs=1, held_hours="3.5",
             reason="leader_left"),                                # Fredensborg
    CasePlan("one_year", 846, -425, E.COMPLETED),                    # Mariagerfjord
    CasePlan("one_year", 615, -335, E.ACTIVE),                       # Horsens
    CasePlan("mini", 630, -270, E.COMPLETED, held_hours="9.5"),      # Vejle
    CasePlan("mini", 482, -120, E.CANCELLED, consultants=1, institution=Ownership.PRIVATE,
             reason="staff_turnover"),                             # Langeland
    CasePlan("mini", 147, -75, E.ACTIVE, held_hours="10.75", overrun=True,
             institution=Ownership.SELF_OWNED),                     # Frederiksberg
    CasePlan("mini", 540, -56, E.ACTIVE, consultants=1, held_hours="8"),  # Sønderborg
    CasePlan("mini", 240, -20, E.ACTIVE, held_hours="2"),            # Egedal
    CasePlan("mini", 665, 22, E.PLANNED, consultants=1),             # Lemvig
    CasePlan("one_year", 217, 45, E.PLANNED),                        # Helsingør
]

CASE_THEMES = {
    "one_year": ["organisation_of_learning_environments", "professional_leadership",
                 "children_in_vulnerable_positions", "children_communities",
                 "communication_and_language", "evaluation_culture", "play",
                 "parent_collaboration", "pedagogical_documentation"],
    "mini": ["organisation_of_learning_environments", "play", "children_communities",
             "communication_and_language", "parent_collaboration", "social_development",
             "pedagogical_learning_environment", "body_senses_movement"],
}
HOURS_BY_FORMAT = {
    Sub.SIDE_BY_SIDE: ["2", "2.5", "3", "3.5"], Sub.PRESENTATION: ["1.5", "2", "2.5"],
    Sub.INTERNAL_MEETING: ["1", "1.25", "1.5", "2"], F.LEADERSHIP_SPARRING: ["1", "1.25", "1.5",
                                                                           "2"],
    F.CONSULTANT_SPARRING: ["1", "1.5"], F.THEME_DAY: ["5", "5.5", "6"],
    F.KICKOFF: ["2", "2.5", "3"], F.MIDWAY_STATUS: ["2", "2.5"],
    F.EVALUATION_MEETING: ["2", "2.5"], F.OTHER: ["0.5", "0.75", "1"],
}
MINI_HOURS = ["1.5", "1.75", "2", "2.5"]


@dataclass
class _Case:
    """A case as the demo builds it: its dates, team and the sessions still to log."""
    engagement: Engagement
    start: date
    status: EngagementStatus
    closes: date | None = None        # when it was completed or cancelled
    reason: str = ""
    held_hours: Decimal | None = None
    overrun: bool = False
    consultants: int = 2
    team_change: bool = False


class _CaseBuilder:
    """Draws every detail of the cases from its own generator, in a fixed order."""

    def __init__(self, rng: random.Random, today: date, now: datetime, team: list[User],
                 consultants: list[User], themes: dict[str, Theme]):
        self.rng, self.today, self.now = rng, today, now
        self.team, self.pool, self.themes = team, consultants, themes

    def moment(self, day: date) -> datetime:
        at = datetime.combine(day, time(self.rng.randint(8, 15), self.rng.randrange(0, 60, 5)),
                              tzinfo=COPENHAGEN)
        return min(at, self.now)

    def coordinator(self) -> User:
        user = self.team[self.rng.randint(0, len(self.team) - 1)]
        audit.set_actor(user.id)
        return user

    # - the case --------------------------------------------------------------------------

    def units(self, plan: CasePlan) -> list[DaycareUnit]:
        rng = self.rng
        if plan.institution is not None:
            count, ownership = 1, plan.institution
        else:
            count = rng.randint(2, 4) if plan.type_code == "one_year" else rng.randint(1, 2)
            ownership = Ownership.MUNICIPAL
        names = texts("names")["units"]
        units = []
        for base in rng.sample(names["bases"], count):
            kind = rng.choice([UnitKind.NURSERY, UnitKind.KINDERGARTEN, UnitKind.INTEGRATED,
                               UnitKind.INTEGRATED])
            unit = DaycareUnit(name=f"{rng.choice(names['prefixes'][kind.value])} {base}",
                               municipality_code=plan.municipality, ownership=ownership,
                               kind=kind, children=rng.randint(*UNIT_CHILDREN[kind]))
            db.session.add(unit)
            units.append(unit)
        return units

    def open_direct(self, plan: CasePlan, types: dict[str, EngagementType]) -> _Case:
        start = weekday(self.today + timedelta(days=plan.start), forward=True)
        opened = min(start - timedelta(days=self.rng.randint(14, 35)),
                     self.today - timedelta(days=self.rng.randint(2, 6)))
        municipality = db.session.get(Municipality, plan.municipality)
        if municipality is None:
            raise DemoError(f"Municipality {plan.municipality} is missing; run `flask db "
                            "upgrade` first.")
        units = self.units(plan)
        actor = self.coordinator()
        db.session.flush()
        engagement = case_services.create_case(
            types[plan.type_code], plan.municipality,
            units[0].name if plan.institution else f"{municipality.name} Kommune", start,
            units, actor, self.moment(opened))
        closes = None
        if plan.status is E.COMPLETED:
            closes = engagement.planned_end + timedelta(days=self.rng.randint(1, 12))
        elif plan.status is E.CANCELLED:  # without `runs`: called off before the start
            closes = (rules.add_months(start, plan.runs) if plan.runs
                      else start - timedelta(days=self.rng.randint(3, 10)))
        reason = texts("cases")["cancel_reasons"][plan.reason] if plan.reason else ""
        return _Case(engagement, start, plan.status, closes, reason,
                     Decimal(plan.held_hours) if plan.held_hours else None, plan.overrun,
                     plan.consultants, plan.team_change)

    def from_application(self, engagement: Engagement) -> _Case:
        """The cases the approved demo applications opened: one-year from the round's start,
        mini a week or two after the decision, completed once their three months are over."""
        rng = self.rng
        if engagement.start_date is not None:
            start = engagement.start_date
        else:
            decided = engagement.application.decided_at.astimezone(COPENHAGEN).date()
            start = weekday(decided + timedelta(days=rng.randint(7, 14)), forward=True)
        case = _Case(engagement, start, E.ACTIVE, consultants=rng.randint(1, 2),
                     team_change=engagement.municipality_code == 390)  # Vordingborg
        if engagement.engagement_type.code == "mini":
            planned_end = rules.add_months(start, engagement.engagement_type.default_length_months)
            if planned_end < self.today - timedelta(days=7):
                case.status, case.closes = E.COMPLETED, planned_end
                case.held_hours = Decimal(rng.choice(["9.25", "9.5", "10"]))
            else:
                share = Decimal((self.today - start).days) / 90
                case.held_hours = max(Decimal("1.5"), _quarters(share * 7))
        else:
            case.consultants = 2
        return case

    def describe(self, case: _Case) -> None:
        """Start date, goals, documentation form and themes of the case."""
        rng, engagement = self.rng, case.engagement
        codes = rng.sample(CASE_THEMES[engagement.engagement_type.code], rng.randint(2, 4))
        planned_end = engagement.planned_end or rules.add_months(
            case.start, engagement.engagement_type.default_length_months)
        words = texts("cases")
        case_services.update_case(
            engagement, None, start_date=case.start, planned_end=planned_end,
            hour_budget=engagement.hour_budget,
            goals=rng.sample(words["goals"], rng.randint(2, 3)),
            documentation_form=rng.choice(words["documentation_forms"]),
            theme_ids=[self.themes[code].id for code in codes])

    def staff(self, case: _Case) -> list[tuple[EngagementMember, date | None]]:
        """Assign the team; a team change ends one membership and starts another."""
        rng, engagement = self.rng, case.engagement
        assigned = min(case.start - timedelta(days=rng.randint(7, 14)), self.today,
                       case.closes or self.today)
        people = rng.sample(self.pool, min(case.consultants + 1, len(self.pool)))
        actor = self.coordinator()
        members = []
        for index, user in enumerate(people[:case.consultants]):
            members.append(case_services.assign_consultant(
                engagement, user, MemberRole.LEAD if index == 0 else MemberRole.CO, assigned))
        changed = None
        if case.team_change and len(people) > case.consultants:
            last = min(case.closes or self.today, self.today)
            changed = weekday(case.start + (last - case.start) * 2 // 5, forward=False)
            leaving = members[-1]
            audit.set_actor(actor.id)
            case_services.end_membership(leaving, changed)
            members.append(case_services.assign_consultant(
                engagement, people[case.consultants], leaving.role, changed))
        return members

    # - sessions --------------------------------------------------------------------------

    def schedule(self, case: _Case) -> list[tuple[date, F, Sub | None, Decimal]]:
        if case.engagement.engagement_type.code == "mini":
            return self.mini_schedule(case)
        return self.one_year_schedule(case)

    def one_year_schedule(self, case: _Case) -> list[tuple[date, F, Sub | None, Decimal]]:
        rng = self.rng
        planned_end = case.engagement.planned_end
        last = case.closes if case.closes else self.today + timedelta(weeks=6)
        # Completed, or ending within the weeks planned ahead: it ends with an evaluation.
        evaluated = case.status is E.COMPLETED or (
            case.status is E.ACTIVE and self.today < planned_end <= last)
        if evaluated:
            last = planned_end
        sessions = [(weekday(case.start + timedelta(days=rng.randint(0, 3)), True),
                     F.KICKOFF, None)]
        midway_due = rules.add_months(case.start, 6)
        day = sessions[0][0]
        while True:
            day = weekday(day + timedelta(days=rng.randint(5, 11)), forward=True)
            if day >= last - timedelta(days=7):
                break
            if day >= midway_due and all(f is not F.MIDWAY_STATUS for _d, f, _s in sessions):
                sessions.append((day, F.MIDWAY_STATUS, None))
                continue
            draw = rng.random()
            if draw < 0.5:
                sub = rng.choices([Sub.SIDE_BY_SIDE, Sub.PRESENTATION, Sub.INTERNAL_MEETING],
                                  [6, 2, 2])[0]
                sessions.append((day, F.PRACTICE_MEETING, sub))
            elif draw < 0.75:
                sessions.append((day, F.LEADERSHIP_SPARRING,
                                 rng.choice(rules.SUB_FORMATS[F.LEADERSHIP_SPARRING])))
            elif draw < 0.88:
                sessions.append((day, F.CONSULTANT_SPARRING,
                                 rng.choice(rules.SUB_FORMATS[F.CONSULTANT_SPARRING])))
            elif draw < 0.92:
                sessions.append((day, F.THEME_DAY, None))
            else:
                sessions.append((day, F.OTHER, None))
        if evaluated:
            sessions.append((weekday(planned_end - timedelta(days=rng.randint(1, 6)), False),
                             F.EVALUATION_MEETING, None))
        if case.status is E.PLANNED:
            sessions = sessions[:2]
        return [(day, fmt, sub, Decimal(rng.choice(HOURS_BY_FORMAT.get(sub)
                                                   or HOURS_BY_FORMAT[fmt])))
                for day, fmt, sub in sessions]

    def mini_schedule(self, case: _Case) -> list[tuple[date, F, Sub | None, Decimal]]:
        """Hours that add up to `held_hours` exactly, spread from the start to the last day."""
        rng = self.rng
        if case.status is E.PLANNED:
            return [(case.start, F.KICKOFF, None, Decimal("1.5"))]
        if case.held_hours is None:
            return []
        closing = case.status is E.COMPLETED
        total = case.held_hours
        hours = [Decimal("1.5")]
        final = Decimal(rng.choice(["1", "1.5"])) if closing else None
        goal = total - (final or 0)
        while goal - sum(hours) >= Decimal("3"):
            hours.append(Decimal(rng.choice(MINI_HOURS)))
        rest = goal - sum(hours)
        if rest >= Decimal("0.5"):
            hours.append(rest)
        else:
            hours[-1] += rest
        if final is not None:
            hours.append(final)
        if case.closes:
            last = weekday(case.closes - timedelta(days=rng.randint(2, 8)), forward=False)
        else:
            last = weekday(self.today - timedelta(days=rng.randint(1, 4)), forward=False)
        span = max((last - case.start).days, 0)
        days = [weekday(case.start + timedelta(days=span * index // max(len(hours) - 1, 1)),
                         forward=False) for index in range(len(hours))]
        days[0] = case.start
        schedule = []
        for index, (day, length) in enumerate(zip(days, hours)):
            if index == 0:
                fmt, sub = F.KICKOFF, None
            elif final is not None and index == len(hours) - 1:
                fmt, sub = F.EVALUATION_MEETING, None
            elif length <= Decimal("1.25"):
                fmt, sub = F.LEADERSHIP_SPARRING, rng.choice([Sub.FORMAL_INDIVIDUAL,
                                                             Sub.INFORMAL_INDIVIDUAL])
            else:
                fmt = rng.choice([F.PRACTICE_MEETING, F.PRACTICE_MEETING,
                                  F.LEADERSHIP_SPARRING])
                sub = rng.choice(rules.SUB_FORMATS[fmt])
            schedule.append((day, fmt, sub, length))
        if case.status is E.ACTIVE:  # the next visit is in the calendar
            coming = weekday(self.today + timedelta(days=rng.randint(4, 14)), forward=True)
            fmt = F.EVALUATION_MEETING if case.overrun else F.PRACTICE_MEETING
            schedule.append((coming, fmt, None if case.overrun else Sub.SIDE_BY_SIDE,
                             Decimal("1.5")))
        return schedule

    def participants(self, fmt: F, sub: Sub | None, units: int, mini: bool) -> dict:
        r = self.rng.randint
        municipal = 0 if mini else r(0, 1)
        if fmt is F.PRACTICE_MEETING and sub is Sub.SIDE_BY_SIDE:
            return dict(leaders=r(0, 1), pedagogical_staff=r(2, 5), assistants=r(1, 3))
        if fmt is F.PRACTICE_MEETING:
            return dict(leaders=r(1, 2), pedagogical_staff=r(6, 16), assistants=r(2, 8))
        if fmt is F.LEADERSHIP_SPARRING:
            group = sub in (Sub.FORMAL_GROUP, Sub.INFORMAL_GROUP)
            return dict(leaders=r(2, units + 2) if group else 1, municipal_consultants=municipal)
        if fmt is F.CONSULTANT_SPARRING:
            return dict(municipal_consultants=r(1, 3), leaders=r(0, 1))
        if fmt is F.THEME_DAY:
            return dict(leaders=r(units, units * 2), pedagogical_staff=r(15, 40),
                        assistants=r(5, 15), municipal_consultants=r(1, 2))
        if fmt is F.OTHER:
            return dict(leaders=1)
        return dict(leaders=r(1, units + 1), pedagogical_staff=r(1, 2 * units),
                    assistants=r(0, units), municipal_consultants=municipal)

    def notes(self, fmt: F, sub: Sub | None, unit: str,
              theme_names: list[str]) -> tuple[str, str, str]:
        """The opening line, the summary and the next steps of a session."""
        rng, words = self.rng, texts("cases")
        situation = rng.choice(words["situations"])
        if fmt is F.PRACTICE_MEETING:
            topic = rng.choice(words["topics"])  # drawn for every practice meeting
            opening = {
                Sub.SIDE_BY_SIDE: f"Skulder ved skulder i {unit} under {situation}.",
                Sub.PRESENTATION: f"Fagligt oplæg på personalemødet i {unit} om {topic}.",
                Sub.INTERNAL_MEETING: f"Deltagelse i stuemøde i {unit}.",
            }[sub]
            middle = rng.choice(words["observations"][sub.value])
        elif fmt is F.LEADERSHIP_SPARRING:
            who = ("ledergruppen" if sub in (Sub.FORMAL_GROUP, Sub.INFORMAL_GROUP)
                   else "den pædagogiske leder")
            kind = "Uformel" if sub in (Sub.INFORMAL_INDIVIDUAL, Sub.INFORMAL_GROUP) else "Formel"
            opening = (f"{kind} ledelsessparring med {who} om "
                       f"{rng.choice(words['leadership_topics'])}.")
            middle = rng.choice(words["observations"]["leadership"])
        elif fmt is F.CONSULTANT_SPARRING:
            opening = ("Sparring med kommunens pædagogiske konsulenter om sammenhængen til "
                       "kommunens øvrige indsatser.")
            middle = rng.choice(words["observations"]["consultant"])
        else:
            opening = words["openings"][fmt.value].format(topic=rng.choice(words["topics"]))
            quoted = [f"»{name}«" for name in theme_names]
            themes = " og ".join(filter(None, [", ".join(quoted[:-1]), quoted[-1]]))
            middle = rng.choice(words["closing_remarks"][fmt.value]).format(themes=themes)
        reflection = rng.choice(words["reflections"]) if fmt is F.PRACTICE_MEETING else ""
        summary = " ".join(part for part in (opening, middle, reflection) if part)
        steps = " ".join(step.format(situation=situation)
                         for step in rng.sample(words["next_steps"], rng.randint(1, 2)))
        return opening, summary, steps

    def log(self, case: _Case, members: list[EngagementMember]) -> int:
        rng, engagement = self.rng, case.engagement
        mini = engagement.engagement_type.code == "mini"
        units = sorted((link.unit for link in engagement.units), key=lambda unit: unit.id)
        theme_ids = sorted(link.theme_id for link in engagement.themes)
        names = {theme.id: theme.name_da for theme in self.themes.values()}
        logged = 0
        for day, fmt, sub, hours in self.schedule(case):
            on_case = [m.user for m in members
                       if m.started_on <= day and (m.ended_on is None or m.ended_on > day)]
            everyone = fmt in (F.KICKOFF, F.MIDWAY_STATUS, F.EVALUATION_MEETING, F.THEME_DAY)
            present = on_case if everyone or len(on_case) < 2 else rng.sample(
                on_case, rng.choice([1, 1, 2]))
            whole = everyone or fmt is F.CONSULTANT_SPARRING or sub in (Sub.FORMAL_GROUP,
                                                                         Sub.INFORMAL_GROUP)
            taking_part = units if whole else [rng.choice(units)]
            session_themes = rng.sample(theme_ids, min(len(theme_ids), rng.randint(1, 2)))
            opening, summary, steps = self.notes(fmt, sub, taking_part[0].name,
                                                 [names[i] for i in session_themes])
            if day > self.today:  # planned: what was agreed, no notes yet
                summary, steps = f"Aftalt: {opening}", ""
            data = case_services.SessionData(
                held_on=day, hours=hours, format=fmt, sub_format=sub,
                consultant_ids=sorted(user.id for user in present),
                unit_ids=[unit.id for unit in taking_part], theme_ids=sorted(session_themes),
                summary=summary, next_steps=steps,
                **self.participants(fmt, sub, len(units), mini))
            writer = present[0]
            audit.set_actor(writer.id)
            case_services.log_session(engagement, data, writer, self.today,
                                      confirm_overrun=case.overrun)
            logged += 1
        return logged

    def start(self, case: _Case) -> None:
        if case.start <= self.today and not _called_off(case):
            case_services.change_status(case.engagement, E.ACTIVE, "", self.coordinator(),
                                        self.moment(case.start))

    def close(self, case: _Case) -> None:
        """Complete or cancel a case that is over."""
        engagement = case.engagement
        if case.status in (E.COMPLETED, E.CANCELLED):
            case_services.change_status(engagement, case.status, case.reason,
                                        self.coordinator(), self.moment(case.closes))


def _called_off(case: _Case) -> bool:
    """Cancelled before it started: no team work, no sessions."""
    return case.status is E.CANCELLED and case.closes < case.start


def _quarters(hours: Decimal) -> Decimal:
    return (hours * 4).to_integral_value() / 4


def _consultants() -> list[User]:
    """The active practice consultants, the demo ones first."""
    users = db.session.scalars(sa.select(User).where(User.role == Role.CONSULTANT,
                                                     User.active)).all()
    users = sorted(users, key=lambda user: (not user.email.endswith("@demo.example"),
                                            user.email))
    if len(users) < 2:
        raise DemoError("The demo needs two active practice consultants.")
    return users[:5]


def load_cases(today: date, now: datetime, types: dict[str, EngagementType],
               team: list[User]) -> None:
    """Open the direct cases, then staff, describe, log and close every case. Flushes."""
    rng = random.Random(CASES_SEED)
    themes = {theme.code: theme for theme in case_services.themes()}
    builder = _CaseBuilder(rng, today, now, team, _consultants(), themes)
    opened = db.session.scalars(sa.select(Engagement).where(Engagement.application_id.is_not(
        None)).order_by(Engagement.reference)).all()
    all_cases = [builder.from_application(engagement) for engagement in opened]
    all_cases += [builder.open_direct(plan, types) for plan in DIRECT_CASES]
    for case in all_cases:
        builder.describe(case)
        members = builder.staff(case)
        builder.start(case)
        if not _called_off(case):
            builder.log(case, members)
        builder.close(case)
    audit.set_actor(None)
    db.session.flush()
