from datetime import date

import pytest

from actions.identity import normalise_account_reference, parse_date_of_birth

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("text", [
    "I was born on 12 April 1980", "12/04/1980", "1980-04-12", "April 12, 1980", "12th of April 1980",
    "dob: 12.04.1980", "born 12 apr 80", "my birthday is the twelfth of april 1980", "12-04-1980 thanks",
    "AC-10023 and my date of birth is 12 April 1980",
])
def test_usual_written_dates_of_birth_are_understood(text):
    assert parse_date_of_birth(text, TODAY) == date(1980, 4, 12)


@pytest.mark.parametrize("text", ["hello", "AC-10023", "31/02/1980", "12 April", "tomorrow", "12/04/2030"])
def test_text_without_a_full_past_date_gives_nothing(text):
    assert parse_date_of_birth(text, TODAY) is None


@pytest.mark.parametrize("text, expected", [
    ("my account is AC-10023", "AC-10023"), ("ac 10023", "AC-10023"), ("AC10023", "AC-10023"),
    ("ref #10023 please", "AC-10023"), ("no idea", None), ("", None), (None, None),
])
def test_account_references_are_normalised(text, expected):
    assert normalise_account_reference(text) == expected
