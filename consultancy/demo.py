"""Demo data: two application rounds and about thirty applications in every state.

`load` goes through the application services (submit, assign_reviewer, submit_scores,
decide, withdraw), so the demo obeys the same rules as real use. It only flushes; the
`demo load` command commits. Every choice comes from one seeded generator and from the
`today`/`now` arguments, so two empty databases get the same data. Demo contacts all use
the reserved `.example` top-level domain: no real address is ever written.
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
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind, Application, ApplicationStatus, Channel, Criterion, Engagement,
    EngagementType, Municipality, Ownership, Round, UnitKind, User,
)
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
        lines.append(f"Engagements: {len(self.engagements)} ({', '.join(self.engagements)})")
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
    )


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
