"""The CPR detector and every door it guards: forms (sub-forms too), both imports,
respondent codes, sign-in, query filters, the request log and the command line; control
characters alongside. A refusal names where the value is, never the value."""
from __future__ import annotations

import calendar
import csv
import io
import json
import logging
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl.utils import get_column_letter
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form as PlainForm, FormField, HiddenField, StringField, TextAreaField

from consultancy.applications.exchange import UNIT_COLUMNS, ExchangeError, import_applications
from consultancy.auth.services import authenticate
from consultancy.evaluation import services as evaluation
from consultancy.extensions import db
from consultancy.models import (
    Application,
    AuditEntry,
    EngagementStatus,
    Response,
    Role,
    ThrottleEvent,
    User,
)
from consultancy.rules.text import HIDDEN, contains_cpr, has_control_characters, shown
from consultancy.security.validators import CONTROL_MESSAGE, CPR_MESSAGE, cell_problems
from consultancy.services.clock import utcnow
from consultancy.web.forms import Form
from consultancy.web.weblog import JsonFormatter
from tests.conftest import PASSWORD
from tests.test_applications import VALID_FORM, errors_of

CPR_EN = "Remove the personal identity number (CPR). It must never be stored here."
CPR_DA = "Fjern cpr-nummeret. Det må aldrig gemmes her."
CONTROL_EN = "Remove the invisible control character (such as NUL); it cannot be stored."
CONTROL_DA = "Fjern det usynlige kontroltegn (fx NUL); det kan ikke gemmes."
SPELLINGS = [
    "010190-1234", "0101901234", "010190 1234", "01.01.90-1234", "0101 90 1234",
    "01 01 90 12 34", "01_01_90_1234", "01/01/90-1234", "01:01:90:1234", "01\\01\\90-1234",
    "010190\u20131234", "010190\u20141234", "010190\u22121234", "010190\u20111234",
    "010190\u00a01234", "010190\u202f1234", "010190\u30001234", "010190\t1234",
    "010190\n1234", "010190\u20281234", "010190\u200b1234", "0101\u00ad90\u20601234",
    "01 - 01 - 90 - 1234",
    "０１０１９０１２３４", "０１．０１．９０－１２３４", "٠١٠١٩٠١٢٣٤", "⁰¹⁰¹⁹⁰¹²³⁴",
    "01\u00b701\u00b790-1234", "010190\u20271234", "010190\u20431234",
    "01\u204401\u204490-1234", "01\u221501\u221590-1234", "010190\u22191234",
    "0\u03011019\u20dd01234", "010190\x001234", "0 1 0 1 9 0 1 2 3 4",
]


def shows_cpr(page: str) -> bool:
    """Whether a page repeats a CPR number (the icons' drawing numbers left out)."""
    return contains_cpr(re.sub(r"<svg.*?</svg>", "", page, flags=re.S))


# --- the detector -------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_cpr_number_is_caught_in_every_spelling_and_anywhere_in_a_text(spelling):
    assert contains_cpr(spelling)
    assert contains_cpr(f"Barnet (cpr {spelling}) har brug for støtte.")
    assert contains_cpr(f"cpr:{spelling}, mor ringer")
    assert contains_cpr(f"12 børn; {spelling} 5 voksne")  # numbers beside it stay apart


@pytest.mark.parametrize("text", [
    "", None, "Vi talte om legen i garderoben.",
    "1.234.567 kr", "12.500,- kr.", "Budget: 10.119.012,34 kr", "2,5 timer", "7,25 timer",
    "+45 12 34 56 78", "+45 31 12 90 12", "12 34 56 78", "31129012", "+4531129012",
    "Ring på 31129012 efter kl. 16", "tlf. 31 12 90 12, 2 timer",
    "01-01-2020", "01.01.90", "29.02.2024", "01-01-1990 1234", "31.12.1990 1234",
    "12/3-24", "år 2019-2020", "2019", "7900 Nykøbing M", "CVR 12345678",
    "kl. 10.15-12.30, 13.00-14.45", "9.00-10.30; 12.00-13.30",
    "12010190-1234", "010190-12345", "1010190-1234", "0101901234567",
    "ordre 320190-1234", "011390-1234", "O1O19O-1234", "010190X1234", "010190 x 1234",
    "010190+1234", "010190,1234", "010190;1234", "(010190)(1234)",
])
def test_ordinary_numbers_are_not_taken_for_a_cpr_number(text):
    assert not contains_cpr(text)


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_runs_from_its_first_to_its_last_day(month):
    last = 29 if month == 2 else calendar.monthrange(2001, month)[1]  # 29 Feb: century unknown
    assert contains_cpr(f"01{month:02}90-1234")
    assert contains_cpr(f"{last:02}{month:02}90-1234")
    assert not contains_cpr(f"{last + 1:02}{month:02}90-1234")
    assert not contains_cpr(f"00{month:02}90-1234")


@pytest.mark.parametrize("date, found", [
    ("3101", True), ("3201", False), ("2902", True), ("3002", False), ("3004", True),
    ("3104", False), ("3112", True), ("3212", False), ("0112", True), ("0113", False),
    ("0100", False), ("0000", False), ("9999", False),
])
def test_month_boundaries(date, found):
    assert contains_cpr(f"{date}00-0000") is found
    assert contains_cpr(f"{date[:2]}.{date[2:]}.99 9999") is found


def test_invisible_characters_do_not_split_a_number_a_reader_sees_whole():
    assert not contains_cpr("12\u200b010190-1234")  # reads 12010190-1234
    assert contains_cpr("12\u200b 010190-1234")
    assert contains_cpr("12\n010190-1234")  # a line break does split


def test_number_signs_that_are_no_digits_are_read_as_letters():
    assert not contains_cpr("௰ ൰ ፲ 𐄐")  # ten in Tamil, Malayalam, Ethiopic, Aegean
    assert not contains_cpr("Ⅰ Ⅱ ⅰ")


@pytest.mark.parametrize("text, found", [
    ("\x00", True), ("a\x07b", True), ("\x1b[31m", True), ("\x7f", True), ("\x85", True),
    ("\ud800", True), ("tab\tline\nreturn\r", False), ("æøå – “citat”", False),
    ("", False), (None, False),
])
def test_control_characters(text, found):
    assert has_control_characters(text) is found


def test_a_value_is_shown_only_when_it_may_be_stored():
    assert shown("Børnehuset") == "Børnehuset"
    assert shown("cpr 01.01.90-1234") == HIDDEN == "[…]"
    assert shown("a\x00b") == HIDDEN
    assert shown(None) == ""


# --- properties -----------------------------------------------------------------------------

DIGIT_FORMS = [
    lambda d: d, lambda d: d, lambda d: d,
    lambda d: chr(0xFF10 + int(d)),  # full-width
    lambda d: chr(0x0660 + int(d)),  # Arabic-Indic
    lambda d: chr(0x0966 + int(d)),  # Devanagari
    lambda d: chr(0x1D7CE + int(d)),  # mathematical bold
]
GAPS = ["", "", "", "", "-", " ", ".", "/", "_", ":", "\\", " - ", ". ", "\u2010", "\u2011",
        "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d", "\u00a0",
        "\u2007", "\u2009", "\u202f", "\u3000", "\t", "\n", "\r\n", "\u200b", "\u200c",
        "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200b-\u200b", "\uff0e", "\uff0f"]
WORDS = ["Barnet", "har", "cpr", "CPR-nr.:", "nummer", "født", "den", "Vi", "talte", "om",
         "legen", "i", "garderoben", "Mor", "siger", "æble", "øje", "på", "søndag", "nr.",
         "se", "bilag", "og", "pædagogen", "Åse", "(", ")", ",", "—", "\u2013"]
BEFORE = [" ", "", ": ", "\n", "(", " nr. ", "\u00a0"]
AFTER = [" ", "", ".", ",", ")", "\n", " og "]


@st.composite
def cpr_numbers(draw) -> tuple[str, str]:
    """(the ten digits, a spelling of them)."""
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 29 if month == 2 else calendar.monthrange(2001, month)[1]))
    digits = f"{day:02}{month:02}{draw(st.integers(0, 99)):02}{draw(st.integers(0, 9999)):04}"
    spelled = ""
    for index, digit in enumerate(digits):
        if index:
            spelled += draw(st.sampled_from(GAPS))
        spelled += draw(st.sampled_from(DIGIT_FORMS))(digit)
    return digits, spelled


@st.composite
def texts_with_cpr(draw) -> str:
    words = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
    _digits, spelled = draw(cpr_numbers())
    return (draw(words) + draw(st.sampled_from(BEFORE)) + spelled
            + draw(st.sampled_from(AFTER)) + draw(words))


def _phone(draw) -> str:
    number = f"{draw(st.integers(2, 9))}{draw(st.integers(0, 9_999_999)):07}"
    pairs = " ".join(number[i:i + 2] for i in range(0, 8, 2))
    return draw(st.sampled_from([number, pairs, f"+45 {pairs}", f"+45{number}",
                                 f"{number[:4]} {number[4:]}", f"tlf. {pairs}"]))


def _amount(draw) -> str:
    kroner = f"{draw(st.integers(0, 999_999_999)):,}".replace(",", ".")
    ore = draw(st.sampled_from(["", ",-", f",{draw(st.integers(0, 99)):02}"]))
    return draw(st.sampled_from([f"{kroner}{ore} kr", f"kr. {kroner}{ore}", f"{kroner} kr."]))


def _date(draw) -> str:
    day, month = draw(st.integers(1, 31)), draw(st.integers(1, 12))
    year = draw(st.integers(1990, 2030))
    return draw(st.sampled_from([
        f"{day:02}-{month:02}-{year}", f"{day:02}.{month:02}.{year}", f"{day}/{month}-{year}",
        f"{day:02}.{month:02}.{year % 100:02}", f"{day}/{month}-{year % 100:02}",
        f"{day}. {month}. {year}", f"{year}-{month:02}-{day:02}"]))


def _other(draw) -> str:
    hours, minutes = draw(st.integers(0, 23)), draw(st.sampled_from(["00", "15", "30", "45"]))
    return draw(st.sampled_from([
        f"{draw(st.integers(0, 40))},{draw(st.integers(0, 9))} timer",
        f"{draw(st.integers(1900, 2100))}", f"{draw(st.integers(2000, 2030))}-"
        f"{draw(st.integers(2000, 2030))}", f"{draw(st.integers(1000, 9990))} Nykøbing M",
        f"kl. {hours}.{minutes}-{(hours + 1) % 24}.{minutes}", f"{hours:02}:{minutes}",
        f"{draw(st.integers(1, 200))} børn", f"CVR {draw(st.integers(10**7, 10**8 - 1))}"]))


@st.composite
def ordinary_texts(draw) -> str:
    parts = draw(st.lists(st.sampled_from([_phone, _amount, _date, _other]), min_size=1,
                          max_size=5))
    joiners = [" og ", ", ", " samt ", "; ", " – ring ", " eller ", ". Vi talte om "]
    text = draw(st.sampled_from(["", "Vi aftalte ", "Budget: "]))
    for index, part in enumerate(parts):
        if index:
            text += draw(st.sampled_from(joiners))
        text += part(draw)
    return text + draw(st.sampled_from(["", ".", " i alt."]))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(texts_with_cpr())
def test_property_every_spelling_of_a_cpr_number_in_danish_text_is_caught(text):
    assert contains_cpr(text)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(ordinary_texts())
def test_property_ordinary_text_with_numbers_is_not_refused(text):
    assert not contains_cpr(text)


FORM_SETTINGS = settings(derandomize=True, max_examples=20, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])


def applications(app) -> list[Application]:
    with app.app_context():
        found = db.session.scalars(sa.select(Application)).all()
        db.session.expunge_all()
        return found


@FORM_SETTINGS
@given(text=texts_with_cpr(), field=st.sampled_from(["motivation", "contact_name",
                                                    "units-0-name"]))
def test_property_a_cpr_number_posted_on_the_public_form_is_refused_and_not_stored(
        app, client, text, field):
    response = client.post("/apply", data={**VALID_FORM, field: text})
    assert response.status_code == 400
    assert CPR_DA in errors_of(response.get_data(as_text=True))[field]
    assert applications(app) == []


@FORM_SETTINGS
@given(text=ordinary_texts())
def test_property_ordinary_text_with_numbers_is_accepted_by_the_public_form(app, client, text):
    app.config["APPLY_RATE_LIMIT"] = 1000  # all from one address, within the hour
    before = len(applications(app))
    response = client.post("/apply", data={**VALID_FORM, "motivation": text})
    assert response.status_code == 302, errors_of(response.get_data(as_text=True))
    assert len(applications(app)) == before + 1


# --- forms ----------------------------------------------------------------------------------

class _Inner(PlainForm):  # a sub-form that is not one of ours
    note = TextAreaField()


class _Nested(Form):
    class Meta:
        csrf = False

    title = StringField()
    lines = FieldList(StringField(), min_entries=2)
    inner = FormField(_Inner)
    back = HiddenField()


def test_every_field_holding_text_is_checked_in_lists_and_sub_forms_at_any_depth(app):
    with app.test_request_context(), force_locale("en"):
        form = _Nested(MultiDict({
            "title": "Mødet", "lines-0": "ok", "lines-1": "cpr 01.01.90-1234",
            "inner-note": "a\x00b", "back": "/engagements/\x00"}))
        assert not form.validate()
        assert form.errors == {"lines": [[], [CPR_EN]], "inner": {"note": [CONTROL_EN]},
                               "back": [CONTROL_EN]}
        fresh = _Nested(MultiDict({"title": "Mødet", "lines-0": "a", "lines-1": "b",
                                   "inner-note": "c", "back": "/"}))
        assert fresh.validate(), fresh.errors
        assert str(CPR_MESSAGE) == CPR_EN and str(CONTROL_MESSAGE) == CONTROL_EN


@pytest.mark.parametrize("field", ["motivation", "contact_name", "units-0-name"])
def test_a_nul_on_the_public_form_is_refused_next_to_the_field_not_a_500(app, client, field):
    response = client.post("/apply", data={**VALID_FORM, field: "Hele\x00personalet"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert CONTROL_DA in errors_of(page)[field]
    assert "Hele" in page and "personalet" in page  # what was typed is kept
    assert applications(app) == []


# --- the imports ----------------------------------------------------------------------------

def _application_csv(path, **cells) -> None:
    row = dict(key="a", applicant_kind="municipality", applicant_name="",
               municipality_code="101", engagement_type="mini", contact_name="Mette Madsen",
               contact_email="mm@kk.dk", contact_phone="12 34 56 78",
               documented_need="Et dokumenteret behov", motivation="Motivation",
               leadership_backing="Ledelsen bakker op", resource_hours_per_month="12,5",
               resource_participants="Leder og to pædagoger")
    row.update(cells)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(list(row))
        writer.writerow(list(row.values()))


def _units_csv(path, key="a", name="Solsikken") -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(UNIT_COLUMNS)
        writer.writerow([key, name, "kindergarten", "municipal", "45", "30"])


@pytest.mark.parametrize("cells, units, expected", [
    ({"motivation": "Barnet 01.01.90-1234"}, {},
     f"row 2, column motivation: {CPR_EN}"),
    ({"key": "0101 90 1234"}, {"key": "0101 90 1234"},
     f"row 2, column key: {CPR_EN}"),
    ({"engagement_type": "01_01_90_1234"}, {},
     f"row 2, column engagement_type: {CPR_EN}"),
    ({"contact_name": "Mette\x00Madsen"}, {},
     f"row 2, column contact_name: {CONTROL_EN}"),
    ({}, {"name": "Solsikken ０１０１９０１２３４"},
     f"file enheder.csv, row 2, column name: {CPR_EN}"),
])
def test_the_applications_import_refuses_a_cell_by_row_and_column_without_repeating_it(
        app, tmp_path, cells, units, expected):
    _application_csv(tmp_path / "ansøgninger.csv", **cells)
    _units_csv(tmp_path / "enheder.csv", **units)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ExchangeError) as refused:
            import_applications(tmp_path / "ansøgninger.csv", tmp_path / "enheder.csv",
                                today=utcnow().date(), now=utcnow())
    assert expected in refused.value.messages
    said = "\n".join(refused.value.messages)
    assert not contains_cpr(said) and "\x00" not in said
    assert applications(app) == []


def test_a_header_cell_with_a_cpr_number_is_named_by_its_column_letter(app, tmp_path):
    _application_csv(tmp_path / "a.csv", **{"01.01.90-1234": "x"})
    _units_csv(tmp_path / "u.csv")
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ExchangeError) as refused:
            import_applications(tmp_path / "a.csv", tmp_path / "u.csv",
                                today=utcnow().date(), now=utcnow())
    assert refused.value.messages == [f"row 1, column N: {CPR_EN}"]


@pytest.fixture
def case_import(app, make_case, make_user, login_client):
    """An active case with an English-speaking consultant: (case id, unit name, client)."""
    consultant = make_user(Role.CONSULTANT, language="en")
    case_id = make_case(consultants=[consultant], start=-20, status=EngagementStatus.ACTIVE)
    return case_id, "Børnehuset i Morsø Kommune", login_client(user=consultant)


def _responses_csv(app, unit_name: str, **cells) -> bytes:
    with app.app_context():
        items = [item.code for item in evaluation.default_version().items]
        today = utcnow().date().isoformat()
    row = {"unit": unit_name, "occasion": "baseline", "respondent": "R-7F3K2", "role": "leader",
           "date": today, **{code: "3" for code in items}}
    row.update(cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(row))
    writer.writerow(list(row.values()))
    return buffer.getvalue().encode("utf-8")


def _import_errors(page: str) -> list[str]:
    block = page.split('class="mb-0 import-errors">', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block,
                                                                      re.S)]


@pytest.mark.parametrize("cells, expected", [
    ({"LM1": "010190-1234"}, f"Row 2, column LM1: {CPR_EN}"),
    ({"unit": "Børnehuset 01.01.90-1234"}, f"Row 2, column unit: {CPR_EN}"),
    ({"respondent": "01_01_90_1234"}, f"Row 2, column respondent: {CPR_EN}"),
    ({"respondent": "R-010190\u20131234"}, f"Row 2, column respondent: {CPR_EN}"),
    ({"role": "leder\x00"}, f"Row 2, column role: {CONTROL_EN}"),
    ({"01 01 90 12 34": ""}, None),  # a header: named by its letter, after the items
])
def test_the_evaluation_import_refuses_a_cell_by_row_and_column_without_repeating_it(
        app, case_import, cells, expected):
    case_id, unit, client = case_import
    data = _responses_csv(app, unit, **cells)
    if expected is None:
        with app.app_context():
            letter = get_column_letter(5 + len(evaluation.default_version().items) + 1)
        expected = f"Row 1, column {letter}: {CPR_EN}"
    response = client.post(f"/evaluation/cases/{case_id}/import",
                           data={"file": (io.BytesIO(data), "svar.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _import_errors(page) == [expected]
    assert not shows_cpr(page) and "\x00" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


CPR = "010190-1234"


@pytest.mark.parametrize("records, expected", [
    ([], []),
    ([["unit", "note"], ["Ok", "fine"]], []),
    ([["unit", "note"], ["Ok", CPR]], [(2, "note", CPR_MESSAGE)]),
    # A cell beyond the header, or under an empty header, is named by its letter.
    ([["unit"], ["Ok", CPR]], [(2, "B", CPR_MESSAGE)]),
    ([["unit"], ["Ok", "ok", CPR]], [(2, "C", CPR_MESSAGE)]),
    ([["unit", " "], ["Ok", CPR]], [(2, "B", CPR_MESSAGE)]),
    # A header that may not be repeated is named by its letter, in its row and below.
    ([["unit", CPR], ["Ok", CPR]], [(1, "B", CPR_MESSAGE), (2, "B", CPR_MESSAGE)]),
    ([["unit", "note\x00"], ["Ok", "x\x00"]],
     [(1, "B", CONTROL_MESSAGE), (2, "B", CONTROL_MESSAGE)]),
    # A header cell refused for a character .strip() would take off is named by its letter.
    ([["unit", "note\x0b"]], [(1, "B", CONTROL_MESSAGE)]),
    # The header row names no cell of its own.
    ([["unit", "note"], ["Ok", "fine"], [CPR]], [(3, "unit", CPR_MESSAGE)]),
])
def test_cell_problems_name_a_cell_by_its_header_or_letter_never_by_its_value(
        app, records, expected):
    with app.test_request_context():
        found = [(row, column, message) for row, column, message in cell_problems(records)]
        assert found == [(row, column, str(message)) for row, column, message in expected]


def test_a_file_name_with_a_cpr_number_is_not_repeated(app, case_import):
    case_id, _unit, client = case_import
    response = client.post(f"/evaluation/cases/{case_id}/import",
                           data={"file": (io.BytesIO(b"no workbook"), "010190-1234.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "cannot be read" in page and not shows_cpr(page)


def test_a_respondent_code_that_reads_as_a_cpr_number_is_refused_by_the_service():
    assert evaluation.code_problem("01_01_90_1234") is not None
    assert evaluation.code_problem("R-7F3K2") is None


# --- sign-in, filters, the log and the command line -----------------------------------------

def test_a_sign_in_with_a_cpr_number_is_refused_and_the_number_kept_nowhere(app, client):
    response = client.post("/login", data={"email": "01.01.90-1234@kommune.dk",
                                           "password": PASSWORD})
    assert response.status_code == 400
    assert CPR_DA in errors_of(response.get_data(as_text=True))["email"]
    with app.test_request_context():
        for email in ("01.01.90-1234@kommune.dk", "010190\u20131234@kommune.dk"):
            authenticate(email, PASSWORD, "192.0.2.1", utcnow(), 5,
                         app.config["LOGIN_THROTTLE_WINDOW"])
        db.session.commit()
        notes = db.session.scalars(sa.select(AuditEntry.note)).all()
        subjects = db.session.scalars(sa.select(ThrottleEvent.subject)).all()
    assert notes == [HIDDEN, HIDDEN]
    assert not any(contains_cpr(subject) for subject in subjects)


def test_a_cpr_number_or_nul_in_the_flags_filter_is_refused_and_not_repeated(login_client):
    client = login_client(Role.TEAM)
    response = client.get("/flags/", query_string={"reference": "01.01.90-1234"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<div id="filter-reference-error" class="invalid-feedback d-block">' \
        f'{CPR_DA}</div>' in page
    assert 'name="reference" value=""' in page
    assert "reference=" not in page.split("</form>", 2)[1]  # nor in the pages' links
    # A control character in a query string is refused before any view reads it.
    response = client.get("/flags/", query_string={"reference": "FORL\x00"})
    assert response.status_code == 400 and "\x00" not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["type", "instrument"])
def test_a_cpr_number_or_nul_in_an_export_filter_is_refused_and_not_repeated(
        evaluator_client, name):
    response = evaluator_client.get("/evaluation/export", query_string={name: "01.01.90-1234"},
                                    follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert CPR_DA in page and not shows_cpr(page)
    response = evaluator_client.get("/evaluation/export", query_string={name: "egen\x00"},
                                    follow_redirects=True)
    assert response.status_code == 400 and "\x00" not in response.get_data(as_text=True)


def test_a_cpr_number_in_a_url_is_not_written_to_the_request_log(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("consultancy.request")
    logger.addHandler(handler)
    try:
        client.get("/borger/01.01.90-1234?cpr=0101901234")
    finally:
        logger.removeHandler(handler)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["status"] == 404 and line["path"] == HIDDEN
    assert "1234" not in stream.getvalue()


def test_a_user_made_on_the_command_line_cannot_hold_a_cpr_number(app, runner):
    for email, name in (("anna@kommune.dk", "Anna 01.01.90-1234"),
                        ("01_01_90_1234@kommune.dk", "Anna"),
                        ("anna@kommune.dk", "Anna\x00")):
        result = runner.invoke(args=["users", "create", email, "--name", name, "--role",
                                     "consultant", "--password", "a long password"])
        assert result.exit_code != 0
        assert "cpr-nummeret" in result.output or "kontroltegn" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_nul_in_a_text_in_the_path_answers_404_not_a_500(admin_client):
    assert admin_client.get("/admin/flag-rules/%00").status_code == 404
    assert admin_client.get("/admin/flag-rules/budget%00").status_code == 404
