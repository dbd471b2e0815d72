"""Understanding the dates, amounts and plan lengths debtors write, relative to the conversation's date.

Amounts come from a blank spaCy pipeline with an entity ruler built from ``patterns/amounts.jsonl``;
dates from a few fixed phrases and then dateparser.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

import spacy
from dateparser.search import search_dates
from dateutil.relativedelta import relativedelta

from actions.language import DEFAULT, active
from actions.local_terms import local_amount, local_date, local_months

PATTERNS = Path(__file__).with_name("patterns") / "amounts.jsonl"
NUMBER_WORDS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
NUMBER_WORDS.update({"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3})
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3})
UNIT_AFTER_NUMBER = re.compile(r"^\s*(months?|mos?|weeks?|wks?|days?|years?|yrs?|instal{1,2}ments?|payments?|st|nd|rd|th|/|am|pm|h|hrs?)\b", re.I)
DATE_WORD_AFTER = re.compile(r"^\s*(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)
DATE_WORD_BEFORE = re.compile(r"\b(?:the|on|by|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)\s*$", re.I)


@lru_cache(maxsize=1)
def amount_pipeline():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.from_disk(PATTERNS)
    return nlp


def _number(text: str) -> Optional[Decimal]:
    match = re.search(r"(\d[\d,]*(?:\.\d{1,2})?)(k\b)?", text.lower())
    if not match:
        return None
    multiplier = Decimal(1000) if match.group(2) else Decimal(1)
    try:
        return (Decimal(match.group(1).replace(",", "")) * multiplier).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def parse_amount(text: str, balance: Decimal) -> Optional[Decimal]:
    """'$250', '250 dollars', 'half', 'the full amount', '300' -> an amount; None when there is none."""
    if not text:
        return None
    if _local(text):
        found = local_amount(text)
        if found is not None:
            return found
    doc = amount_pipeline()(text)
    for ent in sorted(doc.ents, key=lambda e: {"MONEY": 0, "SHARE": 1, "NUMBER": 2}[e.label_]):
        if ent.label_ == "MONEY":
            return _number(ent.text)
        if ent.label_ == "SHARE":
            lowered = ent.text.lower()
            share = Decimal("0.5") if "half" in lowered else Decimal(1) / 3 if "third" in lowered else \
                Decimal("0.25") if "quarter" in lowered else Decimal(1)
            return (balance * share).quantize(Decimal("0.01"))
        before, after = text[:ent.start_char], text[ent.end_char:]
        if UNIT_AFTER_NUMBER.match(after) or DATE_WORD_AFTER.match(after) or DATE_WORD_BEFORE.search(before):
            continue
        if re.search(r"\d[/.-]\s*$", before) or re.match(r"^\s*[/.:-]\d", after):
            continue
        return _number(ent.text)
    return None


def parse_months(text: str) -> Optional[int]:
    """'6 months', 'six months', 'in 4 instalments', 'over 3 payments' -> a whole number."""
    if _local(text or "") and local_months(text):
        return local_months(text)
    match = re.search(r"\b(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\s*(?:more\s+)?(?:months?|mos?|monthly|instal{1,2}ments?|payments?)\b",
                      text or "", re.I)
    if not match:
        return None
    word = match.group(1).lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def _local(text: str) -> bool:
    """Spanish and Chinese forms are read in a Spanish or Chinese conversation, and in any Chinese text."""
    return active() != DEFAULT or bool(re.search(r"[\u4e00-\u9fff]", text))


def _amount_spans_removed(text: str) -> str:
    doc = amount_pipeline()(text)
    for ent in reversed([e for e in doc.ents if e.label_ in ("MONEY", "SHARE")]):
        text = text[:ent.start_char] + " " + text[ent.end_char:]
    return text


def _next_weekday(today: date, weekday: int, skip_week: bool = False) -> date:
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days + (7 if skip_week else 0))


def _day_of_month(today: date, day: int) -> Optional[date]:
    for offset in (0, 1, 2):
        month_start = (today.replace(day=1) + relativedelta(months=offset))
        if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
            candidate = month_start.replace(day=day)
            if candidate >= today:
                return candidate
    return None


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _count(word: str) -> Optional[int]:
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def parse_payment_date(text: str, today: date) -> Optional[date]:
    """The payment date meant by ``text`` ('on Friday', 'the 15th', 'end of the month', 'in two weeks',
    'tomorrow', '25/12', ...), never before ``today``; None when there is none."""
    if not text:
        return None
    if _local(text):
        found = local_date(text, today)
        if found:
            return found
    lowered = " " + re.sub(r"\s+", " ", _amount_spans_removed(text).lower()) + " "
    fixed = _fixed_phrase(lowered, today)
    if fixed:
        return fixed
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", lowered)
    if iso:
        try:
            day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            day = None
        if day and day >= today:
            return day
    numeric = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", lowered)
    if numeric:
        return _numeric_date(numeric, today)
    months = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    lone_day = re.search(r"\b(?:the|on|by)\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:of\s+)?[a-z]{3})", lowered) or next(
        (m for m in re.finditer(r"\b(\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:of\s+)?" + months + ")", lowered)
         if not re.search(months + r"[a-z]*\.?\s*$", lowered[:m.start()])), None)
    if lone_day and 1 <= int(lone_day.group(1)) <= 31:
        return _day_of_month(today, int(lone_day.group(1)))
    weekday = re.search(r"\b(?:next|this|coming|on)?\s*(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) +
                        r")\b", lowered)
    if weekday and not re.search(months + r"[a-z]*\s+\d|\d\s*(?:st|nd|rd|th)?\s+(?:of\s+)?" + months, lowered):
        return _next_weekday(today, WEEKDAYS[weekday.group(1)])
    cleaned = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", lowered).replace(" of ", " ")
    found = search_dates(cleaned, languages=list(dict.fromkeys([active(), DEFAULT])), settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
        "DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False})
    for _, moment in found or []:
        if moment.date() >= today:
            return moment.date()
    return None


def _fixed_phrase(lowered: str, today: date) -> Optional[date]:
    counted = re.search(r"\b(\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(days?|weeks?|months?)\s+"
                        r"(?:from|after)\s+(?:today|now)\b", lowered)
    if counted:
        count, unit = _count(counted.group(1)), counted.group(2)
        return today + (timedelta(days=count) if unit.startswith("day") else timedelta(weeks=count)
                        if unit.startswith("week") else relativedelta(months=count))
    if re.search(r"\b(today|tonight|right now|now|this (morning|afternoon|evening)|straight away|asap)\b", lowered):
        return today
    if "day after tomorrow" in lowered:
        return today + timedelta(days=2)
    if re.search(r"\b(tomorrow|tmrw|tmr|tomoz)\b", lowered):
        return today + timedelta(days=1)
    if re.search(r"\bend of (the |this )?month\b|\bmonth[- ]end\b", lowered):
        return _end_of_month(today)
    if re.search(r"\bend of next month\b", lowered):
        return _end_of_month(today + relativedelta(months=1))
    if re.search(r"\b(start|beginning) of next month\b", lowered):
        return today.replace(day=1) + relativedelta(months=1)
    if re.search(r"\bend of (the |this )?week\b", lowered):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if re.search(r"\bend of next week\b", lowered):
        return _next_weekday(today, 4, skip_week=today.weekday() <= 4)
    if re.search(r"\bnext week\b", lowered):
        return today + timedelta(days=7)
    if re.search(r"\b(a|one) fortnight\b|\bin a fortnight\b", lowered):
        return today + timedelta(days=14)
    relative = re.search(r"\b(?:in|within)\s+(\d{1,2}|a couple of|a few|" + "|".join(NUMBER_WORDS) +
                         r")\s+(days?|weeks?|months?)\b", lowered)
    if relative:
        count, unit = _count(relative.group(1)), relative.group(2)
        if count is not None:
            if unit.startswith("day"):
                return today + timedelta(days=count)
            if unit.startswith("week"):
                return today + timedelta(weeks=count)
            return today + relativedelta(months=count)
    return None


def _numeric_date(match: re.Match, today: date) -> Optional[date]:
    first, second, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    orders: Tuple[Tuple[int, int], ...] = ((first, second), (second, first))
    for day, month in orders:
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            years = [year]
        else:
            years = [today.year, today.year + 1]
        for year in years:
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
    return None
