"""Self-assessment responses: record, correct and delete one respondent's answers, and list
a case's responses by occasion and unit. Callers own the transaction (they commit).

A respondent is known by role and a code, never by name. The code is generated (short,
random, unambiguous: no I, O, 0 or 1) unless an existing one is given to link the answers
to the same person at another occasion; a code is used once per occasion on a case.
Every change is audited by the session listener; the flag refresh re-judges the case
(a baseline response resolves `baseline_missing`) before the commit.
"""
from __future__ import annotations

import random
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from consultancy.extensions import db
from consultancy.models import (
    Answer,
    CaseScore,
    DaycareUnit,
    Dimension,
    Engagement,
    Instrument,
    InstrumentVersion,
    Item,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
    User,
    VersionStatus,
)
from consultancy.rules.statistics import UNCHANGED_DIGITS
from consultancy.security.validators import text_problem
from consultancy.services import Refusal
from consultancy.services.clock import local_today
from consultancy.web.i18n import format_date

# How long before a case's start a baseline may have been answered.
EARLIEST_BEFORE_START = timedelta(days=90)
CODE_PREFIX = "R-"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1
CODE_LENGTH = 5
CODE_MAX = 16  # the column's width
# A code given (e.g. in an imported file): letters, digits, - or _, with at least one digit,
# so that a first name cannot pass for a code.
CODE_SHAPE = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{1,{CODE_MAX - 1}}}")

AnswerValue = int | MissingCode


class EvaluationError(Refusal):
    """A rule of responses that the input breaks; `field` names the form field."""


def item_field(code: str) -> str:
    """The form field (and refusal field) of an item, e.g. `item_LM1`."""
    return f"item_{code}"


# --- instruments --------------------------------------------------------------------------

def default_version() -> InstrumentVersion | None:
    """The default instrument's latest published version: what entry and import offer."""
    return db.session.scalars(
        sa.select(InstrumentVersion).join(Instrument)
        .where(Instrument.is_default, InstrumentVersion.status == VersionStatus.PUBLISHED)
        .order_by(InstrumentVersion.number.desc()).limit(1)).first()


def published_versions() -> list[InstrumentVersion]:
    """Every published version, the default instrument first, the newest version first."""
    return list(db.session.scalars(
        sa.select(InstrumentVersion).join(Instrument)
        .where(InstrumentVersion.status == VersionStatus.PUBLISHED)
        .order_by(Instrument.is_default.desc(), Instrument.code,
                  InstrumentVersion.number.desc())))


# --- respondent codes ---------------------------------------------------------------------

def normalise_code(code: str | None) -> str:
    return (code or "").strip().upper()


def code_problem(code: str) -> str | None:
    """Why `code` (normalised) cannot be a respondent code, or None."""
    if problem := text_problem(code):
        return str(problem)
    if not CODE_SHAPE.fullmatch(code) \
            or not any(char.isdigit() for char in code):
        return _("A respondent code is 2 to 16 letters, digits, - or _ with at least one "
                 "digit, e.g. R-7F3K2; never a name.")
    return None


def new_respondent_code(taken: Iterable[str], rng: random.Random | None = None) -> str:
    """A fresh code such as R-7F3K2 that is not in `taken` (the case's codes). It holds a
    digit, as every respondent code must."""
    taken = set(taken)
    choose = rng.choice if rng is not None else secrets.choice
    while True:
        code = CODE_PREFIX + "".join(choose(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if code not in taken and any(char.isdigit() for char in code):
            return code


def case_codes(engagement_id: int) -> dict[str, set[Occasion]]:
    """Every respondent code on the case with the occasions it has answered at."""
    codes: dict[str, set[Occasion]] = {}
    for code, occasion in db.session.execute(
            sa.select(Response.respondent_code, Response.occasion)
            .where(Response.engagement_id == engagement_id)):
        codes.setdefault(code, set()).add(occasion)
    return codes


# --- checks -------------------------------------------------------------------------------

def date_problem(responded_on: date, start_date: date | None, today: date) -> str | None:
    """Pure: why the day of answering is refused, or None."""
    if responded_on > today:
        return _("The date lies in the future. Enter the day the answers were given.")
    if start_date is not None and responded_on < start_date - EARLIEST_BEFORE_START:
        return _("Enter a date no earlier than %(date)s, 90 days before the case starts.",
                 date=format_date(start_date - EARLIEST_BEFORE_START))
    return None


def scale_text(scale_min: int, scale_max: int) -> str:
    return f"{scale_min}–{scale_max}"


def value_problem(value, scale_min: int, scale_max: int) -> str | None:
    """Pure: why one answer is refused, or None. `value` is a number or a missing code."""
    if isinstance(value, MissingCode):
        return None
    if value is None:
        return _("Answer the question, or mark it as not relevant or don't know.")
    if isinstance(value, bool) or not isinstance(value, int):
        return _("%(value)s is not an answer: give a whole number from %(min)d to %(max)d, "
                 "or mark the question as not relevant or don't know.",
                 value=value, min=scale_min, max=scale_max)
    if not scale_min <= value <= scale_max:
        return _("%(value)s is outside the scale %(scale)s.", value=value,
                 scale=scale_text(scale_min, scale_max))
    return None


def answer_problems(item_codes: Iterable[str], scale_min: int, scale_max: int,
                    label: str, answers: Mapping[str, AnswerValue | None]
                    ) -> list[tuple[str, str]]:
    """Pure: every (item code, message) the answers break, in the instrument's order, then
    the codes the instrument does not have. Every item needs a value or a missing code."""
    codes = list(item_codes)
    problems = []
    for code in codes:
        message = value_problem(answers.get(code), scale_min, scale_max)
        if message:
            problems.append((code, message))
    known = set(codes)
    for code in answers:
        if code not in known:
            problems.append((code, _("%(code)s is not a question of %(instrument)s.",
                                     code=code, instrument=label)))
    return problems


def _check_answers(version: InstrumentVersion, answers: Mapping[str, AnswerValue]) -> None:
    problems = answer_problems((item.code for item in version.items), version.scale_min,
                               version.scale_max, version.label, answers)
    if problems:
        code, message = problems[0]
        raise EvaluationError(message, item_field(code))


def _check(engagement: Engagement, unit_id: int, occasion, role, responded_on: date,
           today: date) -> None:
    if unit_id not in {link.unit_id for link in engagement.units}:
        raise EvaluationError(_("Choose one of the case's units."), "unit")
    if not isinstance(occasion, Occasion):
        raise EvaluationError(_("Choose the occasion."), "occasion")
    if not isinstance(role, RespondentRole):
        raise EvaluationError(_("Choose the respondent's role."), "respondent_role")
    if responded_on is None:
        raise EvaluationError(_("Enter the date."), "responded_on")
    message = date_problem(responded_on, engagement.start_date, today)
    if message:
        raise EvaluationError(message, "responded_on")


def _check_code(code: str, occasion: Occasion, codes: dict[str, set[Occasion]]) -> None:
    message = code_problem(code)
    if message:
        raise EvaluationError(message, "respondent_code")
    if occasion in codes.get(code, ()):
        raise EvaluationError(_("The respondent %(code)s has already answered at this "
                                "occasion (%(occasion)s) on the case.",
                                code=code, occasion=occasion.label.lower()),
                              "respondent_code")


def _answer(item: Item, value: AnswerValue) -> Answer:
    return Answer(item=item, **_columns(value))


def _columns(value: AnswerValue) -> dict:
    if isinstance(value, MissingCode):
        return {"value": None, "missing_code": value}
    return {"value": value, "missing_code": None}


# --- the scores the effect summary reads -------------------------------------------------

# The occasions the effect summary pairs, and the scope name of all items ("overall").
PAIRED = (Occasion.BASELINE, Occasion.END)
OVERALL = ""
# Rounding a change to the unchanged digits takes NUMERIC on PostgreSQL (round(double, n)
# does not exist there); SQLite rounds its doubles.
ROUNDABLE = sa.Float().with_variant(sa.Numeric(), "postgresql")


def _case_scores(engagement_ids: list[int] | None):
    """The `CaseScore` rows of the cases (every case: None) as a SELECT, from the answers.

    A respondent (a code within a unit, an occasion and a case) scores the mean of their
    scored answers in scope (reverse-coded items flipped to min + max - value, missing codes
    left out), pooled over their responses to the instrument's versions; a unit the mean of
    its respondents' scores at an occasion (those with a value in scope)."""
    scored = sa.case((Item.reverse_coded, InstrumentVersion.scale_min
                      + InstrumentVersion.scale_max - Answer.value), else_=Answer.value)
    answers = (sa.select(Response.engagement_id, Response.unit_id, Response.occasion,
                         Response.respondent_code, InstrumentVersion.instrument_id,
                         Dimension.code.label("dimension"), scored.label("value"))
               .select_from(Answer)
               .join(Response, Response.id == Answer.response_id)
               .join(InstrumentVersion, InstrumentVersion.id == Response.instrument_version_id)
               .join(Item, Item.id == Answer.item_id)
               .join(Dimension, Dimension.id == Item.dimension_id)
               .where(Response.occasion.in_(PAIRED)))
    if engagement_ids is not None:
        answers = answers.where(Response.engagement_id.in_(engagement_ids))
    answers = answers.cte("scored")
    a = answers.c
    respondent = (a.engagement_id, a.instrument_id, a.unit_id, a.occasion, a.respondent_code)
    mean = (sa.cast(sa.func.sum(a.value), sa.Float) / sa.func.count(a.value)).label("score")
    valued = sa.func.count(a.value) > 0
    respondents = sa.union_all(
        sa.select(*respondent, a.dimension, mean)
        .group_by(*respondent, a.dimension).having(valued),
        sa.select(*respondent, sa.literal(OVERALL, sa.String).label("dimension"), mean)
        .group_by(*respondent).having(valued)).cte("respondents")
    r = respondents.c

    def at(occasion: Occasion):
        return sa.func.avg(sa.case((r.occasion == occasion, r.score)))

    scope = (r.engagement_id, r.instrument_id, r.dimension)
    units = (sa.select(*scope, at(Occasion.BASELINE).label("before"),
                       at(Occasion.END).label("after"))
             .group_by(*scope, r.unit_id).cte("units"))
    u = units.c
    matched = sa.and_(u.before.is_not(None), u.after.is_not(None))
    before_only = sa.and_(u.before.is_not(None), u.after.is_(None))
    change = u.after - u.before
    key = (u.engagement_id, u.instrument_id, u.dimension)
    means = (sa.select(*key, sa.func.avg(sa.case((matched, u.before))).label("before"),
                       sa.func.avg(sa.case((matched, u.after))).label("after"),
                       sa.func.avg(change).label("change"))
             .group_by(*key).cte("means"))
    m = means.c
    rounded = sa.func.round(sa.cast(change, ROUNDABLE), UNCHANGED_DIGITS)

    def squares(value, mean):
        return sa.func.sum(sa.case((matched, (value - mean) * (value - mean))))

    def count(condition):
        return sa.func.count().filter(condition)

    return (sa.select(
        *key, count(matched), count(before_only),
        count(sa.and_(u.before.is_(None), u.after.is_not(None))),
        sa.func.sum(sa.case((matched, u.before))), sa.func.sum(sa.case((matched, u.after))),
        sa.func.sum(change), squares(u.before, m.before), squares(u.after, m.after),
        squares(change, m.change), count(rounded > 0), count(rounded == 0),
        count(rounded < 0), sa.func.sum(sa.case((before_only, u.before))))
        .join(means, sa.and_(m.engagement_id == u.engagement_id,
                             m.instrument_id == u.instrument_id, m.dimension == u.dimension))
        .group_by(*key))


CASE_SCORE_COLUMNS = ("engagement_id", "instrument_id", "dimension", "n_matched",
                      "n_before_only", "n_after_only", "sum_before", "sum_after", "sum_change",
                      "squares_before", "squares_after", "squares_change", "n_improved",
                      "n_unchanged", "n_worse", "sum_before_only")


def refresh_case_scores(engagement_ids: Iterable[int] | None = None) -> None:
    """(Re)compute the `CaseScore` rows of the cases given, or of every case, from their
    answers. Two set-based statements in the caller's transaction, whatever the number of
    cases: the services call it for the case whose answers they write; an import once for
    the cases it touched; a bulk load (COPY) or a repair once after."""
    table = CaseScore.__table__
    delete = sa.delete(table)
    if engagement_ids is not None:
        engagement_ids = sorted(set(engagement_ids))
        if not engagement_ids:
            return
        delete = delete.where(table.c.engagement_id.in_(engagement_ids))
    db.session.execute(delete)
    db.session.execute(sa.insert(table).from_select(CASE_SCORE_COLUMNS,
                                                    _case_scores(engagement_ids)))


# --- record, correct, delete --------------------------------------------------------------

def record_response(engagement: Engagement, unit_id: int, version: InstrumentVersion,
                    occasion: Occasion, role: RespondentRole, responded_on: date,
                    answers: Mapping[str, AnswerValue], actor: User | None,
                    respondent_code: str | None = None, *, today: date | None = None,
                    rng: random.Random | None = None, refresh: bool = True) -> Response:
    """One respondent's answers at one occasion for one unit of the case. Flushes.

    `answers` maps every item code of `version` to a value on its scale or a missing code.
    Without `respondent_code` a new code is generated (`rng` makes it reproducible, for
    the demo); with one, the answers belong to that respondent. Without `refresh` the
    caller recomputes the case's scores (`refresh_case_scores`) once after many responses.
    """
    today = today or local_today()
    if version is None or not version.published:
        raise EvaluationError(_("Choose a published instrument."), "instrument")
    _check(engagement, unit_id, occasion, role, responded_on, today)
    codes = case_codes(engagement.id)
    code = normalise_code(respondent_code)
    if code:
        _check_code(code, occasion, codes)
    else:
        code = new_respondent_code(codes, rng)
    _check_answers(version, answers)
    items = {item.code: item for item in version.items}
    response = Response(
        engagement_id=engagement.id, unit_id=unit_id, instrument_version=version,
        occasion=occasion, respondent_role=role, respondent_code=code,
        responded_on=responded_on, entered_by=actor,
        answers=[_answer(items[item_code], value) for item_code, value in answers.items()])
    db.session.add(response)
    db.session.flush()
    if refresh:
        refresh_case_scores([engagement.id])
    return response


def update_response(response: Response, *, unit_id: int, occasion: Occasion,
                    role: RespondentRole, responded_on: date,
                    answers: Mapping[str, AnswerValue], today: date,
                    respondent_code: str | None = None) -> None:
    """Correct a response (its instrument version stays). Without `respondent_code` the
    code stays. Flushes."""
    engagement = response.engagement
    _check(engagement, unit_id, occasion, role, responded_on, today)
    code = normalise_code(respondent_code) or response.respondent_code
    if code != response.respondent_code or occasion is not response.occasion:
        codes = case_codes(engagement.id)
        codes.get(response.respondent_code, set()).discard(response.occasion)
        _check_code(code, occasion, codes)
    version = response.instrument_version
    _check_answers(version, answers)
    response.unit_id, response.occasion, response.respondent_role = unit_id, occasion, role
    response.responded_on, response.respondent_code = responded_on, code
    existing = {answer.item_id: answer for answer in response.answers}
    for item in version.items:
        columns = _columns(answers[item.code])
        answer = existing.get(item.id)
        if answer is None:
            response.answers.append(Answer(item=item, **columns))
        elif (answer.value, answer.missing_code) != (columns["value"], columns["missing_code"]):
            answer.value, answer.missing_code = columns["value"], columns["missing_code"]
    db.session.flush()
    refresh_case_scores([engagement.id])


def delete_response(response: Response) -> None:
    """Delete a response with its answers; its case's scores follow. Flushes."""
    engagement_id = response.engagement_id
    db.session.delete(response)
    db.session.flush()
    refresh_case_scores([engagement_id])


def answer_values(response: Response) -> dict[str, AnswerValue]:
    """The answers of a response by item code, as `record_response` takes them."""
    return {answer.item.code: answer.missing_code if answer.missing_code is not None
            else answer.value for answer in response.answers}


# --- a case's responses -------------------------------------------------------------------

@dataclass(frozen=True)
class ResponseLine:
    response: Response
    values: int    # answers with a value on the scale
    missing: int   # answers with a missing code
    items: int     # the questions of its instrument version

    @property
    def complete(self) -> bool:
        return self.values + self.missing >= self.items


@dataclass
class UnitResponses:
    unit: DaycareUnit
    lines: list[ResponseLine] = field(default_factory=list)

    @property
    def respondents(self) -> int:
        return len(self.lines)

    @property
    def dates(self) -> list[date]:
        return sorted({line.response.responded_on for line in self.lines})

    @property
    def roles(self) -> list[tuple[RespondentRole, int]]:
        counts = Counter(line.response.respondent_role for line in self.lines)
        return [(role, counts[role]) for role in RespondentRole if counts[role]]

    @property
    def missing(self) -> int:
        return sum(line.missing for line in self.lines)


@dataclass
class OccasionResponses:
    occasion: Occasion
    units: list[UnitResponses]

    @property
    def respondents(self) -> int:
        return sum(unit.respondents for unit in self.units)

    @property
    def units_answered(self) -> int:
        return sum(bool(unit.lines) for unit in self.units)


# The occasions every case should measure; the others show once they have answers.
REQUIRED_OCCASIONS = (Occasion.BASELINE, Occasion.END)


def case_responses(engagement: Engagement) -> list[OccasionResponses]:
    """The case's responses by occasion and by unit (every unit of the case, answered or
    not), with the completeness of each. Three queries, however many responses."""
    responses = db.session.scalars(
        sa.select(Response).where(Response.engagement_id == engagement.id)
        .options(lazyload(Response.answers))
        .order_by(Response.responded_on, Response.respondent_code)).all()
    counts = {row.response_id: (row.values, row.missing) for row in db.session.execute(
        sa.select(Answer.response_id, sa.func.count(Answer.value).label("values"),
                  sa.func.count(Answer.missing_code).label("missing"))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.engagement_id == engagement.id).group_by(Answer.response_id))}
    version_ids = {response.instrument_version_id for response in responses}
    items = dict(db.session.execute(
        sa.select(Item.version_id, sa.func.count()).where(Item.version_id.in_(version_ids))
        .group_by(Item.version_id)).all()) if version_ids else {}

    units = {link.unit_id: link.unit for link in engagement.units}
    for response in responses:
        units.setdefault(response.unit_id, response.unit)
    ordered = sorted(units.values(), key=lambda unit: unit.name.casefold())
    occasions = [occasion for occasion in Occasion
                 if occasion in REQUIRED_OCCASIONS
                 or any(r.occasion is occasion for r in responses)]
    table = {occasion: {unit.id: UnitResponses(unit) for unit in ordered}
             for occasion in occasions}
    for response in responses:
        values, missing = counts.get(response.id, (0, 0))
        table[response.occasion][response.unit_id].lines.append(ResponseLine(
            response, values, missing, items.get(response.instrument_version_id, 0)))
    return [OccasionResponses(occasion, list(table[occasion].values()))
            for occasion in occasions]
