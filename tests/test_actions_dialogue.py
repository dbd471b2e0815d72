"""The actions after verification, run as the action server runs them over a real SQLite ledger: balance,
counter-scripts, a person, yes/no, paying now, promises; and what each does when the database is down."""
import pytest
from sqlalchemy import select

from actions import actions as A
from actions.models import OutcomeRow, PromiseRow
from tests.action_harness import (
    closed_port_database, garbage_database, message, run, slots_set, tracker_for, use_database,
)
from tests.conftest import TODAY

VERIFIED = {"verified": True, "account_id": "AC-10023"}  # Jordan Avery, 1,250.00 USD, 42 days overdue, legal allowed


@pytest.fixture
def ledger(demo_repository, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    use_database(monkeypatch, demo_repository.url)
    return demo_repository


def outcome_of(ledger, sender):
    with ledger.session() as session:
        return session.get(OutcomeRow, sender)


def test_balance_is_told_only_after_verification(ledger):
    _, texts = run(A.ActionTellBalance(), tracker_for(text="how much do I owe", intent="ask_balance"))
    assert texts[0] == message("identity_first") and not any("USD" in t for t in texts)
    _, texts = run(A.ActionTellBalance(), tracker_for(VERIFIED, "how much do I owe", "ask_balance"))
    assert texts == [message("balance", **A.account_facts(ledger.get("AC-10023")))]
    assert "1,250.00 USD" in texts[0]


def test_an_objection_gets_its_script_one_tone_firmer_each_time(ledger):
    events, texts = run(A.ActionCounterObjection(),
                        tracker_for(VERIFIED, "I'll pay next month", "objection_next_month", sender="obj-1"))
    first = slots_set(events)
    assert first["tone"] == "gentle" and first["objections_raised"] == ["objection_next_month:gentle"]
    assert "1,250.00 USD" in texts[0] and texts[-1] == message("way_forward", tone="gentle")
    events, texts = run(A.ActionCounterObjection(), tracker_for(
        {**VERIFIED, "tone": "gentle", "objections_raised": first["objections_raised"]}, "I lost my job",
        "objection_no_job", sender="obj-1"))
    assert slots_set(events)["tone"] == "firm"
    assert outcome_of(ledger, "obj-1").objections == "objection_next_month;objection_no_job"


def test_an_objection_before_verification_discloses_nothing(ledger):
    events, texts = run(A.ActionCounterObjection(), tracker_for(text="no money", intent="objection_no_money"))
    assert texts == [message("identity_first"), message("ask_account_reference",
                                                        reference_description=A.REFERENCES.description)]
    assert "tone" not in slots_set(events)


def test_no_script_after_a_compliance_stop(ledger):
    events, texts = run(A.ActionCounterObjection(), tracker_for(
        {**VERIFIED, "pressure_stopped": True, "tone": "firm"}, "next month", "objection_next_month"))
    assert texts == [message("pressure_stopped")] and "tone" not in slots_set(events)


def test_a_person_is_offered_and_the_handoff_flagged(ledger):
    events, texts = run(A.ActionRequestHuman(), tracker_for(VERIFIED, "a human please", "request_human",
                                                            sender="human-1"))
    assert texts == [message("handoff", **A.CREDITOR.contact())]
    assert ledger.flags("AC-10023") == ["HUMAN_HANDOFF"] and slots_set(events)["outcome"] == "HUMAN_HANDOFF"
    assert outcome_of(ledger, "human-1").outcome == "HUMAN_HANDOFF"


def test_yes_after_a_handoff_offer_hands_off_and_no_asks_what_else(ledger):
    _, texts = run(A.ActionAffirm(), tracker_for({**VERIFIED, "pending_confirmation": "handoff"}, "yes", "affirm"))
    assert texts == [message("handoff", **A.CREDITOR.contact())]
    events, texts = run(A.ActionDeny(), tracker_for({**VERIFIED, "pending_confirmation": "handoff"}, "no", "deny"))
    assert texts == [message("anything_else")] and slots_set(events) == {"pending_confirmation": None}


def test_yes_or_no_before_verification_asks_for_identity(ledger):
    for action, intent in ((A.ActionAffirm(), "affirm"), (A.ActionDeny(), "deny")):
        _, texts = run(action, tracker_for(text=intent, intent=intent))
        assert texts == [message("ask_account_reference", reference_description=A.REFERENCES.description)]


def test_paying_now_gives_the_instructions_and_records_the_intent(ledger):
    events, texts = run(A.ActionPaymentInstructions(), tracker_for(VERIFIED, "I'll pay now", "agree_to_pay",
                                                                   sender="pay-1"))
    details = A.CREDITOR.payment_details("AC-10023")
    assert texts[0] == message("payment_instructions", amount="1,250.00 USD", **details)
    assert texts[1] == message("pay_now_recorded", name="Jordan Avery", amount="1,250.00 USD")
    assert slots_set(events)["promise_date"] == TODAY.isoformat()
    assert outcome_of(ledger, "pay-1").outcome == "PAY_NOW"


def test_a_dated_promise_is_read_back_then_recorded_on_yes(ledger):
    events, texts = run(A.ActionNegotiateCommitment(), tracker_for(
        VERIFIED, "I can pay the full amount on 30 November", "promise_to_pay", sender="promise-1"))
    draft = slots_set(events)
    assert draft["commitment"] == "promise" and draft["pending_confirmation"] == "commitment"
    assert draft["draft_date"] == "2026-11-30" and "30 November" in texts[-1]
    events, texts = run(A.ActionAffirm(), tracker_for({**VERIFIED, **draft}, "yes", "affirm", sender="promise-1"))
    assert slots_set(events)["outcome"] == "PROMISE_TO_PAY" and slots_set(events)["commitment"] is None
    link = A.CREDITOR.payment_details("AC-10023")["payment_link"]
    assert "Jordan Avery" in texts[0] and "1,250.00 USD" in texts[0] and link in texts[0]
    with ledger.session() as session:
        promises = list(session.scalars(select(PromiseRow).where(PromiseRow.conversation_id == "promise-1")))
    assert [(p.kind, p.due_date.isoformat(), str(p.amount)) for p in promises] == [
        ("promise", "2026-11-30", "1250.00")]


ACTIONS_AFTER_VERIFICATION = [
    (A.ActionGreet(), "greet"), (A.ActionTellBalance(), "ask_balance"),
    (A.ActionCounterObjection(), "objection_no_money"), (A.ActionRequestHuman(), "request_human"),
    (A.ActionAffirm(), "affirm"), (A.ActionDeny(), "deny"), (A.ActionPaymentInstructions(), "agree_to_pay"),
    (A.ActionNegotiateCommitment(), "request_installments"),
]


@pytest.mark.parametrize("broken", ["garbage", "closed_port"])
@pytest.mark.parametrize("action, intent", ACTIONS_AFTER_VERIFICATION, ids=lambda a: getattr(a, "name", lambda: a)())
def test_every_action_answers_clearly_when_the_database_is_down(action, intent, broken, monkeypatch, tmp_path):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    use_database(monkeypatch, garbage_database(tmp_path) if broken == "garbage" else closed_port_database())
    events, texts = run(action, tracker_for(VERIFIED, "hello", intent))
    assert events == [] and texts == [message("service_unavailable", **A.CREDITOR.contact())]


@pytest.mark.parametrize("action, intent, slots", [
    (A.ActionCounterObjection(), "objection_no_money", {"objections_raised": 5}),
    (A.ActionAffirm(), "affirm", {"commitment": "promise", "draft_date": "next Friday-ish"}),
    (A.ActionDeny(), "deny", {"commitment": "plan", "plan_months": "six"}),
])
def test_slots_of_the_wrong_type_get_an_answer_not_silence(ledger, action, intent, slots):
    events, texts = run(action, tracker_for({**VERIFIED, **slots}, "hello", intent))
    assert events == [] and texts == [message("something_went_wrong", **A.CREDITOR.contact())]
