from datetime import date

import pytest

from actions.account_reference import AccountReferenceFormat, check_nlu_regex
from actions.creditor import load_creditor
from actions.identity import parse_date_of_birth
from actions.policy_files import PolicyError

TODAY = date(2026, 11, 22)
REFERENCES = load_creditor().account_reference


@pytest.mark.parametrize("text", [
    "I was born on 12 April 1980", "12/04/1980", "1980-04-12", "April 12, 1980", "12th of April 1980",
    "dob: 12.04.1980", "born 12 apr 80", "my birthday is the twelfth of april 1980", "12-04-1980 thanks",
    "AC-10023 and my date of birth is 12 April 1980",
])
def test_usual_written_dates_of_birth_are_understood(text):
    assert parse_date_of_birth(text, TODAY, REFERENCES) == date(1980, 4, 12)


@pytest.mark.parametrize("text", ["hello", "AC-10023", "31/02/1980", "12 April", "tomorrow", "12/04/2030"])
def test_text_without_a_full_past_date_gives_nothing(text):
    assert parse_date_of_birth(text, TODAY, REFERENCES) is None


@pytest.mark.parametrize("text, expected", [
    ("my account is AC-10023", "AC-10023"), ("AC10023", "AC-10023"), ("ac-10023 thanks", "AC-10023"),
    ("it's AC-900001.", "AC-900001"), ("ac900001", "AC-900001"), ("ref ABC-1234567890 please", "ABC-1234567890"),
    ("nwc1234", "NWC-1234"), ("my postcode is 90210", None), ("born in 1980", None), ("AC-123", None),
    ("A-12345", None), ("ACCT-12345", None), ("AC-12345678901", None), ("no idea", None), ("", None), (None, None),
    (["AC-10023"], None), (10023, None),
])
def test_account_references_are_found_in_sentences_and_normalised(text, expected):
    assert REFERENCES.find(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("AC-10023", "AC-10023"), ("ac900001", "AC-900001"), (" abc-1234 ", "ABC-1234"),
    ("AC 10023", None), ("90210", None), ("my AC-10023", None), ("AC-10023x", None),
])
def test_a_ledger_id_must_be_exactly_one_reference(text, expected):
    assert REFERENCES.normalise_id(text) == expected


def test_a_pattern_that_allows_bare_numbers_reads_them():
    numbers = AccountReferenceFormat(pattern="[0-9]{6}", description="six digits")
    assert numbers.find("my number is 123456") == "123456"
    assert numbers.find("12345") is None


def test_the_nlu_regex_must_be_the_configured_pattern():
    check_nlu_regex(REFERENCES, {"nlu": [{"regex": "account_id", "examples": f"- {REFERENCES.nlu_regex}\n"}]})
    with pytest.raises(PolicyError, match="account_id regex must be exactly"):
        check_nlu_regex(REFERENCES, {"nlu": [{"regex": "account_id", "examples": "- \\bAC-\\d{5}\\b\n"}]})


@pytest.mark.parametrize("value", [[1, 2, 3], {"a": 1}, 19800412, None, "", True])
def test_odd_values_are_not_dates_of_birth(value):
    assert parse_date_of_birth(value, TODAY, REFERENCES) is None


def test_the_digits_of_a_reference_are_not_read_as_a_date():
    assert parse_date_of_birth("AC-12041980", TODAY, REFERENCES) is None
