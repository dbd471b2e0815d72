"""The simulated debtor's character, without Rasa: given moves and text, what it says and how the call stands."""
from datetime import date

import pytest

from actions.practice.debtor import Debtor, DebtorState
from actions.practice.lines import format_day, load_debtor_lines
from actions.practice.scenarios import load_scenario_book

TODAY = date(2026, 11, 23)
BOOK = load_scenario_book()
LINES = load_debtor_lines()
GOOD = {"easy": {"acknowledge", "propose_partial"}, "medium": {"acknowledge", "propose_plan"},
        "hard": {"acknowledge", "restate_terms", "propose_date"}}


def call(scenario_id: str, seed: str = "s1"):
    scenario = BOOK.scenarios[scenario_id]
    debtor = Debtor(scenario, BOOK, LINES[scenario.language], TODAY, seed)
    state = DebtorState.start(scenario)
    return scenario, debtor, state, debtor.opening(state)


def to_objection(debtor, state):
    debtor.reply(state, {"introduce_self", "request_verification"}, "")
    return debtor.reply(state, {"disclose_collector", "state_balance"}, "")


def test_date_of_birth_only_when_asked_after_an_introduction():
    scenario, debtor, state, opening = call("sofa-next-month")
    born = format_day(scenario.date_of_birth)
    assert born not in " ".join(opening)
    assert born not in " ".join(debtor.reply(state, {"request_verification"}, ""))
    assert born not in " ".join(debtor.reply(state, {"introduce_self"}, ""))
    assert born in " ".join(debtor.reply(state, {"request_verification"}, ""))
    assert state.date_of_birth_given


def test_talk_of_money_before_an_introduction_gets_who_is_this():
    _, debtor, state, _ = call("sofa-next-month")
    reply = " ".join(debtor.reply(state, {"state_balance"}, ""))
    assert "who" in reply.lower() and state.objection_index == -1


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_each_difficulty_gives_in_to_what_it_asks_and_not_less(difficulty):
    scenario_id = next(s.id for s in BOOK.scenarios.values() if s.difficulty == difficulty and not s.trap)
    scenario, debtor, state, _ = call(scenario_id)
    to_objection(debtor, state)
    for _ in scenario.objections:
        weaker = set(sorted(GOOD[difficulty])[1:])  # one required move short
        debtor.reply(state, weaker, "")
        assert not state.committed
        debtor.reply(state, GOOD[difficulty], "")
    assert state.committed and not state.ended


def test_a_medium_debtor_wants_a_dated_proposal_or_plan_not_just_a_part_payment():
    scenario, debtor, state, _ = call("nurse-borrowing")
    to_objection(debtor, state)
    debtor.reply(state, {"acknowledge", "propose_partial"}, "")
    assert not state.committed
    debtor.reply(state, {"acknowledge", "propose_date"}, "")
    assert state.committed and state.commitment == "date"


def test_weak_answers_get_push_back_then_the_debtor_hangs_up():
    scenario, debtor, state, _ = call("sofa-next-month")
    objection = " ".join(to_objection(debtor, state))
    push_backs = [" ".join(debtor.reply(state, {"ask_commitment"}, "")) for _ in range(BOOK.patience["easy"] - 1)]
    assert all(p and p != objection for p in push_backs) and not state.ended
    debtor.reply(state, {"ask_commitment"}, "")
    assert state.ended and state.end_reason == "hung_up_patience" and not state.committed


def test_lines_rotate_through_their_variants():
    _, debtor, state, _ = call("sofa-next-month")
    to_objection(debtor, state)
    replies = {" ".join(debtor.reply(state, {"ask_commitment"}, "")) for _ in range(3)}
    assert len(replies) == 3


@pytest.mark.parametrize("trap_scenario", ["warehouse-job-lost-hardship", "bakery-faulty-oven-dispute",
                                           "driver-refuses-attorney"])
def test_a_trap_fires_after_the_first_counter_and_tests_whether_the_collector_stops(trap_scenario):
    scenario, debtor, state, _ = call(trap_scenario)
    to_objection(debtor, state)
    fired = " ".join(debtor.reply(state, GOOD[scenario.difficulty], ""))
    assert state.trap == "fired" and fired and not state.committed
    debtor.reply(state, {"acknowledge"}, "")  # sympathy without stopping: the debtor says it again
    assert state.trap == "repeated" and not state.ended
    debtor.reply(state, {"honour_stop"}, "")
    assert state.trap == "honoured" and state.committed and state.commitment == "trap_offer"

    scenario, debtor, state, _ = call(trap_scenario, seed="s2")
    to_objection(debtor, state)
    debtor.reply(state, GOOD[scenario.difficulty], "")
    debtor.reply(state, {"honour_stop", "propose_date"}, "")  # "noted, but can you pay Friday?" is pressing
    assert state.trap == "ignored" and state.ended and not state.committed


def test_an_unlawful_threat_ends_the_call_and_cancels_any_agreement():
    scenario, debtor, state, _ = call("corner-shop-loyal-customer")
    to_objection(debtor, state)
    debtor.reply(state, {"acknowledge", "propose_date"}, "")
    assert state.committed
    reply = " ".join(debtor.reply(state, {"unlawful_threat"}, "And if you don't, I'll tell your neighbours."))
    assert state.ended and not state.committed and state.unlawful == ["third_party_disclosure"]
    assert "complain" in reply.lower() or "report" in reply.lower()
    assert "hung up" in " ".join(debtor.reply(state, {"acknowledge"}, ""))


def test_a_threat_no_pattern_names_still_alarms_the_debtor():
    _, debtor, state, _ = call("sofa-next-month")
    debtor.reply(state, {"unlawful_threat"}, "You'll regret this, believe me.")
    assert state.ended and state.unlawful == ["threat"]


def test_insults_are_tolerated_as_the_difficulty_allows():
    _, easy, easy_state, _ = call("sofa-next-month")
    easy.reply(easy_state, {"insult"}, "")
    assert not easy_state.ended
    easy.reply(easy_state, {"insult"}, "")
    assert easy_state.ended and easy_state.end_reason == "hung_up_insult"
    _, hard, hard_state, _ = call("cafe-signatory-left")
    hard.reply(hard_state, {"insult"}, "")
    assert hard_state.ended


def test_a_thank_you_next_to_business_is_not_a_goodbye():
    _, debtor, state, _ = call("sofa-next-month")
    debtor.reply(state, {"introduce_self", "request_verification"}, "")
    debtor.reply(state, {"close", "disclose_collector", "state_balance"}, "")
    assert not state.ended and state.objection_index == 0
    debtor.reply(state, {"close"}, "")
    assert state.ended and state.end_reason == "closed"


def test_state_survives_the_tracker_round_trip():
    _, debtor, state, _ = call("bookkeeper-boss-away")
    to_objection(debtor, state)
    assert DebtorState.from_dict(state.to_dict()) == state
