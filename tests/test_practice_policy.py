"""Practice scenarios, debtor lines and unlawful tactics: the shipped files load, cover what the issue asks,
and a mistake stops start-up with the file and the problem named. No Rasa needed."""
import copy
from datetime import date

import pytest

from actions.policy_files import PolicyError, load_policy
from actions.practice.lines import parse_debtor_lines
from actions.practice.moves import MOVES, moves_from_parse, unlawful_tactics
from actions.practice.scenarios import debtor_objections, load_scenarios, main_objections, parse_scenario_book

TODAY = date(2026, 11, 23)


@pytest.fixture
def scenario_data():
    return copy.deepcopy(load_policy("scenarios.yml"))


def test_moves_are_the_practice_domain_intents():
    assert len(MOVES) == 17 and "start_scenario" not in MOVES
    assert {"introduce_self", "unlawful_threat", "honour_stop", "read_back"} <= set(MOVES)


def test_moves_from_parse_reads_every_move_and_ignores_unknown_ones():
    assert moves_from_parse({"intent": {"name": "acknowledge"}, "moves": ["acknowledge", "propose_date"]}) == \
        {"acknowledge", "propose_date"}
    assert moves_from_parse({"intent": {"name": "close"}}) == {"close"}
    assert moves_from_parse({"intent": {"name": "start_scenario"}}) == set()
    assert moves_from_parse({"intent": {"name": "close"}, "moves": ["nonsense"]}) == set()


def test_shipped_scenarios_cover_the_issue():
    scenarios = load_scenarios()
    assert len(scenarios) >= 12
    raised = {o for s in scenarios.values() for o in s.objections}
    assert set(main_objections()) <= raised and len(main_objections()) == 12
    assert {s.difficulty for s in scenarios.values()} == {"easy", "medium", "hard"}
    assert {s.debtor_kind for s in scenarios.values()} == {"consumer", "business"}
    assert {"shop_owner", "bookkeeper"} <= {s.role for s in scenarios.values()}
    assert {s.trap.kind for s in scenarios.values() if s.trap} == {"dispute", "attorney", "hardship"}


def test_a_card_has_what_a_collector_needs_with_dates_relative_to_today():
    scenario = load_scenarios()["bookkeeper-boss-away"]
    card = scenario.card(TODAY)
    for key in ("full_name", "account_id", "balance", "currency", "due_date", "days_overdue", "broken_promises",
                "legal_action_allowed", "date_of_birth"):
        assert key in card
    assert card["due_date"] == "2026-10-13" and card["days_overdue"] == 41
    assert scenario.card(date(2027, 1, 1))["due_date"] == "2026-11-21"


@pytest.mark.parametrize("change, message", [
    (lambda d: d["scenarios"][0].update(difficulty="impossible"), "difficulty"),
    (lambda d: d["scenarios"][0].update(objections=["objection_weather"]), "unknown objection 'objection_weather'"),
    (lambda d: d["scenarios"][1].update(id=d["scenarios"][0]["id"]), "used twice"),
    (lambda d: d["scenarios"][0].update(balance=-5), "positive amount"),
    (lambda d: d["scenarios"][0].update(date_of_birth="yesterday"), "date_of_birth"),
    (lambda d: d["scenarios"][1].pop("company"), "needs 'company'"),
    (lambda d: d["scenarios"][4]["trap"].update(kind="tears"), "trap"),
    (lambda d: d.update(scenarios=d["scenarios"][:11]), "at least 12"),
    (lambda d: d["give_in"].update(easy=[["acknowledge"]]), "concrete steps"),
    (lambda d: d["give_in"].update(hard=[["wave"]]), "'wave' is not a move"),
])
def test_a_broken_scenario_file_is_refused_with_the_problem_named(scenario_data, change, message):
    change(scenario_data)
    with pytest.raises(PolicyError) as refused:
        parse_scenario_book(scenario_data)
    assert "policy/scenarios.yml" in str(refused.value) and message in str(refused.value)


def test_scenarios_must_cover_every_objection_together(scenario_data):
    for spec in scenario_data["scenarios"]:
        spec["objections"] = [o for o in spec["objections"] if o != "objection_already_paid"] or ["refuse_to_pay"]
    with pytest.raises(PolicyError, match="objection_already_paid"):
        parse_scenario_book(scenario_data)


def test_debtor_lines_cover_every_objection_and_name_a_missing_placeholder(scenario_data):
    lines = load_policy("debtor_lines.yml")
    scenarios = parse_scenario_book(scenario_data).scenarios
    parse_debtor_lines(lines, scenarios, TODAY)
    assert set(lines["objections"]) == set(debtor_objections())
    broken = copy.deepcopy(lines)
    del broken["objections"]["objection_no_job"]["push_back"]
    with pytest.raises(PolicyError, match="objections.objection_no_job.push_back"):
        parse_debtor_lines(broken, scenarios, TODAY)
    broken = copy.deepcopy(lines)
    broken["objections"]["objection_boss_absent"]["raise"].append("{supervisor} is out.")
    with pytest.raises(PolicyError, match=r"\{supervisor\} is not known for scenario"):
        parse_debtor_lines(broken, scenarios, TODAY)


@pytest.mark.parametrize("text, tactic", [
    ("Pay up or you'll end up in jail.", "arrest_or_prison"),
    ("We can get a warrant for your arrest.", "arrest_or_prison"),
    ("Not paying is fraud and we will press charges.", "criminal_charges"),
    ("I'm going to ring your employer about this.", "third_party_disclosure"),
    ("We'll tell your family about your debts.", "third_party_disclosure"),
    ("I'll make sure your wife finds out.", "third_party_disclosure"),
    ("I'll come to your shop and embarrass you in front of your customers.", "public_shaming"),
    ("We'll knock on your door at 11pm every night.", "home_visit_out_of_hours"),
    ("Our agent will visit your home late tonight.", "home_visit_out_of_hours"),
    ("I'll start a rumour that your company is going under.", "rumours"),
    ("I'll let other shops in the market know you don't pay.", "rumours"),
    ("The bailiffs will seize your furniture.", "unlawful_enforcement"),
])
def test_unlawful_tactics_are_recognised(text, tactic):
    assert tactic in unlawful_tactics(text)


@pytest.mark.parametrize("text", [
    "If we can't agree a payment, the account will be referred to our legal team.",
    "Could a family member help you make the payment by Friday?",
    "Of course, we'll deal with your lawyer from now on.",
    "I understand your boss is away. Could he approve it when he's back on Monday?",
    "We will stop deliveries until the balance is paid.",
])
def test_lawful_words_are_not_flagged(text):
    assert unlawful_tactics(text) == []


def test_legal_steps_are_unlawful_only_where_the_account_does_not_allow_them():
    text = "Our legal team will file a claim in the civil court."
    assert unlawful_tactics(text, legal_action_allowed=True) == []
    assert unlawful_tactics(text, legal_action_allowed=False) == ["legal_action_not_allowed"]
