"""What free text may hold before it is stored: never a Danish personal identity number
(CPR) in any spelling, and no control characters.

The one CPR detector of the application: forms (the base form), both imports, respondent
codes, sign-in identifiers and query filters all ask `contains_cpr`, and a refusal that
would repeat a value passes it through `shown` first.
"""
from __future__ import annotations

import re
import unicodedata

CPR_DIGITS = 10  # DDMMYY + a four-digit serial number
# Days per month; 29 February counts, since the century of a CPR number is not known.
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Besides every space and dash (of any script), the marks people put between digit groups.
SEPARATORS = frozenset("._/\\:\u00b7\u2027\u2043\u2044\u2212\u2215\u2219")
ALLOWED_CONTROLS = frozenset("\t\n\r")
HIDDEN = "[…]"  # how a refusal shows a value it must not repeat

_CHAIN = re.compile(r"[0-9]+(?: +[0-9]+)*")  # digit groups and separators, normalised


def _normalised(text: str) -> str:
    """The text as a reader sees its numbers: ASCII digits, a space for any separator,
    invisible characters (zero-width, joiners, soft hyphens, combining marks, control
    characters) gone."""
    out = []
    for char in unicodedata.normalize("NFKC", text):  # full-width digits become ASCII
        category = unicodedata.category(char)
        if category == "Nd":
            out.append(str(unicodedata.decimal(char)))  # digits of any script
        elif char.isspace() or category == "Pd" or char in SEPARATORS:
            out.append(" ")
        elif category in ("Cf", "Mn", "Me", "Cc"):
            continue
        else:
            out.append(char)
    return "".join(out)


def _is_cpr(digits: str) -> bool:
    """Ten digits that start with a real date DDMMYY."""
    day, month = int(digits[0:2]), int(digits[2:4])
    return 1 <= month <= 12 and 1 <= day <= DAYS_IN_MONTH[month - 1]


def contains_cpr(text: str | None) -> bool:
    """True when the text holds something that reads as a CPR number.

    Caught: a valid date DDMMYY (real days per month, 29 February allowed, any year 00-99)
    followed by four digits, written with any separators or none between and inside its
    groups: 010190-1234, 0101901234, 01.01.90-1234, 0101 90 1234, 01 01 90 12 34,
    01_01_90_1234, 010190–1234 (any Unicode dash or space), 010190<zero-width space>1234,
    full-width or other scripts' digits. Separators are spaces and dashes of every kind,
    dots, slashes, backslashes, underscores and colons, in runs of any length; zero-width
    and other format characters and combining marks are ignored.

    Not caught: numbers that are no CPR number. The digit groups of a CPR number must be
    whole numbers of the text, so digits may not run on before or after (12010190-1234 and
    010190-12345 are longer numbers); a letter, comma, semicolon, bracket or plus sign ends
    a number. So amounts (1.234.567 kr, 2,5 timer), phone numbers (12 34 56 78,
    +45 12 34 56 78: 45 is no day), dates alone (01-01-2020, 01.01.90), a date with a
    four-digit year followed by four digits (01-01-1990 1234: a CPR number has a two-digit
    year), years, postcodes and times separated by commas (kl. 10.15-12.30, 13.00-14.45)
    pass. Ten digits in a row of numbers joined only by separators are caught whenever the
    first six make a date, whatever they mean: a date with a two-digit year and a time
    (12.03.24 10.00), times joined by a space (10.15-12.30 13.00-14.45), a clock time with
    fractions of a second (01:11.920811). Letters that look like digits (O for 0) are not
    read as digits, and a letter between the groups (010190x1234) ends the number.
    """
    if not text:
        return False
    for chain in _CHAIN.finditer(_normalised(text)):
        groups = chain.group().split()
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) >= CPR_DIGITS:
                    break
            if len(digits) == CPR_DIGITS and _is_cpr(digits):
                return True
    return False


def has_control_characters(text: str | None) -> bool:
    """True when the text holds a control character other than tab, line feed and carriage
    return (NUL cannot be stored by PostgreSQL; none of them is typed by a person), or a
    lone surrogate (not valid Unicode)."""
    return bool(text) and any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in ALLOWED_CONTROLS
        for char in text)


def storable(text: str | None) -> bool:
    """Text that may be stored (and repeated in a message): no CPR, no control character."""
    return not contains_cpr(text) and not has_control_characters(text)


def shown(text: str | None) -> str:
    """The text for a message that repeats what a user gave, or HIDDEN in its place when
    it must not be repeated."""
    if text is None:
        return ""
    return text if storable(text) else HIDDEN
