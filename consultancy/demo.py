"""Demo data: two application rounds, about thirty applications in every state, about
twenty cases in every status with their teams and some three hundred sessions, and the
self-assessments of the cases that have run (before, for some midway, and after).

`load` goes through the application services (submit, assign_reviewer, submit_scores,
decide, withdraw) and the case services (create_case, update_case, assign_consultant,
end_membership, change_status, log_session) and the evaluation service (record_response),
so the demo obeys the same rules as real use. It only flushes; the `demo load` command
commits. Every choice comes from seeded generators (one for the applications, one for the
cases, one for the self-assessments) and from the `today`/`now` arguments, so two
empty databases get the same data. Demo contacts all use the reserved `.example` top-level
domain: no real address is ever written. Session notes are about practice, never about a
named child.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from consultancy import audit
from consultancy.applications import services
from consultancy.applications.services import ApplicationData, UnitData
from consultancy.engagements import services as cases
from consultancy.evaluation import services as evaluation
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind, Application, ApplicationStatus, Channel, Criterion, DaycareUnit, Engagement,
    EngagementMember, EngagementSession, EngagementStatus, EngagementType, InstrumentVersion,
    MemberRole, MissingCode, Municipality, Occasion, Ownership, RespondentRole, Response, Role,
    Round, SessionFormat, SessionStatus, SubFormat, Theme, UnitKind, User,
)
from consultancy.rules import engagements as rules
from consultancy.services.clock import COPENHAGEN

SEED = 2017
DEMO_DOMAIN = ".example"

S = ApplicationStatus


class DemoError(RuntimeError):
    """The database lacks something the demo needs (reference data, reviewers)."""


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

FIRST_NAMES = [
    "Mette", "Anne", "Susanne", "Lone", "Hanne", "Camilla", "Louise", "Maria", "Pernille",
    "Charlotte", "Tina", "Dorthe", "Helle", "Birgitte", "Rikke", "Lars", "Jens", "Søren",
    "Henrik", "Morten", "Thomas", "Mads", "Jesper", "Anders", "Ole",
]
LAST_NAMES = [
    "Hansen", "Nielsen", "Jensen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Poulsen", "Johansen", "Knudsen", "Mortensen", "Møller", "Østergaard", "Frederiksen",
    "Lund", "Holm", "Dahl",
]
UNIT_BASES = [
    "Mælkebøtten", "Solsikken", "Regnbuen", "Troldehøj", "Skovbrynet", "Myretuen", "Spiren",
    "Kastanjen", "Bikuben", "Lærkereden", "Søstjernen", "Æblehaven", "Humlebien",
    "Fuglereden", "Valmuen", "Stjernen", "Bøgely", "Engblommen", "Skovmusen", "Kildebakken",
    "Pilehuset", "Egernet", "Mariehønen", "Sommerfuglen", "Krudtuglen", "Lindehuset",
    "Havmågen", "Bakkegården", "Græshoppen", "Nøddehegnet",
]
UNIT_PREFIXES = {
    UnitKind.NURSERY: ["Vuggestuen"],
    UnitKind.KINDERGARTEN: ["Børnehaven", "Naturbørnehaven"],
    UnitKind.INTEGRATED: ["Børnehuset", "Daginstitution", "Børnegården"],
}
UNIT_CHILDREN = {UnitKind.NURSERY: (20, 48), UnitKind.KINDERGARTEN: (40, 95),
                 UnitKind.INTEGRATED: (50, 140), UnitKind.CHILDMINDING: (30, 160)}
DISTRICTS = ["Nord", "Syd", "Øst", "Vest", "Midt"]
NUMBER_WORDS = {3: "tre", 4: "fire", 5: "fem"}

NEED_DATA = [
    "Vores seneste sprogvurderinger viser, at {share} procent af børnene i {units} har brug "
    "for en fokuseret eller særlig indsats, og andelen er steget de seneste to år.",
    "Det pædagogiske tilsyn i {year} pegede på, at læringsmiljøet i {units} ikke i "
    "tilstrækkelig grad er organiseret, så alle børn kan deltage i fællesskaberne.",
    "En kortlægning med KIDS-observationer i {units} viser lave scorer på relationer og leg "
    "i hverdagens rutiner.",
    "Vores egen evaluering af den styrkede pædagogiske læreplan viser, at personalet i "
    "{units} har svært ved at omsætte læreplanens mål til praksis i overgange og rutiner.",
]
NEED_VAGUE = [
    "Vi oplever, at der er behov for at udvikle læringsmiljøet i {units}.",
    "Personalet i {units} fortæller, at hverdagen er travl, og at nogle børn kan være svære "
    "at nå.",
    "Vi har en fornemmelse af, at læringsmiljøet kan blive bedre.",
]
NEED_CONCERN = [
    "Især børn fra familier i udsatte positioner står ofte uden for legen og deltager "
    "sjældent i de voksenstyrede aktiviteter.",
    "Samarbejdet med de forældre, der har mest brug for det, er skrøbeligt, og mange deltager "
    "ikke i samtaler og arrangementer.",
    "Der er stor udskiftning i personalegruppen, og mange nyansatte mangler et fælles fagligt "
    "sprog om læringsmiljøet.",
    "Vi ser, at de samme børn igen og igen bliver nævnt i forbindelse med konflikter, mens "
    "deres ressourcer sjældent bliver synlige.",
]
NEED_GOAL = [
    "Vi ønsker et læringsmiljø, hvor alle børn deltager aktivt i fællesskabet hele dagen.",
    "Målet er, at personalet systematisk bruger pædagogisk dokumentation til at justere "
    "praksis, så den fremmer deltagelsen for børn i udsatte positioner.",
    "Vi vil styrke organiseringen af læringsmiljøet i rutinesituationerne, fx i garderoben, "
    "ved måltiderne og i overgangene.",
]
MOTIVATION_WHY = [
    "Vi søger forløbet, fordi vi har brug for et blik udefra, der kan udfordre vores vante "
    "praksis.",
    "Ledere og medarbejdere har selv peget på læringsmiljøet som det vigtigste "
    "udviklingsområde i de kommende år.",
    "Vi har gode erfaringer med kortere kurser, men savner en indsats, der foregår i selve "
    "praksis og følger os over tid.",
    "Vi vil lære at arbejde mere systematisk med evaluering, så vi kan se, om vores indsatser "
    "gør en forskel for børnene.",
]
MOTIVATION_HOW = [
    "Skulder ved skulder-vejledning og faglige oplæg på personalemøder passer godt til den "
    "måde, vores personalegrupper lærer på.",
    "Vi forventer, at forløbet giver et fælles fagligt sprog på tværs af ledere, pædagoger og "
    "pædagogmedhjælpere.",
    "Forløbet skal bygge videre på vores arbejde med den styrkede pædagogiske læreplan og "
    "især temaet kommunikation og sprog.",
    "Vi ser forløbet som en mulighed for at styrke forældresamarbejdet, så flere forældre "
    "bliver en del af børnenes læring.",
]
MOTIVATION_ANCHOR = {
    ApplicantKind.MUNICIPALITY: [
        "Efter forløbet forankrer vi arbejdet i kommunens netværk for pædagogiske ledere.",
        "Erfaringerne fremlægges for børne- og ungeudvalget, så de kan bruges i hele "
        "kommunen.",
        "Personalet har på et fællesmøde givet udtryk for stor lyst til at være med.",
    ],
    ApplicantKind.INSTITUTION: [
        "Hele personalegruppen har på et personalemøde sagt ja til at være med.",
        "Bestyrelsen ser forløbet som et vigtigt skridt i institutionens udviklingsplan.",
    ],
}
MOTIVATION_VAGUE = [
    "Vi synes, forløbet lyder spændende, og vil gerne være med.",
    "Det vil være godt for os at få noget inspiration.",
]
BACKING = {
    ApplicantKind.MUNICIPALITY: [
        "Dagtilbudschefen og de pædagogiske ledere står bag ansøgningen, og forløbet er "
        "godkendt i forvaltningens ledelse.",
        "Børne- og ungeudvalget har prioriteret læringsmiljøet i budgettet, og forvaltningen "
        "har afsat midler til vikardækning.",
        "Lederne i de deltagende dagtilbud har forpligtet sig til ledelsessparring en gang om "
        "måneden.",
        "En pædagogisk konsulent fra forvaltningen følger forløbet og sikrer sammenhængen med "
        "kommunens øvrige indsatser.",
    ],
    ApplicantKind.INSTITUTION: [
        "Bestyrelsen har bakket op om ansøgningen på sit seneste møde.",
        "Lederen deltager selv i alle sparringsgange og har planlagt personalemøderne, så der "
        "er plads til forløbet.",
        "Forældrebestyrelsen har aftalt, at forløbet prioriteres i det kommende halve år.",
    ],
}
BACKING_VAGUE = [
    "Ledelsen er positiv over for forløbet.",
    "Vi finder tiden, når forløbet går i gang.",
]

JUSTIFICATIONS = {
    "documented_need": [
        ["Behovet er ikke beskrevet.", "Ansøgningen siger ikke, hvad der skal udvikles."],
        ["Behovet er beskrevet i generelle vendinger uden data.",
         "Oplevet behov, men ingen dokumentation fra fx tilsyn eller vurderinger."],
        ["Behovet er underbygget af tilsyn og sprogvurderinger.",
         "Konkret beskrivelse af læringsmiljøet med egne data."],
        ["Grundigt dokumenteret og tydeligt knyttet til børn i udsatte positioner.",
         "Overbevisende kortlægning; behovet er klart koblet til deltagelse i fællesskaberne."],
    ],
    "vulnerable_share": [
        ["Andelen er ikke oplyst.", "Meget lav andel i alle enheder."],
        ["Moderat andel; kun én enhed ligger over tærsklen.",
         "Andelen er under tærsklen i de fleste enheder."],
        ["Høj andel i de fleste enheder.", "Andelen ligger over tærsklen i flere enheder."],
        ["Høj andel i alle enheder.", "Alle enheder ligger klart over tærsklen."],
    ],
    "motivation": [
        ["Motivationen er ikke beskrevet.", "Ingen begrundelse for at deltage."],
        ["Motivationen er generel og ikke knyttet til praksis.",
         "Kort begrundelse uden forventninger til forløbet."],
        ["Motivationen er knyttet til egen praksis og læreplanen.",
         "Klar begrundelse; forventningerne kunne være skarpere."],
        ["Grundig motivation med klare forventninger og plan for forankring.",
         "Tydeligt ejerskab i hele personalegruppen."],
    ],
    "leadership_backing": [
        ["Ingen tilkendegivet opbakning fra ledelsen.", "Ledelsen er ikke nævnt."],
        ["Ledelsen er positiv, men der er ikke afsat ressourcer.",
         "Opbakning nævnt, men timerne er for få til et forløb."],
        ["Ledelsen bakker op og har afsat timer.",
         "Ressourcer afsat; forvaltningens rolle er dog uklar."],
        ["Hele ledelseskæden bakker op med konkrete ressourcer.",
         "Afsatte timer og vikardækning er tydeligt beskrevet."],
    ],
}
JUSTIFICATION_FALLBACK = [["Kriteriet er ikke opfyldt."], ["Kriteriet er delvist opfyldt."],
                          ["Kriteriet er opfyldt."], ["Kriteriet er fuldt ud opfyldt."]]


def _decision_note(status: ApplicationStatus, kind: ApplicantKind, round_: Round | None,
                   rng: random.Random) -> str:
    who = "Kommunen" if kind is ApplicantKind.MUNICIPALITY else "Institutionen"
    if status is S.APPROVED and round_ is not None:
        return (f"Ansøgningen opfylder alle fire kriterier og er blandt de {round_.capacity} "
                f"højest prioriterede i runden. Forløbet planlægges med start "
                f"{round_.planned_start:%d-%m-%Y}.")
    if status is S.APPROVED:
        return rng.choice([
            "Behovet er godt beskrevet, og der er afsat tid til sparringen. Konsulenterne "
            "kontakter ansøger for at aftale første sparringsgang.",
            "Ansøgningen opfylder kriterierne klart. Forløbet kan begynde, så snart "
            "konsulenterne er tildelt.",
        ])
    if status is S.WAITLISTED and round_ is not None:
        return (f"Ansøgningen opfylder minimumskravene, men rundens kapacitet på "
                f"{round_.capacity} forløb er brugt af højere prioriterede ansøgninger. "
                f"{who} står på venteliste og kontaktes, hvis en plads bliver ledig.")
    if status is S.WAITLISTED:
        return ("Ansøgningen opfylder kriterierne, men der er ikke konsulentkapacitet lige nu. "
                f"{who} står på venteliste; vi forventer at kunne begynde inden for to måneder.")
    return rng.choice([
        "Ansøgningen lever ikke op til minimumskravene for dokumenteret behov og "
        f"ledelsesmæssig opbakning. {who} opfordres til at søge igen med konkrete data om "
        "læringsmiljøet.",
        "Behovet er kun løst beskrevet, og der er ikke afsat ressourcer til at deltage. "
        f"{who} er velkommen til at søge igen, når opbakningen er på plads.",
    ])


WITHDRAWAL_NOTES = {
    ApplicantKind.MUNICIPALITY: [
        "Kommunen har trukket ansøgningen, da dagtilbudsområdet omorganiseres i det kommende "
        "år.",
        "Kommunen har meddelt pr. e-mail, at den trækker ansøgningen og i stedet vil søge i en "
        "senere runde.",
    ],
    ApplicantKind.INSTITUTION: [
        "Institutionen har meddelt, at den ikke kan afsætte tid til forløbet i år, og trækker "
        "ansøgningen.",
    ],
}


# --- the result -------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoSummary:
    """What the database holds after `load` (all of it, not only the demo part)."""
    created: bool
    rounds: list[tuple[str, date, date, int, str]]  # name, opens, closes, capacity, state
    applications: dict[ApplicationStatus, int]
    engagements: list[str]
    cases: dict[EngagementStatus, int]
    sessions: dict[SessionStatus, int]
    responses: dict[Occasion, int] = field(default_factory=dict)  # self-assessments

    def lines(self) -> list[str]:
        lines = ["Demo data created." if self.created
                 else "Demo data already loaded; nothing new created."]
        lines.append("Rounds:")
        for name, opens_on, closes_on, capacity, state in self.rounds:
            lines.append(f"  {name:<30} {opens_on:%d-%m-%Y} - {closes_on:%d-%m-%Y}  "
                         f"capacity {capacity}  ({state})")
        counts = ", ".join(f"{status.value} {count}" for status, count in
                           self.applications.items())
        lines.append(f"Applications: {sum(self.applications.values())} ({counts})")
        counts = ", ".join(f"{status.value} {count}" for status, count in self.cases.items())
        lines.append(f"Engagements: {len(self.engagements)} ({counts})")
        counts = ", ".join(f"{status.value} {count}" for status, count in self.sessions.items())
        lines.append(f"Sessions: {sum(self.sessions.values())} ({counts})")
        counts = ", ".join(f"{occasion.value} {count}" for occasion, count in
                           self.responses.items())
        lines.append(f"Self-assessments: {sum(self.responses.values())} ({counts})")
        return lines


def summary(today: date, created: bool) -> DemoSummary:
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on, Round.id)).all()
    counts = dict(db.session.execute(
        sa.select(Application.status, sa.func.count()).group_by(Application.status)).all())
    return DemoSummary(
        created=created,
        rounds=[(r.name, r.opens_on, r.closes_on, r.capacity,
                 services.round_state_of(r, today).value) for r in rounds],
        applications={status: counts.get(status, 0) for status in ApplicationStatus},
        engagements=list(db.session.scalars(
            sa.select(Engagement.reference).order_by(Engagement.reference))),
        cases=_per_status(Engagement.status, EngagementStatus),
        sessions=_per_status(EngagementSession.status, SessionStatus),
        responses=_per_status(Response.occasion, Occasion),
    )


def _per_status(column, statuses) -> dict:
    counts = dict(db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all())
    return {status: counts.get(status, 0) for status in statuses}


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
    criteria_set = services.current_criteria_set()
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
        units = []
        for base in rng.sample(UNIT_BASES, count):
            kind = rng.choice(kinds)
            units.append((f"{rng.choice(UNIT_PREFIXES[kind])} {base}", kind))
        if ownership is Ownership.MUNICIPAL and rng.random() < 0.3:
            units.append((f"Dagplejen {rng.choice(DISTRICTS)}", UnitKind.CHILDMINDING))
        low, high = SHARE_HALVES[profile]
        return [UnitData(name=name, kind=kind, ownership=ownership,
                         children=rng.randint(*UNIT_CHILDREN[kind]),
                         vulnerable_share=Decimal(rng.randint(low, high)) / 2)
                for name, kind in units]

    def texts(self, kind: ApplicantKind, units: list[UnitData], profile: str) -> dict:
        rng = self.rng
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
            need = [rng.choice(NEED_VAGUE), rng.choice(NEED_CONCERN)]
            motivation = [rng.choice(MOTIVATION_VAGUE)]
            backing = [rng.choice(BACKING_VAGUE)]
        else:
            need = [rng.choice(NEED_DATA), rng.choice(NEED_CONCERN), rng.choice(NEED_GOAL)]
            motivation = [rng.choice(MOTIVATION_WHY), rng.choice(MOTIVATION_HOW)]
            if profile == "high":
                motivation.append(rng.choice(MOTIVATION_ANCHOR[kind]))
            backing = rng.sample(BACKING[kind], 2)
        hours = Decimal(rng.choice(HOURS[profile]))
        if profile != "low":
            backing.append(f"Der er afsat {_danish(hours)} timer om måneden til praksismøder, "
                           "sparring og dokumentation.")
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
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = " ".join([str(rng.randint(20, 99))] + [f"{rng.randint(0, 99):02d}"
                                                       for _ in range(3)])
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}{DEMO_DOMAIN}", phone

    def scores(self, plan: Plan, profile: str) -> tuple[dict, dict]:
        """Both reviewers' scores with justifications: {criterion code: (value, text)}."""
        rng = self.rng
        first, second = {}, {}
        for criterion in self.criteria:
            pair = rng.choice(SCORE_PAIRS[profile][criterion.minimum >= 2])
            if criterion.code == plan.disputed:
                pair = (3, 1)
            texts = JUSTIFICATIONS.get(criterion.code, JUSTIFICATION_FALLBACK)
            first[criterion.code] = (pair[0], rng.choice(texts[pair[0]]))
            second[criterion.code] = (pair[1], rng.choice(texts[pair[1]]))
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
        texts = self.texts(kind, units, profile)
        channel = Channel.STAFF if rng.random() < 0.15 else Channel.WEB
        submitted_at = self.moment(arrival, 7, 22)
        data = ApplicationData(
            engagement_type_id=engagement_type.id, applicant_kind=kind,
            municipality_code=municipality.code, applicant_name=applicant_name,
            contact_name=contact_name, contact_email=email, contact_phone=phone,
            documented_need=texts["documented_need"], motivation=texts["motivation"],
            leadership_backing=texts["leadership_backing"],
            resource_hours_per_month=texts["hours"],
            resource_participants=texts["resource_participants"],
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
                    if plan.status is not S.WITHDRAWN else rng.choice(WITHDRAWAL_NOTES[kind]))
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


def _reviewers() -> list[User]:
    """Two active Team Dagtilbud users, the demo ones first."""
    team = sorted(services.reviewers(),
                  key=lambda user: (not user.email.endswith("@demo.example"), user.id))
    if len(team) < 2:
        raise DemoError("The demo needs two active Team Dagtilbud users.")
    return team[:2]


def load(today: date, now: datetime) -> DemoSummary:
    """Add the demo rounds and applications, unless they exist. Flushes; the caller commits."""
    if already_loaded(today):
        return summary(today, created=False)
    types = {t.code: t for t in db.session.scalars(
        sa.select(EngagementType).where(EngagementType.code.in_(["one_year", "mini"])))}
    if set(types) != {"one_year", "mini"}:
        raise DemoError("The engagement types one_year and mini are missing; run "
                        "`flask db upgrade` first.")
    team = _reviewers()
    previous, current = _create_rounds(types["one_year"], today)
    rng = random.Random(SEED)
    builder = _Builder(rng, today, list(services.current_criteria_set().criteria))

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
    load_cases(today, now, types, team)
    load_self_assessments(today)
    return summary(today, created=True)


def _check_times(drafts: list[_Draft], now: datetime) -> None:
    """Nothing in the demo may lie in the future."""
    moments = [d.submitted_at for d in drafts]
    moments += [r.assigned_at for d in drafts for r in d.reviews]
    moments += [r.submitted_at for d in drafts for r in d.reviews if r.submitted_at]
    moments += [d.closing[3] for d in drafts if d.closing]
    if max(moments) > now:
        raise DemoError(f"Demo moment {max(moments).isoformat()} lies after now "
                        f"({now.isoformat()}).")


# --- cases, teams and sessions -------------------------------------------------------------

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
    reason: str = ""


DIRECT_CASES = [
    CasePlan("one_year", 259, -790, E.COMPLETED),                    # Køge
    CasePlan("one_year", 510, -670, E.COMPLETED, team_change=True),  # Haderslev
    CasePlan("mini", 340, -610, E.COMPLETED, consultants=1, held_hours="10"),  # Sorø
    CasePlan("one_year", 306, -520, E.CANCELLED, runs=4, reason=(  # Odsherred
        "Kommunen har omorganiseret dagtilbudsområdet, og de deltagende ledere er flyttet til "
        "nye funktioner. Forløbet afbrydes efter aftale med forvaltningen.")),
    CasePlan("mini", 210, -455, E.CANCELLED, consultants=1, runs=1, held_hours="3.5",
             reason="Lederen er fratrådt, og institutionen kan ikke prioritere forløbet, før "
                    "en ny leder er ansat."),                       # Fredensborg
    CasePlan("one_year", 846, -425, E.COMPLETED),                    # Mariagerfjord
    CasePlan("one_year", 615, -335, E.ACTIVE),                       # Horsens
    CasePlan("mini", 630, -270, E.COMPLETED, held_hours="9.5"),      # Vejle
    CasePlan("mini", 482, -120, E.CANCELLED, consultants=1, institution=Ownership.PRIVATE,
             reason="Institutionen har meldt fra inden opstart på grund af stor udskiftning i "
                    "personalegruppen."),                           # Langeland
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
GOALS = [
    "Alle børn deltager aktivt i fællesskaberne i rutinesituationerne, særligt i garderoben "
    "og ved måltiderne.",
    "Personalet bruger pædagogisk dokumentation systematisk til at justere læringsmiljøet.",
    "Lederne giver løbende faglig sparring til personalet med udgangspunkt i observationer "
    "fra praksis.",
    "Flere forældre deltager i samarbejdet om børnenes læring og trivsel.",
    "Overgangene i løbet af dagen organiseres, så ventetid og konflikter mindskes.",
    "Der er en fælles evalueringspraksis med faste refleksionsmøder på hver stue.",
    "Sprogmiljøet styrkes gennem dialogisk læsning og samtaler i små grupper.",
    "Legen får mere plads, og de voksne deltager aktivt og understøttende i børnenes lege.",
]
DOCUMENTATION_FORMS = [
    "Praksisfortællinger skrevet af personalet og drøftet på stuemøderne.",
    "Foto- og videooptagelser af rutinesituationer, som personalet analyserer sammen med "
    "konsulenterne.",
    "Systematiske observationer af børnenes deltagelse, fulgt op med tegn på læring.",
    "Egenvurdering før og efter samt en fælles logbog fra praksismøderne.",
]
SITUATIONS = [
    "formiddagens garderobesituation", "frokosten", "overgangen fra leg til samling",
    "eftermiddagens udeleg", "modtagelsen om morgenen", "oprydningen før frokost",
    "legen på legepladsen", "samlingen på stuen", "puttetiden", "turen til skoven",
]
TOPICS = [
    "læringsmiljøer i hverdagens rutiner", "børneperspektiver og børns deltagelse",
    "pædagogisk dokumentation og evaluering", "dialogisk læsning og sprogmiljø",
    "leg og de voksnes roller i legen", "forældresamarbejde om børnefællesskaber",
    "børn i udsatte positioner og deltagelsesmuligheder",
]
LEADERSHIP_TOPICS = [
    "faglig ledelse af forandringsarbejdet",
    "hvordan ledelsen følger op på aftalerne fra praksismøderne",
    "prioritering af tid til refleksion i personalegruppen",
    "forankring af indsatsen efter forløbet",
    "brugen af data fra egenvurderingen",
    "arbejdsfordelingen mellem pædagoger og pædagogmedhjælpere i rutinerne",
]
OBSERVATIONS = {
    Sub.SIDE_BY_SIDE: [
        "Ventetiden var lang for de yngste børn, og flere børn gik rundt uden at være en del "
        "af en leg.",
        "Personalet satte ord på børnenes handlinger, men få børn kom til orde i den store "
        "gruppe.",
        "Opdelingen i mindre grupper gav ro, og flere børn tog initiativ til samtaler med de "
        "voksne.",
        "De voksne var godt fordelt i rummet, men rollerne var ikke aftalt på forhånd.",
        "Børn, der ofte står uden for fællesskabet, fik en tydeligere rolle, når en voksen "
        "rammesatte legen.",
        "Der var mange afbrydelser fra forældre og telefon, så de voksne havde svært ved at "
        "blive i samspillet med børnene.",
    ],
    Sub.PRESENTATION: [
        "Personalet arbejdede i grupper med egne praksisfortællinger og koblede dem til "
        "læreplanens temaer.",
        "Der var god energi i drøftelserne og flere konkrete idéer til nye tiltag.",
        "Oplægget blev koblet til de observationer, vi har gjort på stuerne.",
        "Flere medarbejdere gav udtryk for, at de nu har et fælles sprog for, hvad et godt "
        "læringsmiljø er.",
    ],
    Sub.INTERNAL_MEETING: [
        "Vi bidrog med spørgsmål, der fik gruppen til at koble deres observationer til "
        "læringsmiljøet.",
        "Personalet fremlagde deres praksisfortællinger, og vi hjalp med at finde mønstre på "
        "tværs af stuerne.",
        "Mødet viste, at der er forskellige opfattelser af, hvad de aftalte roller betyder i "
        "praksis.",
    ],
    "leadership": [
        "Lederen oplever, at personalet tager godt imod forløbet, men at tiden til refleksion "
        "er presset.",
        "Vi drøftede, hvordan ledelsen kan gå forrest og være synlig i praksis.",
        "Ledelsen vil bruge de faste personalemøder til at samle op på erfaringerne.",
        "Ledergruppen ser tydelige forskelle mellem husene og vil lære mere af hinanden.",
    ],
    "consultant": [
        "Konsulenterne vil tage erfaringerne med i kommunens netværk for pædagogiske ledere.",
        "Vi aftalte, hvordan forvaltningen følger op på ledernes arbejde med evaluering.",
        "Forvaltningen overvejer at bruge forløbets materialer i andre dagtilbud.",
    ],
}
REFLECTIONS = [
    "Efterfølgende reflekterede vi med personalet over, hvordan organiseringen påvirker "
    "børnenes deltagelse.",
    "Vi drøftede med pædagogerne, hvilke tegn på læring de vil holde øje med.",
    "Personalet pegede selv på, at faste roller i overgangene kan give mere ro.",
    "Vi gav feedback med udgangspunkt i de aftalte fokuspunkter fra sidste besøg.",
    "",
]
NEXT_STEPS = [
    "Personalet afprøver en ny organisering af {situation} og skriver korte "
    "praksisfortællinger.",
    "Lederen sætter erfaringerne på dagsordenen til næste personalemøde.",
    "Næste besøg: skulder ved skulder på en anden stue med samme fokus.",
    "Pædagogerne laver hver tre observationer af børnenes deltagelse inden næste møde.",
    "Vi sender materiale om dialogisk læsning til stuerne.",
    "Ledelsen laver en plan for, hvordan erfaringerne deles på tværs af husene.",
    "De aftalte roller i {situation} afprøves i to uger og evalueres på stuemødet.",
    "Stuerne filmer {situation} og udvælger et klip til fælles refleksion.",
]
OPENINGS = {
    F.KICKOFF: "Opstartsmøde med ledelse og nøglepersoner: forløbets rammer, mål og den "
               "første egenvurdering.",
    F.MIDWAY_STATUS: "Midtvejsstatus med ledelse og personalerepræsentanter: hvad er sket "
                     "siden opstarten, og hvad justerer vi?",
    F.EVALUATION_MEETING: "Evalueringsmøde med leder, forvaltning og konsulenter: "
                          "egenvurderingen før og efter og de vigtigste ændringer i praksis.",
    F.THEME_DAY: "Temadag for ledere og personale på tværs af forløbene om {topic}.",
    F.OTHER: "Telefonisk opfølgning med lederen om planlægningen af de næste besøg.",
}
CLOSING_REMARKS = {
    F.KICKOFF: ["Vi aftalte at arbejde med {themes} og planlagde de første praksismøder.",
                "Fokus bliver {themes}; de første besøg er lagt i kalenderen."],
    F.MIDWAY_STATUS: [
        "Egenvurderingen viser fremgang i organiseringen af rutinerne; forældresamarbejdet "
        "kræver fortsat opmærksomhed.",
        "Personalet oplever mere ro i overgangene, men refleksionen på stuemøderne er "
        "endnu ikke fast praksis.",
        "Målene holder; vi skærper fokus på {themes} i anden halvdel af forløbet."],
    F.EVALUATION_MEETING: [
        "Deltagerne fremhævede især den fælles faglige refleksion, og ledelsen har lagt en "
        "plan for at fastholde arbejdet.",
        "Egenvurderingen efter viser tydelig fremgang i organiseringen af læringsmiljøet; "
        "arbejdet forankres i de faste personalemøder.",
        "Ledelsen vil fortsætte med {themes} og bruge praksisfortællingerne i det videre "
        "arbejde."],
    F.THEME_DAY: ["Deltagerne delte erfaringer fra egne forløb og fik inspiration til nye "
                  "måder at organisere hverdagen på."],
    F.OTHER: ["Datoerne for de næste besøg er lagt i kalenderen.",
              "Vi aftalte at flytte næste praksismøde, så flere fra personalet kan deltage."],
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
        units = []
        for base in rng.sample(UNIT_BASES, count):
            kind = rng.choice([UnitKind.NURSERY, UnitKind.KINDERGARTEN, UnitKind.INTEGRATED,
                               UnitKind.INTEGRATED])
            unit = DaycareUnit(name=f"{rng.choice(UNIT_PREFIXES[kind])} {base}",
                               municipality_code=plan.municipality, ownership=ownership,
                               kind=kind, children=rng.randint(*UNIT_CHILDREN[kind]))
            db.session.add(unit)
            units.append(unit)
        return units

    def open_direct(self, plan: CasePlan, types: dict[str, EngagementType]) -> _Case:
        start = _weekday(self.today + timedelta(days=plan.start), forward=True)
        opened = min(start - timedelta(days=self.rng.randint(14, 35)),
                     self.today - timedelta(days=self.rng.randint(2, 6)))
        municipality = db.session.get(Municipality, plan.municipality)
        if municipality is None:
            raise DemoError(f"Municipality {plan.municipality} is missing; run `flask db "
                            "upgrade` first.")
        units = self.units(plan)
        actor = self.coordinator()
        db.session.flush()
        engagement = cases.create_case(
            types[plan.type_code], plan.municipality,
            units[0].name if plan.institution else f"{municipality.name} Kommune", start,
            units, actor, self.moment(opened))
        closes = None
        if plan.status is E.COMPLETED:
            closes = engagement.planned_end + timedelta(days=self.rng.randint(1, 12))
        elif plan.status is E.CANCELLED:  # without `runs`: called off before the start
            closes = (rules.add_months(start, plan.runs) if plan.runs
                      else start - timedelta(days=self.rng.randint(3, 10)))
        return _Case(engagement, start, plan.status, closes, plan.reason,
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
            start = _weekday(decided + timedelta(days=rng.randint(7, 14)), forward=True)
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
        cases.update_case(engagement, None, start_date=case.start, planned_end=planned_end,
                          hour_budget=engagement.hour_budget,
                          goals=rng.sample(GOALS, rng.randint(2, 3)),
                          documentation_form=rng.choice(DOCUMENTATION_FORMS),
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
            members.append(cases.assign_consultant(
                engagement, user, MemberRole.LEAD if index == 0 else MemberRole.CO, assigned))
        changed = None
        if case.team_change and len(people) > case.consultants:
            last = min(case.closes or self.today, self.today)
            changed = _weekday(case.start + (last - case.start) * 2 // 5, forward=False)
            leaving = members[-1]
            audit.set_actor(actor.id)
            cases.end_membership(leaving, changed)
            members.append(cases.assign_consultant(engagement, people[case.consultants],
                                                   leaving.role, changed))
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
        sessions = [(_weekday(case.start + timedelta(days=rng.randint(0, 3)), True),
                     F.KICKOFF, None)]
        midway_due = rules.add_months(case.start, 6)
        day = sessions[0][0]
        while True:
            day = _weekday(day + timedelta(days=rng.randint(5, 11)), forward=True)
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
            sessions.append((_weekday(planned_end - timedelta(days=rng.randint(1, 6)), False),
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
            last = _weekday(case.closes - timedelta(days=rng.randint(2, 8)), forward=False)
        else:
            last = _weekday(self.today - timedelta(days=rng.randint(1, 4)), forward=False)
        span = max((last - case.start).days, 0)
        days = [_weekday(case.start + timedelta(days=span * index // max(len(hours) - 1, 1)),
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
            coming = _weekday(self.today + timedelta(days=rng.randint(4, 14)), forward=True)
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

    def texts(self, fmt: F, sub: Sub | None, unit: str,
              theme_names: list[str]) -> tuple[str, str, str]:
        """The opening line, the summary and the next steps of a session."""
        rng = self.rng
        situation = rng.choice(SITUATIONS)
        if fmt is F.PRACTICE_MEETING:
            opening = {
                Sub.SIDE_BY_SIDE: f"Skulder ved skulder i {unit} under {situation}.",
                Sub.PRESENTATION: f"Fagligt oplæg på personalemødet i {unit} om "
                                  f"{rng.choice(TOPICS)}.",
                Sub.INTERNAL_MEETING: f"Deltagelse i stuemøde i {unit}.",
            }[sub]
            middle = rng.choice(OBSERVATIONS[sub])
        elif fmt is F.LEADERSHIP_SPARRING:
            who = ("ledergruppen" if sub in (Sub.FORMAL_GROUP, Sub.INFORMAL_GROUP)
                   else "den pædagogiske leder")
            kind = "Uformel" if sub in (Sub.INFORMAL_INDIVIDUAL, Sub.INFORMAL_GROUP) else "Formel"
            opening = f"{kind} ledelsessparring med {who} om {rng.choice(LEADERSHIP_TOPICS)}."
            middle = rng.choice(OBSERVATIONS["leadership"])
        elif fmt is F.CONSULTANT_SPARRING:
            opening = ("Sparring med kommunens pædagogiske konsulenter om sammenhængen til "
                       "kommunens øvrige indsatser.")
            middle = rng.choice(OBSERVATIONS["consultant"])
        else:
            opening = OPENINGS[fmt].format(topic=rng.choice(TOPICS))
            quoted = [f"»{name}«" for name in theme_names]
            themes = " og ".join(filter(None, [", ".join(quoted[:-1]), quoted[-1]]))
            middle = rng.choice(CLOSING_REMARKS[fmt]).format(themes=themes)
        reflection = rng.choice(REFLECTIONS) if fmt is F.PRACTICE_MEETING else ""
        summary = " ".join(part for part in (opening, middle, reflection) if part)
        steps = " ".join(step.format(situation=situation)
                         for step in rng.sample(NEXT_STEPS, rng.randint(1, 2)))
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
            opening, summary, steps = self.texts(fmt, sub, taking_part[0].name,
                                                 [names[i] for i in session_themes])
            if day > self.today:  # planned: what was agreed, no notes yet
                summary, steps = f"Aftalt: {opening}", ""
            data = cases.SessionData(
                held_on=day, hours=hours, format=fmt, sub_format=sub,
                consultant_ids=sorted(user.id for user in present),
                unit_ids=[unit.id for unit in taking_part], theme_ids=sorted(session_themes),
                summary=summary, next_steps=steps,
                **self.participants(fmt, sub, len(units), mini))
            writer = present[0]
            audit.set_actor(writer.id)
            cases.log_session(engagement, data, writer, self.today,
                              confirm_overrun=case.overrun)
            logged += 1
        return logged

    def start(self, case: _Case) -> None:
        if case.start <= self.today and not _called_off(case):
            cases.change_status(case.engagement, E.ACTIVE, "", self.coordinator(),
                                self.moment(case.start))

    def close(self, case: _Case) -> None:
        """Complete or cancel a case that is over."""
        engagement = case.engagement
        if case.status in (E.COMPLETED, E.CANCELLED):
            cases.change_status(engagement, case.status, case.reason, self.coordinator(),
                                self.moment(case.closes))


def _called_off(case: _Case) -> bool:
    """Cancelled before it started: no team work, no sessions."""
    return case.status is E.CANCELLED and case.closes < case.start


def _weekday(day: date, forward: bool) -> date:
    """The day itself on Monday to Friday; else the Monday after or the Friday before."""
    if day.weekday() < 5:
        return day
    return day + timedelta(days=7 - day.weekday()) if forward else \
        day - timedelta(days=day.weekday() - 4)


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
    themes = {theme.code: theme for theme in cases.themes()}
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


# --- self-assessments ----------------------------------------------------------------------

EVALUATION_SEED = 2026
# The change of a unit from before to after, on the 1-5 scale: mostly a modest gain, some
# units unchanged or a little worse (mean about +0.35).
UNIT_EFFECTS = [-0.3, -0.1, 0.0, 0.3, 0.4, 0.5, 0.5, 0.6, 0.7, 0.8]
MISSING_SHARE = 0.025


class _Assessments:
    """Before (and for cases near or past their end, after) self-assessments of the units
    of the demo cases, through the evaluation service, from a generator of their own."""

    def __init__(self, rng: random.Random, today: date,
                 version: InstrumentVersion):
        self.rng, self.today, self.version = rng, today, version

    def day(self, earliest: date, latest: date) -> date:
        """A weekday between the two days (as near as weekends allow), never after today."""
        latest = min(latest, self.today)
        span = max((latest - earliest).days, 0)
        day = earliest + timedelta(days=self.rng.randint(0, span))
        return min(_weekday(day, forward=False), latest)

    def roles(self, count: int, one_year: bool) -> list[RespondentRole]:
        rng = self.rng
        roles = [RespondentRole.LEADER if rng.random() < 0.85 else RespondentRole.PEDAGOGUE]
        for _i in range(count - 1):
            roles.append(rng.choices([RespondentRole.PEDAGOGUE, RespondentRole.ASSISTANT,
                                      RespondentRole.MUNICIPAL_CONSULTANT],
                                     [6, 3, 1 if one_year else 0])[0])
        return roles

    def answers(self, level: float, dimensions: dict[int, float], bias: float,
                gain: float) -> dict:
        rng, version = self.rng, self.version
        answers = {}
        for item in version.items:
            if rng.random() < MISSING_SHARE:
                answers[item.code] = rng.choice([MissingCode.DONT_KNOW, MissingCode.DONT_KNOW,
                                                 MissingCode.NOT_RELEVANT])
                continue
            state = level + dimensions[item.dimension_id] + bias + gain + rng.gauss(0, 0.45)
            value = min(version.scale_max, max(version.scale_min, round(state)))
            # Agreement with a reverse-coded statement means a worse state.
            answers[item.code] = (version.scale_min + version.scale_max - value
                                  if item.reverse_coded else value)
        return answers

    def enterer(self, engagement: Engagement, day: date) -> User:
        members = sorted(engagement.members, key=lambda m: (m.started_on, m.user.email))
        on_case = [m.user for m in members if m.is_current(day)]
        user = (on_case or [m.user for m in members])[0]
        audit.set_actor(user.id)
        return user

    def case(self, engagement: Engagement) -> int:
        """Record the case's measurements; returns how many responses."""
        rng, today = self.rng, self.today
        start, end = engagement.start_date, engagement.planned_end
        one_year = engagement.engagement_type.code == "one_year"
        closed = next((c.at.astimezone(COPENHAGEN).date() for c in engagement.status_changes
                       if c.to_status in (E.COMPLETED, E.CANCELLED)), None)
        last = min(closed or today, today)
        if start is None or (last - start).days < 14:
            return 0
        baseline_on = self.day(start + timedelta(days=3), start + timedelta(days=21))
        measure_end = engagement.status is E.COMPLETED or (
            engagement.status is E.ACTIVE and today >= end - timedelta(days=30))
        midway = one_year and (last - start).days > 220 and rng.random() < 0.5
        units = sorted((link.unit for link in engagement.units),
                       key=lambda unit: (unit.name, unit.id))
        recorded = 0
        for position, unit in enumerate(units):
            level = rng.gauss(2.9, 0.35)
            dimensions = {d.id: rng.gauss(0, 0.3) for d in self.version.dimensions}
            effect = rng.choice(UNIT_EFFECTS)
            people = [(role, rng.gauss(0, 0.3)) for role in
                      self.roles(rng.randint(2, 4), one_year)]
            codes = []
            day = self.day(baseline_on, baseline_on + timedelta(days=4))
            for role, bias in people:
                response = evaluation.record_response(
                    engagement, unit.id, self.version, Occasion.BASELINE, role, day,
                    self.answers(level, dimensions, bias, 0.0),
                    self.enterer(engagement, day), today=today, rng=rng)
                codes.append(response.respondent_code)
                recorded += 1
            later = []
            if midway:
                later.append((Occasion.MIDWAY, rules.add_months(start, 6), 0.5))
            # Some units are not measured at the end: a leader left, the date slipped.
            if measure_end and not (position and rng.random() < 0.2):
                later.append((Occasion.END, end - timedelta(days=25), 1.0))
            for occasion, around, share in later:
                day = self.day(around, around + timedelta(days=20))
                if day <= baseline_on:
                    continue
                answering = list(zip(codes, people))
                if len(answering) > 2 and rng.random() < 0.2:
                    answering.pop()  # someone did not answer again
                for code, (role, bias) in answering:
                    if rng.random() < 0.15:
                        code, bias = None, rng.gauss(0, 0.3)  # a new colleague answers
                    evaluation.record_response(
                        engagement, unit.id, self.version, occasion, role, day,
                        self.answers(level, dimensions, bias,
                                     effect * share * (1 + rng.gauss(0, 0.2))),
                        self.enterer(engagement, day), code, today=today, rng=rng)
                    recorded += 1
        return recorded


def load_self_assessments(today: date) -> int:
    """Self-assessments for the cases that have run: a baseline for every unit, an end
    measurement for most units of the cases that are completed or near their end, a
    midway measurement for some one-year courses. Flushes; returns how many responses."""
    version = evaluation.default_version()
    if version is None:
        return 0
    builder = _Assessments(random.Random(EVALUATION_SEED), today, version)
    engagements = db.session.scalars(
        sa.select(Engagement).where(Engagement.status.in_([E.ACTIVE, E.COMPLETED]))
        .order_by(Engagement.reference)).all()
    recorded = sum(builder.case(engagement) for engagement in engagements)
    audit.set_actor(None)
    db.session.flush()
    return recorded
