"""The compliance parts of the actions, run as the action server runs them (tests/action_harness.py) over a real
SQLite ledger, and over a real broken one: stops, holds, negotiation after a stop, the send-time check."""
import logging

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import actions as A
from actions.models import AccountFlagRow, ComplianceStopRow
from tests.action_harness import garbage_database, message, run, slots_set, tracker_for, use_database
from tests.conftest import TODAY

VERIFIED = {"verified": True, "account_id": "AC-10023"}


@pytest.fixture
def ledger(demo_repository, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    use_database(monkeypatch, demo_repository.url)
    return demo_repository


def flags_of(ledger, sender):
    with ledger.session() as session:
        return [(f.flag, f.note) for f in session.scalars(
            select(AccountFlagRow).where(AccountFlagRow.conversation_id == sender).order_by(AccountFlagRow.id))]


def test_a_stop_is_written_keyed_by_the_message_and_then_said_to_be_recorded(ledger):
    tracker = tracker_for(VERIFIED, "this is not my debt", "dispute_debt", sender="stop-1")
    events, texts = run(A.ActionComplianceStop(), tracker)
    slots = slots_set(events)
    assert (slots["pressure_stopped"], slots["stop_recorded"], slots["outcome"]) == (True, True, "DISPUTE")
    assert texts == []  # the acknowledgement is the domain response chosen on stop_recorded
    with ledger.session() as session:
        stop = session.scalars(select(ComplianceStopRow).where(ComplianceStopRow.conversation_id == "stop-1")).one()
    assert (stop.stop_key, stop.flag, stop.recorded_by) == (tracker.latest_message["message_id"], "DISPUTE",
                                                            "conversation")
    assert flags_of(ledger, "stop-1") == [("DISPUTE", "this is not my debt")]


def test_a_stop_with_the_database_down_still_stops_pressure_and_is_not_called_recorded(ledger, monkeypatch,
                                                                                       tmp_path):
    use_database(monkeypatch, garbage_database(tmp_path))
    events, texts = run(A.ActionComplianceStop(), tracker_for(VERIFIED, "I'm not paying", "refuse_to_pay"))
    slots = slots_set(events)
    assert (slots["pressure_stopped"], slots["stop_recorded"], slots["outcome"]) == (True, False, "REFUSED")
    assert texts == []


def test_a_stop_from_someone_unverified_writes_nothing(ledger):
    events, _ = run(A.ActionComplianceStop(), tracker_for(text="I have a lawyer", intent="has_attorney",
                                                          sender="stop-2"))
    assert slots_set(events)["stop_recorded"] is False and flags_of(ledger, "stop-2") == []


def test_already_paid_records_a_payment_trace_and_holds_the_tone(ledger):
    said = "I paid it last Tuesday, reference 4471"
    events, texts = run(A.ActionCounterObjection(), tracker_for(
        {**VERIFIED, "tone": "gentle"}, said, "objection_already_paid", sender="hold-1"))
    slots = slots_set(events)
    assert (slots["tone"], slots["escalation_hold"]) == ("gentle", "PAYMENT_TRACE")
    assert flags_of(ledger, "hold-1") == [("PAYMENT_TRACE", said)]
    assert "escalated" in texts[0] or "hold" in texts[0]
    events, _ = run(A.ActionCounterObjection(), tracker_for(
        {**VERIFIED, "tone": "gentle", "escalation_hold": "PAYMENT_TRACE"}, "I lost my job", "objection_no_job",
        sender="hold-1"))
    assert slots_set(events)["tone"] == "gentle"


def test_a_product_complaint_is_recorded_before_the_script_says_so(ledger, monkeypatch, tmp_path):
    said = "the goods arrived broken"
    events, _ = run(A.ActionCounterObjection(), tracker_for(VERIFIED, said, "objection_product_defect",
                                                            sender="hold-2"))
    assert slots_set(events)["escalation_hold"] == "COMPLAINT"
    assert flags_of(ledger, "hold-2") == [("COMPLAINT", said)]
    use_database(monkeypatch, garbage_database(tmp_path))
    _, texts = run(A.ActionCounterObjection(), tracker_for(VERIFIED, said, "objection_product_defect"))
    assert texts == [A.MESSAGES.render("service_unavailable", **A.CREDITOR.contact())["text"]]


def test_no_negotiation_after_a_stop(ledger):
    stopped = {**VERIFIED, "pressure_stopped": True}
    _, texts = run(A.ActionNegotiateCommitment(), tracker_for(stopped, "I can pay 300 on Friday", "promise_to_pay"))
    assert texts == [message("pressure_stopped")]
    _, texts = run(A.ActionAffirm(), tracker_for({**stopped, "commitment": "promise", "draft_amount": 300.0,
                                                  "pending_confirmation": "commitment"}, "yes", "affirm"))
    assert texts == [message("anything_else")]


def test_forbidden_wording_is_replaced_at_send_time_and_alerted(caplog):
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.ERROR, logger="collections.alerts"):
        A.say(dispatcher, "Pay today or we send the bailiff round.", "script test")
    assert dispatcher.messages[0]["text"] == A.COMPLIANCE.blocked_message.format(**A.CREDITOR.contact())
    assert "ALERT blocked outgoing message (script test): it named bailiff" in caplog.text
