"""action_carry_on, run as the action server runs it over a real SQLite ledger: after a language switch it asks
again, in the new language, for what the conversation was waiting for, and repeats nothing already said."""
import uuid

import pytest
from rasa_sdk import Tracker

from actions import actions as A
from actions.language import speaking
from tests.action_harness import INITIAL_SLOTS, message, run, use_database
from tests.conftest import TODAY

VERIFIED = {"verified": True, "account_id": "AC-10023"}  # Jordan Avery, 1,250.00 USD


@pytest.fixture
def ledger(demo_repository, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    use_database(monkeypatch, demo_repository.url)
    return demo_repository


def switched(slots, spoke_before=True, text="¿podemos hablar en español?"):
    """A conversation whose latest message asked to switch, after the assistant had (or had not) spoken."""
    latest = {"text": text, "intent": {"name": "switch_language", "confidence": 1.0}, "entities": [],
              "message_id": uuid.uuid4().hex}
    events = ([{"event": "bot", "timestamp": 1.0, "text": "Hello"}] if spoke_before else []) + [
        {"event": "user", "timestamp": 2.0, "text": text, "parse_data": latest, "message_id": latest["message_id"]},
        {"event": "bot", "timestamp": 3.0, "text": "De acuerdo, seguimos en español."}]
    return Tracker(f"switch-{uuid.uuid4().hex[:12]}", {**INITIAL_SLOTS, **slots}, latest, events, False, None, {},
                   "utter_language_switched")


def in_language(language, key, **values):
    with speaking(language):
        return message(key, **values)


def test_before_anything_was_said_it_introduces_itself_then_asks_for_the_reference(ledger):
    _, texts = run(A.ActionCarryOn(), switched({"language": "es"}, spoke_before=False))
    with speaking("es"):
        creditor = A.creditor()
        assert texts == [message("introduction", assistant_name=creditor.assistant_name,
                                 creditor_name=creditor.creditor_name),
                         message("ask_account_reference",
                                 reference_description=creditor.account_reference.description)]


def test_with_the_reference_given_it_asks_again_for_the_date_of_birth_only(ledger):
    events, texts = run(A.ActionCarryOn(), switched({"language": "zh", "account_reference": "AC-10023"}))
    assert texts == [in_language("zh", "ask_date_of_birth")]


def test_a_locked_account_stays_locked_in_the_new_language(ledger):
    _, texts = run(A.ActionCarryOn(), switched({"language": "es", "verification_locked": True}))
    with speaking("es"):
        assert texts == [message("verification_locked", **A.creditor().contact())]


def test_after_verification_it_offers_the_way_forward_in_the_tone_reached(ledger):
    _, texts = run(A.ActionCarryOn(), switched({**VERIFIED, "language": "es", "tone": "firm"}))
    assert texts == [in_language("es", "way_forward", tone="firm")]
    assert not any("intento de cobrar" in t for t in texts), "no second disclosure"


def test_a_promise_being_agreed_is_read_back_in_the_new_language(ledger):
    slots = {**VERIFIED, "language": "es", "commitment": "promise", "draft_date": "2026-11-27",
             "draft_amount": 500.0, "pending_confirmation": "commitment"}
    events, texts = run(A.ActionCarryOn(), switched(slots))
    assert "500,00 US$" in texts[-1] and "viernes 27 de noviembre" in texts[-1]
    assert {"event": "slot", "timestamp": None, "name": "pending_confirmation", "value": "commitment"} in events


def test_after_a_compliance_stop_it_asks_for_nothing(ledger):
    _, texts = run(A.ActionCarryOn(), switched({**VERIFIED, "language": "zh", "pressure_stopped": True}))
    assert texts == [in_language("zh", "pressure_stopped")]
