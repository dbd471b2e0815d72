"""action_greet and action_verify_identity, run as the action server runs them, over a real SQLite ledger:
references of every configured shape, the lock-out per account in the database, odd values, database down."""
import io
from datetime import timedelta

import pytest

from actions import actions as A
from actions.lockout import VerificationGuard
from actions.models import AccountLockRow, utc_now
from commands.import_accounts import import_accounts
from commands.unlock_account import main as unlock_main
from tests.action_harness import (
    closed_port_database, entity, garbage_database, message, run, slots_set, tracker_for, use_database,
)
from tests.conftest import TODAY

OTHER_SHAPES = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed\n"
                "AC-900001,Priya Raman,1990-03-05,300.00,USD,2026-10-01,false\n"
                "nwc1234567,Tom Okafor,1971-07-30,75.25,GBP,2026-11-01,false\n")


@pytest.fixture
def ledger(demo_repository, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    import_accounts(io.StringIO(OTHER_SHAPES), demo_repository)
    use_database(monkeypatch, demo_repository.url)
    return demo_repository


def verify(text, slots=None, intent="provide_dob", entities=None, sender=None):
    return run(A.ActionVerifyIdentity(), tracker_for(slots, text, intent, entities, sender))


def test_greeting_introduces_the_assistant_and_asks_for_the_reference_in_the_configured_shape(ledger):
    events, texts = run(A.ActionGreet(), tracker_for(text="hi", intent="greet"))
    assert texts == [message("introduction", assistant_name=A.CREDITOR.assistant_name,
                             creditor_name=A.CREDITOR.creditor_name),
                     message("ask_account_reference", reference_description=A.REFERENCES.description)]
    assert "two or three letters and 4 to 10 digits" in texts[1]
    assert slots_set(events)["awaiting"] == "account_reference"


def test_a_verified_debtor_is_greeted_by_name(ledger):
    _, texts = run(A.ActionGreet(), tracker_for({"verified": True, "account_id": "AC-10023"}, "hello", "greet"))
    assert texts == [message("greet_again", name="Jordan Avery")]


@pytest.mark.parametrize("reference_text, dob_text, account_id, name", [
    ("my account is AC-10023", "12 April 1980", "AC-10023", "Jordan Avery"),
    ("it's ac900001 I think", "05/03/1990", "AC-900001", "Priya Raman"),
    ("reference NWC-1234567 please", "30 July 1971", "NWC-1234567", "Tom Okafor"),
])
def test_every_id_shape_in_the_ledger_verifies_from_an_ordinary_sentence(ledger, reference_text, dob_text,
                                                                         account_id, name):
    events, texts = verify(reference_text, intent="provide_account")
    assert slots_set(events) == {"account_reference": account_id, "verification_locked": False,
                                 "awaiting": "date_of_birth"}
    assert texts == [message("ask_date_of_birth")]
    events, texts = verify(dob_text, {"account_reference": account_id, "awaiting": "date_of_birth"})
    slots = slots_set(events)
    assert slots["verified"] is True and slots["account_id"] == account_id
    assert texts[0].startswith(message("verified", name=name, disclosure=A.CREDITOR.collection_disclosure)[:30])
    assert any(account_id in t for t in texts)


def test_a_bare_number_is_not_taken_for_a_reference(ledger):
    events, texts = verify("my postcode is 90210", intent="provide_account")
    assert slots_set(events)["account_reference"] is None
    assert texts == [message("account_reference_unreadable", reference_description=A.REFERENCES.description)]


def test_three_failures_lock_the_account_for_every_conversation(ledger):
    for attempt, left in ((1, 2), (2, 1)):
        events, texts = verify("01/01/1990", {"account_reference": "AC-10023"}, sender=f"first-{attempt}")
        assert texts == [message("verification_failed", attempts_left=left)]
    events, texts = verify("01/01/1991", {"account_reference": "AC-10023"}, sender="third-conversation")
    assert texts == [message("verification_locked", **A.CREDITOR.contact())]
    assert slots_set(events)["verification_locked"] is True and "verified" not in slots_set(events)
    # A brand-new conversation with the right date of birth: still locked, nothing disclosed.
    events, texts = verify("AC-10023 born 12 April 1980", intent="provide_account", sender="fresh-sender")
    assert texts == [message("verification_locked", **A.CREDITOR.contact())]
    assert "verified" not in slots_set(events) and not any("USD" in t for t in texts)
    # Asking for identity again does not offer fresh tries either.
    _, texts = run(A.ActionGreet(), tracker_for({"account_reference": "AC-10023"}, "/restart", "greet"))
    assert texts[-1] == message("verification_locked", **A.CREDITOR.contact())
    locks = VerificationGuard(A.LOCKOUT, ledger.url).locks("AC-10023")
    assert len(locks) == 1 and locks[0].locked_at <= utc_now() < locks[0].locked_until
    # Other accounts are not affected.
    events, _ = verify("AC-10001 born 14/06/1985", intent="provide_account")
    assert slots_set(events)["verified"] is True


def test_the_conversation_slot_does_not_protect_or_block_anything(ledger):
    for sender in ("a", "b", "c"):
        verify("01/01/1990", {"account_reference": "AC-10002", "verification_locked": False}, sender=sender)
    events, _ = verify("02/11/1979", {"account_reference": "AC-10002", "verification_locked": False})
    assert "verified" not in slots_set(events)
    # A slot claiming a lock does not block an account that the ledger has not locked.
    events, _ = verify("14/06/1985", {"account_reference": "AC-10001", "verification_locked": True})
    assert slots_set(events)["verified"] is True


def test_staff_unlock_gives_the_debtor_back_access_and_is_recorded(ledger):
    for sender in ("x", "y", "z"):
        verify("01/01/1990", {"account_reference": "AC-10023"}, sender=sender)
    assert unlock_main(["ac10023", "--by", "j.doe"]) == 0
    events, _ = verify("12 April 1980", {"account_reference": "AC-10023"})
    assert slots_set(events)["verified"] is True
    lock = VerificationGuard(A.LOCKOUT, ledger.url).locks("AC-10023")[0]
    assert lock.unlocked_by == "j.doe" and lock.unlocked_at >= lock.locked_at


def test_the_lock_ends_when_the_window_passes_and_a_success_starts_the_count_again(ledger):
    guard = VerificationGuard(A.LOCKOUT, ledger.url)
    start = utc_now() - A.LOCKOUT.window - timedelta(minutes=5)
    for minute in range(3):
        result = guard.record_failure("AC-10002", start + timedelta(minutes=minute))
    assert result.locked and guard.active_lock("AC-10002", start + timedelta(minutes=3))
    assert guard.active_lock("AC-10002") is None
    assert guard.record_failure("AC-10002").attempts_left == 2
    guard.record_success("AC-10002")
    assert guard.record_failure("AC-10002").attempts_left == 2
    with ledger.session() as session:
        assert session.query(AccountLockRow).filter_by(account_id="AC-10002").count() == 1


def test_failures_spread_beyond_the_window_do_not_lock(ledger):
    guard = VerificationGuard(A.LOCKOUT, ledger.url)
    now = utc_now()
    guard.record_failure("AC-10003", now - A.LOCKOUT.window - timedelta(minutes=1))
    guard.record_failure("AC-10003", now - timedelta(minutes=2))
    assert guard.record_failure("AC-10003", now).attempts_left == 1


@pytest.mark.parametrize("entities, text", [
    ([entity("date_of_birth", [1, 2, 3])], '/provide_dob{"date_of_birth": [1,2,3]}'),
    ([entity("date_of_birth", {"day": 12})], '/provide_dob{"date_of_birth": {"day": 12}}'),
    ([entity("date_of_birth", 19800412)], '/provide_dob{"date_of_birth": 19800412}'),
    ([entity("account_id", ["AC-10023"]), entity("date_of_birth", None)], "/provide_account"),
])
def test_odd_entity_values_never_crash_and_never_verify(ledger, entities, text):
    events, texts = verify(text, {"account_reference": "AC-10023", "awaiting": "date_of_birth"}, entities=entities)
    assert "verified" not in slots_set(events)
    assert texts == [message("date_of_birth_unreadable")]


@pytest.mark.parametrize("slot_value", [[1, 2, 3], {"id": "AC-10023"}, 10023, True])
def test_odd_slot_values_are_treated_as_no_reference(ledger, slot_value):
    events, texts = verify("12 April 1980", {"account_reference": slot_value})
    assert slots_set(events) == {"account_reference": None, "awaiting": "account_reference"}
    assert texts == [message("account_reference_unreadable", reference_description=A.REFERENCES.description)]


@pytest.mark.parametrize("broken", ["garbage", "closed_port"])
def test_a_database_outage_gets_a_clear_answer_and_discloses_nothing(broken, monkeypatch, tmp_path):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    use_database(monkeypatch, garbage_database(tmp_path) if broken == "garbage" else closed_port_database())
    events, texts = verify("AC-10023 born 12 April 1980", intent="provide_account")
    assert events == [] and texts == [message("service_unavailable", **A.CREDITOR.contact())]
    events, texts = run(A.ActionGreet(), tracker_for({"verified": True, "account_id": "AC-10023"}, "hi", "greet"))
    assert events == [] and texts == [message("service_unavailable", **A.CREDITOR.contact())]
