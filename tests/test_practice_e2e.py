"""The simulated debtor against the real practice Rasa server and the real action server, over HTTP, exactly as
the staff console drives it: trigger_intent start_scenario, REST webhook turns, tracker slots."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from actions.practice.lines import format_day, format_money
from actions.practice.scenarios import load_scenarios
from tests.practice_servers import PracticeServers

TODAY = date(2026, 11, 22)
# English collector scripts; the Spanish and Chinese scenarios are played in tests/test_practice_languages.py.
SCENARIOS = {k: s for k, s in load_scenarios().items() if s.language == "en"}


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    servers = PracticeServers(tmp_path_factory.mktemp("practice"))
    servers.start({"COLLECTIONS_TODAY": TODAY.isoformat()})
    try:
        yield servers
    finally:
        servers.stop()


def session() -> str:
    return f"practice-{uuid.uuid4().hex[:12]}"


def day(offset: int) -> str:
    when = TODAY + timedelta(days=offset)
    return f"{when.day} {when:%B}"


def introduce_and_verify(practice: PracticeServers, sid: str) -> str:
    return practice.say(sid, "Hello, this is Sam Reid calling from Northwind Supplies. Before we go on, "
                             "could you confirm your date of birth?")


GOOD_COUNTERS = [
    "I understand, that sounds like a difficult situation. Under our agreement the {amount} was due on {due}. "
    "Could you pay the full amount on {date}?",
    "I hear you, and I appreciate you explaining. Just to remind you, the terms were {amount} due on {due}. "
    "How about three monthly payments, the first on {date}?",
]
WEAK_TURNS = ["You need to pay the full balance today.", "That's not good enough. I need the money today.",
              "Pay the balance today, please.", "You have to pay it now.", "I need the full amount today."]


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_a_good_collector_reaches_a_commitment(practice, scenario_id):
    scenario = SCENARIOS[scenario_id]
    sid = session()
    opening = practice.start_scenario(sid, scenario_id)
    assert opening and opening[0]
    slots = practice.slots(sid)
    assert slots["scenario"] == scenario_id and slots["committed"] is False and slots["ended"] is False
    assert slots["card"]["account_id"] == scenario.account_id
    assert format_day(scenario.date_of_birth) in introduce_and_verify(practice, sid)
    amount, due = format_money(scenario.balance, scenario.currency), format_day(scenario.due_date(TODAY))
    practice.say(sid, f"Thank you. I have to tell you this is an attempt to collect a debt. "
                      f"Your balance with us is {amount}.")
    for index in range(len(scenario.objections)):
        practice.say(sid, GOOD_COUNTERS[index].format(amount=amount, due=due, date=day(5 + index)))
        if scenario.trap and index == 0:
            assert practice.slots(sid)["trap"] == "fired"
            offer = practice.say(sid, "I'm sorry, I didn't realise. I'll note that and put the account on hold, "
                                      "and I won't ask you for a payment today.")
            assert format_money(scenario.trap.offer_amount, scenario.currency) in offer
            assert practice.slots(sid)["trap"] == "honoured"
            break
    assert practice.slots(sid)["committed"] is True, practice.tracker(sid)["events"][-6:]
    practice.say(sid, f"So just to confirm: {amount} on {day(5)}. Is that right?")
    practice.say(sid, "Thank you for your time, goodbye.")
    slots = practice.slots(sid)
    assert slots["committed"] is True and slots["ended"] is True
    assert slots["end_reason"] == "committed_and_closed"


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_a_weak_collector_gets_no_commitment(practice, scenario_id):
    scenario = SCENARIOS[scenario_id]
    sid = session()
    practice.start_scenario(sid, scenario_id)
    introduce_and_verify(practice, sid)
    practice.say(sid, f"Your balance is {format_money(scenario.balance, scenario.currency)}.")
    for text in WEAK_TURNS:
        practice.say(sid, text)
        assert practice.slots(sid)["committed"] is False
        if practice.slots(sid)["ended"]:
            break
    slots = practice.slots(sid)
    assert slots["ended"] is True and slots["committed"] is False
    assert slots["end_reason"] == ("complaint_trap_ignored" if scenario.trap else "hung_up_patience")


def test_date_of_birth_only_when_asked_and_after_the_collector_said_who_they_are(practice):
    scenario = SCENARIOS["sofa-next-month"]
    born = format_day(scenario.date_of_birth)
    sid = session()
    assert born not in " ".join(practice.start_scenario(sid, scenario.id))
    assert born not in practice.say(sid, "Can you confirm your date of birth?")
    assert born not in practice.say(sid, "Sorry, my name is Sam and I'm calling from Northwind Supplies.")
    assert born in practice.say(sid, "Could you confirm your date of birth please?")
    moves = [e["parse_data"].get("moves") for e in practice.tracker(sid)["events"] if e["event"] == "user"]
    assert moves[-2] == ["introduce_self"] and moves[-1] == ["request_verification"]


def test_a_message_doing_two_moves_exposes_both(practice):
    sid = session()
    practice.start_scenario(sid, "nurse-borrowing")
    introduce_and_verify(practice, sid)
    user = [e for e in practice.tracker(sid)["events"] if e["event"] == "user"][-1]
    assert {"introduce_self", "request_verification"} <= set(user["parse_data"]["moves"])


@pytest.mark.parametrize("threat, tactic", [
    ("If you don't pay today, we'll have you arrested.", "arrest_or_prison"),
    ("I'm going to ring your employer and tell them you don't pay your debts.", "third_party_disclosure"),
    ("We'll send someone round to your house at midnight.", "home_visit_out_of_hours"),
])
def test_an_unlawful_threat_ends_the_call_in_character(practice, threat, tactic):
    sid = session()
    practice.start_scenario(sid, "bookkeeper-boss-away")
    introduce_and_verify(practice, sid)
    practice.say(sid, "Your balance is 3,400.00 EUR.")
    reaction = practice.say(sid, threat)
    slots = practice.slots(sid)
    assert slots["ended"] is True and slots["end_reason"] == "hung_up_unlawful"
    assert tactic in slots["unlawful_tactics"]
    assert any(word in reaction.lower() for word in ("complain", "report", "over", "hanging up"))
    assert "hung up" in practice.say(sid, "Hello? Are you still there?")


def test_legal_steps_are_a_threat_only_where_the_account_does_not_allow_them(practice):
    legal = "If we can't agree something, the account will be referred to our legal team for a civil claim."
    allowed, refused = session(), session()
    for sid, scenario in ((allowed, "bookkeeper-boss-away"), (refused, "sofa-next-month")):
        practice.start_scenario(sid, scenario)
        introduce_and_verify(practice, sid)
        practice.say(sid, "This is an attempt to collect a debt. Your balance is overdue.")
        practice.say(sid, legal)
    assert practice.slots(allowed)["ended"] is False
    assert practice.slots(refused)["unlawful_tactics"] == ["legal_action_not_allowed"]
    assert practice.slots(refused)["ended"] is True


def test_typed_commands_do_not_act(practice):
    sid = session()
    practice.start_scenario(sid, "sofa-next-month")
    typed = '/start_scenario{"scenario": "nurse-borrowing"}'
    practice.say(sid, typed)
    slots = practice.slots(sid)
    assert slots["scenario"] == "sofa-next-month" and slots["card"]["account_id"] == "PR-20001"
    user = [e for e in practice.tracker(sid)["events"] if e["event"] == "user"][-1]
    assert user["text"] == typed and user["parse_data"]["intent"]["name"] != "start_scenario"


def test_an_unknown_scenario_starts_nothing(practice):
    sid = session()
    assert "Unknown practice scenario" in " ".join(practice.start_scenario(sid, "no-such-scenario"))
    assert practice.slots(sid)["scenario"] is None
