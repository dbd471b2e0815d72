"""Reading a date of birth out of what a person wrote (account references: ``actions.account_reference``)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional

import dateparser
from dateparser.search import search_dates

from actions.account_reference import AccountReferenceFormat
from actions.language import DEFAULT, active
from actions.local_terms import chinese_full_date

DOB_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}
ORDINAL_SUFFIX = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
ISO_DATE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
NUMERIC_DMY = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b")
ORDINAL_WORDS = {
    word: str(number) for number, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
        "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1)
}
ORDINAL_WORDS.update({"twenty-" + w: str(20 + int(n)) for w, n in list(ORDINAL_WORDS.items())[:9]})
ORDINAL_WORDS.update({"thirtieth": "30", "thirty-first": "31"})
ORDINAL_WORD = re.compile(r"\b(" + "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def parse_date_of_birth(text: Any, today: date,
                        references: Optional[AccountReferenceFormat] = None) -> Optional[date]:
    """The first full date (day, month, year) in ``text`` that lies in the past, or None (also for non-text).

    Account references (``references``) are removed first, so their digits are never read as a date."""
    if not isinstance(text, str) or not text.strip():
        return None
    cleaned = references.remove(text) if references else text
    chinese = chinese_full_date(cleaned)
    if chinese:
        try:
            day = date(*chinese)
        except ValueError:
            day = None
        if day and date(1900, 1, 1) <= day < today:
            return day
    numeric = _numeric_date(cleaned, today)
    if numeric:
        return numeric
    cleaned = ORDINAL_WORD.sub(lambda m: ORDINAL_WORDS[m.group(1).lower()], cleaned)
    cleaned = ORDINAL_SUFFIX.sub(r"\1", cleaned).replace(" of ", " ").replace(" the ", " ")
    whole = dateparser.parse(cleaned.strip(), languages=list(dict.fromkeys([active(), DEFAULT])), settings=DOB_SETTINGS)
    candidates = [whole] if whole else [found for _, found in (search_dates(
        cleaned, languages=list(dict.fromkeys([active(), DEFAULT])), settings=DOB_SETTINGS) or [])]
    for candidate in candidates:
        day = candidate.date()
        if date(1900, 1, 1) <= day < today:
            return day
    return None


def _numeric_date(text: str, today: date) -> Optional[date]:
    """ISO (1980-04-12) or day-first (12/04/1980, 12.04.80) dates, read without guessing."""
    iso = ISO_DATE.search(text)
    if iso:
        parts = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    else:
        dmy = NUMERIC_DMY.search(text)
        if not dmy:
            return None
        year = int(dmy.group(3))
        if year < 100:
            year += 1900 if year > today.year % 100 else 2000
        parts = year, int(dmy.group(2)), int(dmy.group(1))
    try:
        day = date(*parts)
    except ValueError:
        return None
    return day if date(1900, 1, 1) <= day < today else None
