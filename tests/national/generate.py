"""Ten years of national data, written with PostgreSQL's COPY (issue 14).

On a migrated database with the demo loaded, `generate(scale, today)` adds, from one seeded
generator (so the same `today` and scale give the same rows):

- consultants up to `scale.consultants` (the demo's own and generated ones, all with the
  demo's password), daycare units in every municipality, two application rounds a year;
- `scale.cases` cases over `scale.years` years, each with the approved application it came
  from (two submitted reviews with scores), besides applications that were rejected,
  waitlisted or withdrawn; the case's units, themes, contacts, team and status history;
- about `scale.sessions` sessions with their consultants, units and themes (three cases
  with `scale.big_cases` sessions, the ones the page benchmark opens);
- self-assessments: a baseline for every unit of a case that has run, an end measurement for
  most units of completed cases, a midway one for some one-year courses, answering every item
  of the default instrument's published version, about `scale.answers` answers in all.

Every row is checked by the database's own constraints as it is copied in; ids are given
here and every sequence is moved past them afterwards (`setval`), the reference counters
past the numbers used. What the app derives from the data (phases and flags, and the stored
columns other parts keep) is then computed by the app's own code in `derive`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta, timezone
from decimal import Decimal

import psycopg
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from consultancy import create_app
from consultancy.cli import DEMO_PASSWORD
from consultancy.demo.cases import HOURS_BY_FORMAT
from consultancy.demo.common import UNIT_CHILDREN, texts, weekday
from consultancy.engagements.activity import refresh_activity
from consultancy.evaluation.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_PREFIX,
    default_version,
    refresh_case_scores,
)
from consultancy.extensions import db
from consultancy.flags.services import run_pass
from consultancy.models import (
    ApplicantKind,
    ApplicationStatus,
    Channel,
    Criterion,
    EngagementStatus as E,
    EngagementType,
    MemberRole,
    MissingCode,
    Municipality,
    Occasion,
    Ownership,
    RespondentRole,
    Role,
    SessionFormat as F,
    SessionStatus,
    SubFormat as Sub,
    Theme,
    UnitKind,
    User,
)
from consultancy.rules import engagements as rules
from consultancy.services.clock import COPENHAGEN, local_today

SEED = 14
DOMAIN = "national.example"
CONSULTANT_EMAIL = "konsulent{number:02d}@" + DOMAIN
MISSING_SHARE = 0.025


@dataclass(frozen=True)
class Scale:
    years: int = 10
    cases: int = 5_000
    sessions: int = 194_000
    answers: int = 913_000
    consultants: int = 40
    units_per_municipality: int = 60
    # Sessions of the three cases the page benchmark opens (the first three generated).
    big_cases: tuple[int, ...] = (1_500, 150, 20)


SCALES = {
    "national": Scale(),
    "small": Scale(years=2, cases=60, sessions=1_500, answers=8_000, consultants=8,
                   units_per_municipality=2, big_cases=(200, 40, 20)),
    "tiny": Scale(years=2, cases=30, sessions=600, answers=3_000, consultants=4,
                  units_per_municipality=1, big_cases=(60, 25, 20)),
}


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return ([f"  {table:<28} {count:>9,}" for table, count in self.counts.items()]
                + [f"  {step:<28} {seconds:>8.1f} s" for step, seconds in self.seconds.items()])


# The hooks that derive stored columns from the copied rows, each called once with `today`,
# in order, before the flag pass (which may read what they store). The parts of issue 14
# that keep columns of their own (a case's activity, a response's scores) add theirs here,
# one line each.
def refresh_case_activity(today: date) -> None:
    """Hours used, last and next session kept on each case (COPY bypasses the services)."""
    refresh_activity(db.session.connection())


def refresh_effect_scores(today: date) -> None:
    """The effect summary's per-case statistics, from the answers loaded by COPY."""
    refresh_case_scores()


DERIVE_HOOKS: list[Callable[[date], object]] = [
    refresh_case_activity,
    refresh_effect_scores,
]


def derive(today: date) -> dict[str, float]:
    """What the app computes from the rows, by the app's own code: every hook of
    DERIVE_HOOKS, then the flag pass (phases, phase changes and flags). Commits after each;
    returns the seconds each step took."""
    seconds = {}
    for hook in DERIVE_HOOKS:
        began = time.perf_counter()
        hook(today)
        db.session.commit()
        seconds[getattr(hook, "__name__", repr(hook))] = time.perf_counter() - began
    began = time.perf_counter()
    run_pass(today)
    db.session.commit()
    seconds["flag pass"] = time.perf_counter() - began
    return seconds


# --- rows --------------------------------------------------------------------------------

COLUMNS = {
    "users": ("id", "email", "name", "role", "active", "language", "password_hash",
              "created_at"),
    "daycare_units": ("id", "name", "municipality_code", "ownership", "kind", "children"),
    "rounds": ("id", "name", "engagement_type_id", "opens_on", "closes_on", "capacity",
               "planned_start", "criteria_set_id"),
    "applications": ("id", "reference", "year", "number", "engagement_type_id", "round_id",
                     "criteria_set_id", "channel", "status", "submitted_at", "applicant_kind",
                     "applicant_name", "municipality_code", "contact_name", "contact_email",
                     "contact_phone", "documented_need", "motivation", "leadership_backing",
                     "resource_hours_per_month", "resource_participants", "consent_at",
                     "decided_at", "decided_by_id", "decision_note"),
    "application_units": ("id", "application_id", "unit_id", "position", "children",
                          "vulnerable_share"),
    "reviews": ("id", "application_id", "reviewer_id", "assigned_at", "submitted_at"),
    "scores": ("id", "review_id", "criterion_id", "value", "justification"),
    "engagements": ("id", "reference", "year", "number", "engagement_type_id", "application_id",
                    "municipality_code", "applicant_name", "status", "cancel_reason",
                    "start_date", "planned_end", "hour_budget", "goals", "documentation_form",
                    "created_at", "version"),
    "engagement_units": ("engagement_id", "unit_id"),
    "engagement_themes": ("engagement_id", "theme_id"),
    "engagement_members": ("id", "engagement_id", "user_id", "role", "started_on", "ended_on"),
    "engagement_contacts": ("id", "engagement_id", "unit_id", "name", "title", "email",
                            "phone"),
    "engagement_status_changes": ("id", "engagement_id", "from_status", "to_status", "at",
                                  "by_id", "reason"),
    "engagement_sessions": ("id", "engagement_id", "status", "held_on", "hours", "format",
                            "sub_format", "leaders", "pedagogical_staff", "assistants",
                            "municipal_consultants", "summary", "next_steps", "overrun",
                            "created_by_id", "created_at", "version"),
    "session_consultants": ("session_id", "user_id"),
    "session_units": ("session_id", "unit_id"),
    "session_themes": ("session_id", "theme_id"),
    "evaluation_responses": ("id", "engagement_id", "unit_id", "instrument_version_id",
                             "occasion", "respondent_role", "respondent_code", "responded_on",
                             "entered_by_id", "entered_at"),
    "evaluation_answers": ("response_id", "item_id", "value", "missing_code"),
}
# Tables whose id comes from a sequence, moved past the copied ids afterwards.
SEQUENCED = [table for table, columns in COLUMNS.items() if columns[0] == "id"]

OTHER_FORMATS = [
    (0.5, F.PRACTICE_MEETING, (Sub.SIDE_BY_SIDE, Sub.PRESENTATION, Sub.INTERNAL_MEETING)),
    (0.75, F.LEADERSHIP_SPARRING, rules.SUB_FORMATS[F.LEADERSHIP_SPARRING]),
    (0.88, F.CONSULTANT_SPARRING, rules.SUB_FORMATS[F.CONSULTANT_SPARRING]),
    (0.92, F.THEME_DAY, ()),
    (1.0, F.OTHER, ()),
]
FIRST_NAMES = ["Anne", "Mette", "Lars", "Jens", "Hanne", "Susanne", "Peter", "Louise",
               "Camilla", "Maria", "Rasmus", "Sofie", "Henrik", "Pia", "Thomas", "Line"]
LAST_NAMES = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
              "Sørensen", "Rasmussen", "Jørgensen", "Madsen", "Kristensen", "Olsen", "Thomsen"]
UNIT_WORDS = ["Mælkebøtten", "Solsikken", "Troldehøj", "Regnbuen", "Skovbrynet", "Myretuen",
              "Bakkegården", "Spiren", "Humlebien", "Kastanjen", "Egebladet", "Stjernen"]
UNIT_PREFIX = {UnitKind.NURSERY: "Vuggestuen", UnitKind.KINDERGARTEN: "Børnehaven",
               UnitKind.INTEGRATED: "Børnehuset", UnitKind.CHILDMINDING: "Dagplejen"}


def _at(day: date, hour: int = 9) -> datetime:
    """Copenhagen's `hour` o'clock on `day`, in UTC."""
    return datetime.combine(day, clock_time(hour), COPENHAGEN).astimezone(timezone.utc)


def _quarters(value: float, low: float, high: float) -> Decimal:
    return Decimal(round(min(high, max(low, value)) * 4)) / 4


class _Ids:
    """The next free id of every sequenced table, read before the copy."""

    def __init__(self, connection: sa.Connection):
        self.next = {table: connection.execute(sa.text(
            f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")).scalar_one()
            for table in SEQUENCED}

    def take(self, table: str) -> int:
        number = self.next[table]
        self.next[table] = number + 1
        return number


@dataclass
class _Case:
    id: int
    kind: EngagementType
    municipality: Municipality
    start: date
    end: date
    status: E
    closed_on: date | None
    units: list[int]
    lead: int
    team: list[int]
    themes: list[int]
    sessions: int = 0


class _Generator:
    def __init__(self, scale: Scale, today: date, seed: int):
        self.scale, self.today, self.rng = scale, today, random.Random(seed)
        self.rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self.words = texts("cases")
        session = db.session
        self.types = {t.code: t for t in session.scalars(sa.select(EngagementType))}
        self.municipalities = list(session.scalars(
            sa.select(Municipality).order_by(Municipality.code)))
        self.themes = list(session.scalars(
            sa.select(Theme.id).where(Theme.active).order_by(Theme.id)))
        self.criteria = list(session.scalars(
            sa.select(Criterion).order_by(Criterion.criteria_set_id.desc(), Criterion.position)))
        self.criteria_set_id = self.criteria[0].criteria_set_id
        self.criteria = [c for c in self.criteria if c.criteria_set_id == self.criteria_set_id]
        self.team = list(session.scalars(sa.select(User.id).where(
            User.role == Role.TEAM, User.active).order_by(User.id)))
        self.version = default_version()
        self.items = sorted(self.version.items, key=lambda item: item.position)
        self.ids = _Ids(session.connection())

    # --- people and places ---------------------------------------------------------------

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def consultants(self) -> list[int]:
        existing = list(db.session.scalars(sa.select(User.id).where(
            User.role == Role.CONSULTANT, User.active).order_by(User.id)))
        password = generate_password_hash(DEMO_PASSWORD)
        created = _at(self.today - timedelta(days=365 * self.scale.years + 60))
        for number in range(1, self.scale.consultants - len(existing) + 1):
            user_id = self.ids.take("users")
            self.rows["users"].append((
                user_id, CONSULTANT_EMAIL.format(number=number), f"{self.person()} ({number})",
                Role.CONSULTANT.value, True, "da", password, created))
            existing.append(user_id)
        return existing

    def units(self) -> dict[int, list[int]]:
        rng, by_municipality = self.rng, {}
        for municipality in self.municipalities:
            ids = by_municipality.setdefault(municipality.code, [])
            for number in range(self.scale.units_per_municipality):
                kind = rng.choices(list(UNIT_CHILDREN), [2, 3, 5, 1])[0]
                unit_id = self.ids.take("daycare_units")
                ownership = rng.choices(list(Ownership), [8, 1, 1])[0]
                self.rows["daycare_units"].append((
                    unit_id, f"{UNIT_PREFIX[kind]} {rng.choice(UNIT_WORDS)} "
                    f"({municipality.name} {number + 1})", municipality.code, ownership.value,
                    kind.value, rng.randint(*UNIT_CHILDREN[kind])))
                ids.append(unit_id)
        return by_municipality

    def rounds(self, first_year: int) -> dict[tuple[int, bool], int]:
        """Two rounds a year for the one-year course: spring (starts in August) and autumn
        (starts in February)."""
        one_year, rounds = self.types["one_year"], {}
        for year in range(first_year, self.today.year + 1):
            for spring in (True, False):
                opens = date(year, 2 if spring else 8, 1)
                closes = date(year, 3 if spring else 9, 15)
                start = date(year, 8, 1) if spring else date(year + 1, 2, 1)
                round_id = self.ids.take("rounds")
                rounds[year, spring] = round_id
                self.rows["rounds"].append((
                    round_id, f"Landsrunde {'forår' if spring else 'efterår'} {year}",
                    one_year.id, opens, closes, 300, start, self.criteria_set_id))
        return rounds

    # --- cases -----------------------------------------------------------------------------

    def plan_cases(self, consultants: list[int], units: dict[int, list[int]]) -> list[_Case]:
        rng, today, scale = self.rng, self.today, self.scale
        first = today - timedelta(days=365 * scale.years)
        span = (today + timedelta(days=60) - first).days
        cases = []
        for index in range(scale.cases):
            big = index < len(scale.big_cases)
            kind = self.types["mini" if not big and rng.random() < 1 / 3 else "one_year"]
            if big:  # running now, a long way in
                start = weekday(today - timedelta(days=200 + 40 * index), forward=True)
            else:
                start = weekday(first + timedelta(days=rng.randint(0, span)), forward=True)
            end = (rules.add_months(start, 12) if kind.code == "one_year"
                   else start + timedelta(days=91))
            if big:
                end = rules.add_months(start, 36)
            if start > today:
                status, closed = E.PLANNED, None
            elif rng.random() < 0.04:
                status = E.CANCELLED
                closed = min(today, start + timedelta(days=rng.randint(1, (end - start).days)))
            elif end + timedelta(days=20) < today and rng.random() < 0.97:
                status, closed = E.COMPLETED, min(today, end + timedelta(days=rng.randint(0, 20)))
            else:
                status, closed = E.ACTIVE, None
            municipality = self.municipalities[rng.randrange(len(self.municipalities))]
            pool = units[municipality.code]
            chosen = rng.sample(pool, min(len(pool), rng.choices([1, 2, 3], [6, 3, 1])[0]))
            team = rng.sample(consultants, 2 if rng.random() < 0.7 else 1)
            themes = rng.sample(self.themes, min(len(self.themes), rng.randint(2, 4)))
            cases.append(_Case(self.ids.take("engagements"), kind, municipality, start, end,
                               status, closed, chosen, team[0], team, themes))
        self.spread_sessions(cases)
        return cases

    def spread_sessions(self, cases: list[_Case]) -> None:
        """Sessions for each case in proportion to its type and the share of it that has
        run, scaled to `scale.sessions` in all."""
        rng, today = self.rng, self.today
        weights = []
        for case in cases[len(self.scale.big_cases):]:
            last = min(case.closed_on or today, today, case.end)
            length = max(1, (case.end - case.start).days)
            share = max(0.0, min(1.0, (last - case.start).days / length))
            weights.append((5.3 if case.kind.code == "one_year" else 1.0)
                           * max(share, 0.02) * rng.uniform(0.6, 1.4))
        remaining = self.scale.sessions - sum(self.scale.big_cases)
        factor = remaining / sum(weights)
        for case, sessions in zip(cases, self.scale.big_cases):
            case.sessions = sessions
        for case, weight in zip(cases[len(self.scale.big_cases):], weights):
            case.sessions = max(1, round(weight * factor))

    def application(self, case: _Case, rounds: dict, status: ApplicationStatus,
                    counters: dict) -> int:
        """An application of the case's municipality (approved for a case), with two
        submitted reviews scored on every criterion."""
        rng = self.rng
        if case.kind.code == "one_year":
            spring = case.start.month >= 6
            year = case.start.year if spring else case.start.year - 1
            round_id = rounds.get((year, spring))
            submitted = date(year, 2 if spring else 8, rng.randint(1, 28))
        else:
            round_id = None
            submitted = case.start - timedelta(days=rng.randint(20, 60))
        application_id = self.ids.take("applications")
        number = counters["ANS", submitted.year] = counters.get(("ANS", submitted.year), 0) + 1
        decided = submitted + timedelta(days=rng.randint(14, 40))
        municipal = rng.random() < 0.85 or not case.kind.institutions_may_apply
        kind = ApplicantKind.MUNICIPALITY if municipal else ApplicantKind.INSTITUTION
        name = f"{case.municipality.name} Kommune"
        contact = self.person()
        decided_by = self.team[application_id % len(self.team)] if self.team else None
        final = status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
        self.rows["applications"].append((
            application_id, f"ANS-{submitted.year}-{number:04d}", submitted.year, number,
            case.kind.id, round_id, self.criteria_set_id,
            rng.choice([Channel.WEB, Channel.STAFF]).value,
            status.value, _at(submitted, 11), kind.value, name, case.municipality.code, contact,
            f"{contact.split()[0].lower()}{application_id}@{DOMAIN}", "12 34 56 78",
            "Vores egne data viser, at børn i udsatte positioner deltager for lidt.",
            "Hele personalegruppen vil arbejde med læringsmiljøet.",
            "Dagtilbudschefen har afsat tid til forløbet.", _quarters(rng.uniform(4, 12), 1, 99),
            "Leder og tre pædagoger", _at(submitted, 11),
            _at(decided, 14) if final and status is not ApplicationStatus.WITHDRAWN else None,
            decided_by if final and status is not ApplicationStatus.WITHDRAWN else None,
            "Besluttet efter to bedømmelser." if final else None))
        for position, unit_id in enumerate(case.units, start=1):
            self.rows["application_units"].append((
                self.ids.take("application_units"), application_id, unit_id, position,
                rng.randint(20, 120), Decimal(rng.randint(0, 600)) / 10))
        for reviewer in self.team[:2]:
            review_id = self.ids.take("reviews")
            self.rows["reviews"].append((review_id, application_id, reviewer,
                                         _at(submitted + timedelta(days=2)),
                                         _at(submitted + timedelta(days=rng.randint(3, 13)))))
            for criterion in self.criteria:
                low = criterion.minimum if status is ApplicationStatus.APPROVED else 0
                self.rows["scores"].append((
                    self.ids.take("scores"), review_id, criterion.id, rng.randint(low, 3),
                    "Vurderet ud fra ansøgningens beskrivelse."))
        return application_id

    def case_rows(self, case: _Case, application_id: int, counters: dict) -> None:
        rng, words = self.rng, self.words
        created = case.start - timedelta(days=rng.randint(10, 40))
        year = created.year
        number = counters["FORL", year] = counters.get(("FORL", year), 0) + 1
        budget = (Decimal(10) if case.kind.code == "mini"
                  else Decimal(rng.choice([60, 80, 100])) if case.sessions < 150
                  else Decimal(case.sessions * 2))
        reason = (rng.choice(list(words["cancel_reasons"].values()))
                  if case.status is E.CANCELLED else None)
        self.rows["engagements"].append((
            case.id, f"FORL-{year}-{number:03d}", year, number, case.kind.id, application_id,
            case.municipality.code, f"{case.municipality.name} Kommune", case.status.value,
            reason, case.start, case.end, budget,
            json.dumps(rng.sample(words["goals"], 2), ensure_ascii=False),
            rng.choice(words["documentation_forms"]), _at(created), 1))
        self.rows["engagement_units"].extend((case.id, unit) for unit in case.units)
        self.rows["engagement_themes"].extend((case.id, theme) for theme in case.themes)
        for position, user_id in enumerate(case.team):
            self.rows["engagement_members"].append((
                self.ids.take("engagement_members"), case.id, user_id,
                (MemberRole.LEAD if position == 0 else MemberRole.CO).value, created, None))
        for unit_id in [None, *case.units[:1]]:
            name = self.person()
            self.rows["engagement_contacts"].append((
                self.ids.take("engagement_contacts"), case.id, unit_id, name,
                "Dagtilbudschef" if unit_id is None else "Leder",
                f"kontakt{case.id}{'u' if unit_id else 'm'}@{DOMAIN}", "12 34 56 78"))
        changes = [(None, E.PLANNED, created)]
        if case.status is not E.PLANNED and not (case.status is E.CANCELLED
                                                 and case.closed_on <= case.start):
            changes.append((E.PLANNED, E.ACTIVE, case.start))
        if case.status in (E.COMPLETED, E.CANCELLED):
            changes.append((changes[-1][1], case.status, case.closed_on))
        for before, after, day in changes:
            self.rows["engagement_status_changes"].append((
                self.ids.take("engagement_status_changes"), case.id,
                before.value if before else None, after.value, _at(day, 10), case.lead,
                reason if after is E.CANCELLED else None))
        self.sessions(case, budget)

    def sessions(self, case: _Case, budget: Decimal) -> None:
        """`case.sessions` sessions: held from the start to the last day it ran (today for
        a running case), a few planned after today; the kick-off first, a midway status for
        a one-year course, an evaluation meeting last for a completed one."""
        rng, today, count = self.rng, self.today, case.sessions
        last = min(case.closed_on or today, today)
        planned = 0
        if case.status is E.PLANNED:
            planned, last = count, case.start + timedelta(days=60)
        elif case.status is E.ACTIVE:
            planned = min(count - 1, rng.randint(1, 3))
        held = count - planned
        span = max(1, (last - case.start).days)
        days = sorted(case.start + timedelta(days=round(span * i / max(1, held)))
                      for i in range(held))
        days += sorted(max(today, case.start) + timedelta(days=rng.randint(1, 45))
                       for _i in range(planned))
        midway = rules.add_months(case.start, 6)
        used, has_midway = Decimal(0), False
        created_by = case.lead
        for index, day in enumerate(days):
            day = weekday(day, forward=False) if day > case.start else case.start
            is_held = index < held and day <= today
            if index == 0:
                fmt, sub = F.KICKOFF, None
            elif (case.kind.code == "one_year" and not has_midway and day >= midway):
                fmt, sub, has_midway = F.MIDWAY_STATUS, None, True
            elif index == held - 1 and case.status is E.COMPLETED:
                fmt, sub = F.EVALUATION_MEETING, None
            else:
                draw = rng.random()
                _share, fmt, subs = next(entry for entry in OTHER_FORMATS if draw < entry[0])
                sub = rng.choice(subs) if subs else None
            if case.kind.code == "mini":
                hours = Decimal(rng.choice(["0.5", "0.75", "1", "1.25"]))
            else:
                hours = Decimal(rng.choice(HOURS_BY_FORMAT.get(sub) or HOURS_BY_FORMAT.get(fmt)
                                           or ["1.5"]))
            overrun = False
            if is_held:
                used += hours
                overrun = budget is not None and used > budget
            session_id = self.ids.take("engagement_sessions")
            status = SessionStatus.HELD if is_held else SessionStatus.PLANNED
            self.rows["engagement_sessions"].append((
                session_id, case.id, status.value,
                day, hours, fmt.value, sub.value if sub else None, 1, rng.randint(1, 8),
                rng.randint(0, 3), rng.randint(0, 1),
                rng.choice(self.words["reflections"]) if is_held else "",
                rng.choice(self.words["next_steps"]).format(situation="samlingen")
                if is_held else "", overrun, created_by, _at(min(day, today), 15), 1))
            present = case.team if rng.random() < 0.7 else case.team[:1]
            self.rows["session_consultants"].extend((session_id, user) for user in present)
            chosen_units = (case.units if rng.random() < 0.6
                            else rng.sample(case.units, 1))
            self.rows["session_units"].extend((session_id, unit) for unit in chosen_units)
            self.rows["session_themes"].extend(
                (session_id, theme) for theme in rng.sample(case.themes, rng.randint(1, 2)))

    # --- self-assessments ------------------------------------------------------------------

    def assessments(self, cases: list[_Case]) -> Iterator[tuple]:
        """The responses, as rows; their answers are drawn afterwards (`answers`), so the
        responses are planned first to reach about `scale.answers` answers."""
        rng, today = self.rng, self.today
        slots = []  # (case, unit, [occasions with their day])
        for case in cases:
            last = min(case.closed_on or today, today)
            if case.status not in (E.ACTIVE, E.COMPLETED) or (last - case.start).days < 14:
                continue
            baseline = weekday(case.start + timedelta(days=rng.randint(3, 12)), forward=False)
            baseline = min(max(baseline, case.start), today)
            ended = case.status is E.COMPLETED or today >= case.end - timedelta(days=30)
            for position, unit in enumerate(case.units):
                occasions = [(Occasion.BASELINE, baseline)]
                if (case.kind.code == "one_year" and (last - case.start).days > 220
                        and rng.random() < 0.4):
                    occasions.append((Occasion.MIDWAY, min(today, rules.add_months(
                        case.start, 6))))
                if ended and not (position and rng.random() < 0.2):
                    day = min(today, case.end - timedelta(days=rng.randint(5, 25)))
                    if day > baseline:
                        occasions.append((Occasion.END, day))
                slots.append((case, unit, occasions))
        answering = sum(len(occasions) for _c, _u, occasions in slots)
        per_slot = self.scale.answers / len(self.items) / max(1, answering)
        entered = {case.id: case.lead for case in cases}
        for case, unit, occasions in slots:
            people = max(1, int(per_slot) + (rng.random() < per_slot % 1))
            codes: list[str] = []
            taken = set()
            roles = [RespondentRole.LEADER] + [
                rng.choices([RespondentRole.PEDAGOGUE, RespondentRole.ASSISTANT],
                            [2, 1])[0] for _i in range(people - 1)]
            for occasion, day in occasions:
                for person in range(people):
                    if person < len(codes) and rng.random() < 0.9:
                        code = codes[person]
                    else:
                        code = self.code(taken)
                        if person >= len(codes):
                            codes.append(code)
                    if (code, occasion) in taken:
                        code = self.code(taken)
                    taken.add((code, occasion))
                    yield (self.ids.take("evaluation_responses"), case.id, unit,
                           self.version.id, occasion.value, roles[person].value, code, day,
                           entered[case.id], _at(day, 13))

    def code(self, taken: set) -> str:
        while True:
            code = CODE_PREFIX + "".join(self.rng.choice(CODE_ALPHABET)
                                         for _i in range(CODE_LENGTH))
            if not any(code == seen for seen, _o in taken):
                return code

    def answers(self, responses: Iterable[tuple]) -> Iterator[tuple]:
        """Every item of the version for each response: a value on its scale (a unit's
        level, moved by the occasion) or, now and then, a missing code."""
        rng, low, high = self.rng, self.version.scale_min, self.version.scale_max
        gain = {Occasion.BASELINE.value: 0.0, Occasion.MIDWAY.value: 0.2,
                Occasion.END.value: 0.4}
        for response in responses:
            level = 2.9 + (response[2] % 7 - 3) * 0.1 + gain[response[4]]
            for item in self.items:
                if rng.random() < MISSING_SHARE:
                    yield (response[0], item.id, None, rng.choice(
                        [MissingCode.DONT_KNOW, MissingCode.NOT_RELEVANT]).value)
                    continue
                value = min(high, max(low, round(level + rng.gauss(0, 0.7))))
                yield (response[0], item.id,
                       low + high - value if item.reverse_coded else value, None)


def _copy(cursor, table: str, rows: Iterable[tuple]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def generate(scale: Scale, today: date, seed: int = SEED) -> Generated:
    """Add the national data set to the app's database (PostgreSQL), then `derive`.
    Needs an app context, a migrated database and the demo loaded."""
    if db.engine.dialect.name != "postgresql":
        raise RuntimeError("The national data set is written with PostgreSQL's COPY.")
    result = Generated()
    began = time.perf_counter()
    generator = _Generator(scale, today, seed)
    consultants = generator.consultants()
    units = generator.units()
    rounds = generator.rounds(today.year - scale.years - 1)
    cases = generator.plan_cases(consultants, units)
    counters: dict = {}
    for kind, year, last in db.session.execute(sa.text(
            "SELECT kind, year, last FROM reference_counters")):
        counters[kind, year] = last
    for case in cases:
        generator.case_rows(case, generator.application(
            case, rounds, ApplicationStatus.APPROVED, counters), counters)
    others = sorted(ApplicationStatus, key=lambda s: s.value)
    for _i in range(scale.cases // 3):  # not approved: rejected, waitlisted, withdrawn, open
        case = generator.rng.choice(cases)
        status = generator.rng.choices(others, [0 if s is ApplicationStatus.APPROVED else 1
                                                for s in others])[0]
        generator.application(case, rounds, status, counters)
    responses = list(generator.assessments(cases))
    result.seconds["plan"] = time.perf_counter() - began

    began = time.perf_counter()
    db.session.remove()
    # A connection of its own, closed afterwards: the app's pool never holds one that copied.
    conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for table in COLUMNS:
            if table == "evaluation_responses":
                rows = responses
            elif table == "evaluation_answers":
                rows = generator.answers(responses)
            else:
                rows = generator.rows[table]
            result.counts[table] = _copy(cursor, table, rows)
        for table in SEQUENCED:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT MAX(id) FROM {table}))")
        for (kind, year), last in counters.items():
            cursor.execute(
                "INSERT INTO reference_counters (kind, year, last) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, year) DO UPDATE SET last = GREATEST("
                "reference_counters.last, EXCLUDED.last)", (kind, year, last))
        cursor.execute("ANALYZE")
    result.seconds["copy"] = time.perf_counter() - began
    result.seconds.update(derive(today))
    # What autovacuum leaves on a database that has settled: visibility maps set, so index-only
    # scans read no table rows, and statistics of what derive() wrote.
    began = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    result.seconds["vacuum"] = time.perf_counter() - began
    return result


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.national.generate --url URL [--scale national|small|tiny]`: generate
    into a migrated database, in a process of its own. The page benchmark runs in another:
    in a process that had loaded the instrument's items, later requests crashed (SIGSEGV in
    the cyclic garbage collector, not seen with `gc.disable()`; see the report of issue 14)."""
    parser = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url,
                      "SECRET_KEY": os.environ.get("SECRET_KEY", "national benchmark")})
    with app.app_context():
        result = generate(SCALES[args.scale], args.today or local_today())
        db.engine.dispose()
    print(f"  scale {args.scale}: {SCALES[args.scale]}")
    print("\n".join(result.lines()), flush=True)


if __name__ == "__main__":
    main()
