"""Every promise the wording makes about what happens next is backed by code.

The claims are listed once, in policy/compliance.yml (`claims`): the words that make a sentence a promise and,
for each claim phrase, what makes it true. This test finds every such sentence in policy/scripts.yml,
policy/messages.yml and the domain responses, checks that each is a listed claim said only where its backing
applies, and then exercises each backing over the real servers."""
import re
from typing import Dict, List, Tuple

import pytest
import yaml
from sqlalchemy import select

from actions.compliance import CompliancePolicy
from actions.escalation import EscalationPolicy
from actions.ledger import AccountRepository
from actions.models import AccountFlagRow, ComplianceStopRow, PromiseRow
from actions.policy_files import load_policy
from tests.conftest import ROOT
from tests.test_commitments_e2e import verified_sender
from tests.test_conversation_e2e import new_sender, texts

POLICY = CompliancePolicy.from_yaml(EscalationPolicy.from_yaml())
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
MESSAGES = load_policy("messages.yml")
SCRIPTS = load_policy("scripts.yml")["objections"]


def wording() -> List[Tuple[str, str, Dict]]:
    """(where, text, context) for everything the assistant can say; stop intents' scripts are never said."""
    found = []
    for objection, tones in SCRIPTS.items():
        if objection in POLICY.stops:
            continue
        for tone, variants in tones.items():
            for number, text in enumerate(variants, start=1):
                found.append((f"scripts.yml {objection}.{tone} #{number}", text, {"objection": objection}))
    for key, entry in MESSAGES.items():
        for field in ("text", "gentle", "firm", "legal"):
            if isinstance(entry.get(field), str):
                found.append((f"messages.yml {key}", entry[field], {"message": key}))
    for name, variations in DOMAIN["responses"].items():
        for variation in variations:
            condition = {c["name"]: c["value"] for c in variation.get("condition") or []}
            found.append((f"domain.yml {name} {condition or 'default'}", variation.get("text", ""),
                          {"response": name, "condition": condition}))
    return found


def sentences(text: str) -> List[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]


def claims_in(sentence: str) -> List[str]:
    return [phrase for phrase in POLICY.claims if phrase.lower() in sentence.lower()]


def test_every_promise_in_the_wording_is_a_listed_claim():
    unbacked = [f"{where}: {sentence}" for where, text, _ in wording() for sentence in sentences(text)
                if any(word in sentence.lower() for word in POLICY.claim_words) and not claims_in(sentence)]
    assert not unbacked, "promises with no backing in policy/compliance.yml claims:\n" + "\n".join(unbacked)


def test_every_listed_claim_is_still_said_somewhere():
    said = " ".join(text for _, text, _ in wording()).lower()
    assert [p for p in POLICY.claims if p.lower() not in said] == []


def test_each_claim_is_said_only_where_its_backing_applies():
    holds = POLICY.holds
    wrong = []
    for where, text, context in wording():
        for phrase in claims_in(text):
            backing = POLICY.claims[phrase]
            objection, condition = context.get("objection"), context.get("condition", {})
            if backing in ("COMPLAINT", "PAYMENT_TRACE"):
                ok = holds.get(objection) == backing
            elif backing == "hold":
                ok = objection in holds
            elif backing == "stop_recorded":
                ok = condition.get("stop_recorded") is True
            elif backing == "stop_pending":
                ok = condition.get("stop_recorded") is False
            elif backing == "unverified_stop":
                ok = not condition and context.get("response") in {s.acknowledgement for s in POLICY.stops.values()}
            elif backing == "HUMAN_HANDOFF":
                ok = context.get("message") == "handoff"
            elif backing == "pressure_stopped":
                ok = (context.get("message") == "pressure_stopped"
                      or context.get("response") in {s.acknowledgement for s in POLICY.stops.values()})
            else:  # commitment: the negotiation wording and the scripts that ask for a date
                ok = backing == "commitment"
            if not ok:
                wrong.append(f"{where}: {phrase!r} ({backing})")
    assert not wrong, "claims said where nothing makes them true:\n" + "\n".join(wrong)


# ---------------------------------------------------------------- each backing, exercised over the real servers

def flags_of(stack, sender):
    with AccountRepository(stack.db_url).session() as session:
        return [(f.flag, f.note) for f in session.scalars(
            select(AccountFlagRow).where(AccountFlagRow.conversation_id == sender).order_by(AccountFlagRow.id))]


def as_said(phrase: str) -> "re.Pattern":
    """The phrase as the debtor reads it: each {placeholder} filled with some words."""
    parts = re.split(r"\{\w+\}", phrase)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.IGNORECASE)


def said_claims(replies, backing: str) -> List[str]:
    text = texts(replies)
    return [p for p, b in POLICY.claims.items() if b == backing and as_said(p).search(text)]


def exercise_complaint(stack):
    sender = verified_sender(stack)
    complaint = "half the units you delivered were broken"
    replies = stack.say(sender, complaint)
    assert said_claims(replies, "COMPLAINT"), texts(replies)
    assert flags_of(stack, sender) == [("COMPLAINT", complaint)]
    assert stack.slots(sender)["escalation_hold"] == "COMPLAINT"


def exercise_payment_trace_and_hold(stack):
    sender = verified_sender(stack)
    stack.say(sender, "I'll pay you next month")
    assert stack.slots(sender)["tone"] == "gentle"
    paid = "I already paid this last Tuesday by bank transfer"
    replies = stack.say(sender, paid)
    assert said_claims(replies, "hold"), texts(replies)
    assert flags_of(stack, sender) == [("PAYMENT_TRACE", paid)]
    for objection in ("I lost my job last month", "my boss is away this week", "I'll pay you next month"):
        stack.say(sender, objection)
        assert stack.slots(sender)["tone"] == "gentle", objection  # nothing escalated while the check is open
    control = verified_sender(stack)
    for objection in ("I'll pay you next month", "I lost my job last month"):
        stack.say(control, objection)
    assert stack.slots(control)["tone"] == "firm"  # without the hold the same conversation climbs


def exercise_handoff(stack):
    sender = verified_sender(stack)
    replies = stack.say(sender, "I want to talk to a human")
    assert said_claims(replies, "HUMAN_HANDOFF"), texts(replies)
    assert [f for f, _ in flags_of(stack, sender)] == ["HUMAN_HANDOFF"]


def exercise_stop_recorded(stack):
    sender = verified_sender(stack)
    replies = stack.say(sender, "I have a lawyer handling this now")
    assert said_claims(replies, "stop_recorded"), texts(replies)
    with AccountRepository(stack.db_url).session() as session:
        stops = session.scalars(select(ComplianceStopRow).where(ComplianceStopRow.conversation_id == sender)).all()
    assert [(s.flag, s.recorded_by) for s in stops] == [("ATTORNEY", "conversation")]


def exercise_pressure_stopped(stack):
    sender = verified_sender(stack)
    replies = stack.say(sender, "I've lost everything, I'm in serious financial hardship")
    assert said_claims(replies, "pressure_stopped"), texts(replies)
    later = stack.say(sender, "I'll pay you next month")
    assert said_claims(later, "pressure_stopped") and "1,250.00" not in texts(later)
    assert not any(r.get("buttons") for r in later)


def exercise_commitment(stack):
    sender = verified_sender(stack)
    stack.say(sender, "I can pay 300 on Friday")
    replies = stack.say(sender, "yes")
    assert said_claims(replies, "commitment"), texts(replies)
    with AccountRepository(stack.db_url).session() as session:
        promises = session.scalars(select(PromiseRow).where(PromiseRow.conversation_id == sender)).all()
    assert [(p.kind, str(p.amount)) for p in promises] == [("promise", "300.00")]


def exercise_unverified_stop(stack):
    sender = new_sender("claims")
    stack.say(sender, "hello")
    replies = stack.say(sender, "this debt isn't mine, I dispute it")
    assert said_claims(replies, "unverified_stop"), texts(replies)
    assert not said_claims(replies, "stop_recorded") and not said_claims(replies, "stop_pending")
    assert flags_of(stack, sender) == []


EXERCISES = {
    "COMPLAINT": exercise_complaint,
    "PAYMENT_TRACE": exercise_payment_trace_and_hold,
    "hold": exercise_payment_trace_and_hold,
    "HUMAN_HANDOFF": exercise_handoff,
    "stop_recorded": exercise_stop_recorded,
    "pressure_stopped": exercise_pressure_stopped,
    "commitment": exercise_commitment,
    "unverified_stop": exercise_unverified_stop,
    # written later by the reconciler: exercised with a real outage in tests/test_compliance_outage.py
    "stop_pending": None,
}


def test_every_backing_has_an_exercise():
    assert set(POLICY.claims.values()) <= set(EXERCISES)
    from tests import test_compliance_outage as outage
    assert outage.test_a_dispute_during_a_database_outage_stops_pressure_tells_the_truth_and_is_written_later


@pytest.mark.parametrize("backing", sorted(b for b, run in EXERCISES.items() if run))
def test_each_backing_makes_its_claims_true(stack, backing):
    EXERCISES[backing](stack)

