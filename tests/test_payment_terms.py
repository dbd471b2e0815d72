"""Dates and amounts as debtors write them, relative to a fixed today: Sunday 22 November 2026."""
from datetime import date
from decimal import Decimal

import pytest

from actions.payment_terms import parse_amount, parse_months, parse_payment_date

TODAY = date(2026, 11, 22)
BALANCE = Decimal("1250.00")


@pytest.mark.parametrize("text, expected", [
    ("on Friday", date(2026, 11, 27)),
    ("friday", date(2026, 11, 27)),
    ("this friday", date(2026, 11, 27)),
    ("I'll pay on Fri", date(2026, 11, 27)),
    ("next monday", date(2026, 11, 23)),
    ("wed", date(2026, 11, 25)),
    ("the 15th", date(2026, 12, 15)),
    ("on the 28th", date(2026, 11, 28)),
    ("by the 1st", date(2026, 12, 1)),
    ("end of the month", date(2026, 11, 30)),
    ("by month end", date(2026, 11, 30)),
    ("end of next month", date(2026, 12, 31)),
    ("beginning of next month", date(2026, 12, 1)),
    ("in two weeks", date(2026, 12, 6)),
    ("in 2 weeks", date(2026, 12, 6)),
    ("within 3 days", date(2026, 11, 25)),
    ("in a fortnight", date(2026, 12, 6)),
    ("in a month", date(2026, 12, 22)),
    ("next week", date(2026, 11, 29)),
    ("end of the week", date(2026, 11, 27)),
    ("tomorrow", date(2026, 11, 23)),
    ("tmrw", date(2026, 11, 23)),
    ("day after tomorrow", date(2026, 11, 24)),
    ("today", date(2026, 11, 22)),
    ("right now", date(2026, 11, 22)),
    ("25/12", date(2026, 12, 25)),
    ("25.12", date(2026, 12, 25)),
    ("by 30/11/2026", date(2026, 11, 30)),
    ("on 5 December", date(2026, 12, 5)),
    ("December 3rd", date(2026, 12, 3)),
    ("3rd of december", date(2026, 12, 3)),
    ("1 dec", date(2026, 12, 1)),
    ("10 January", date(2027, 1, 10)),
    ("I'll pay 300 on friday", date(2026, 11, 27)),
    ("I can pay $250 on the 15th", date(2026, 12, 15)),
    ("no, make it Monday", date(2026, 11, 23)),
    ("friday the 27th", date(2026, 11, 27)),
])
def test_payment_dates(text, expected):
    assert parse_payment_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["I'll pay", "ok", "300", "$250", ""])
def test_text_without_a_date_gives_none(text):
    assert parse_payment_date(text, TODAY) is None


@pytest.mark.parametrize("text, expected", [
    ("300", "300.00"),
    ("$250", "250.00"),
    ("250 dollars", "250.00"),
    ("£1,250.50", "1250.50"),
    ("EUR 400", "400.00"),
    ("300usd", "300.00"),
    ("€75.5", "75.50"),
    ("half", "625.00"),
    ("half now", "625.00"),
    ("pay the full amount", "1250.00"),
    ("everything", "1250.00"),
    ("I can do 100 now", "100.00"),
    ("I can pay 300 on friday", "300.00"),
    ("I'll pay 50 on the 3rd", "50.00"),
    ("1.5k", "1500.00"),
    ("200 quid next week", "200.00"),
])
def test_amounts(text, expected):
    assert parse_amount(text, BALANCE) == Decimal(expected)


@pytest.mark.parametrize("text", ["the 15th", "25/12", "on 5 December", "6 months", "in 3 days", "no money", ""])
def test_numbers_that_are_dates_or_durations_are_not_amounts(text):
    assert parse_amount(text, BALANCE) is None


@pytest.mark.parametrize("text, expected", [
    ("6 months", 6), ("six months", 6), ("over 4 payments", 4), ("in 3 instalments", 3),
    ("make it twelve months", 12), ("can I do 2 installments", 2), ("no thanks", None),
])
def test_plan_lengths(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("January 5th", date(2027, 1, 5)), ("2026-12-10", date(2026, 12, 10)),
    ("two weeks from today", date(2026, 12, 6)), ("monday the 30th", date(2026, 11, 30)),
])
def test_month_names_iso_dates_and_counted_days_win_over_weaker_cues(text, expected):
    assert parse_payment_date(text, TODAY) == expected


def test_bucks_is_not_thousands():
    assert parse_amount("I could pay 120 bucks", BALANCE) == Decimal("120.00")
    assert parse_amount("2k", BALANCE) == Decimal("2000.00")
