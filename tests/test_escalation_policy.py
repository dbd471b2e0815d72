import copy
from datetime import date, timedelta
from decimal import Decimal

import pytest

from actions.escalation import EscalationPolicy
from actions.account import Account
from actions.policy_files import PolicyError, load_policy

TODAY = date(2026, 11, 22)


def account(days_overdue=5, broken=0, legal=False) -> Account:
    return Account("AC-1", "Test Person", date(1980, 1, 1), Decimal("100.00"), "USD",
                   TODAY - timedelta(days=days_overdue), legal, broken)


@pytest.fixture(scope="module")
def policy() -> EscalationPolicy:
    return EscalationPolicy.from_yaml()


def test_starting_tone_depends_on_lateness_and_broken_promises(policy):
    assert policy.starting_tone(account(days_overdue=3), TODAY) == "gentle"
    assert policy.starting_tone(account(days_overdue=60), TODAY) == "firm"
    assert policy.starting_tone(account(days_overdue=3, broken=2), TODAY) == "firm"
    assert policy.starting_tone(account(days_overdue=3, broken=1), TODAY) == "gentle"


def test_each_further_objection_raises_one_step_and_never_falls(policy):
    debtor = account(legal=True)
    tones = []
    current = None
    for _ in range(5):
        current = policy.next_tone(debtor, current, TODAY)
        tones.append(current)
    assert tones == ["gentle", "firm", "legal", "legal", "legal"]


def test_legal_is_reached_only_with_permission(policy):
    current = None
    for _ in range(5):
        current = policy.next_tone(account(days_overdue=365, broken=5, legal=False), current, TODAY)
        assert current != "legal"
    assert current == "firm"


def test_a_late_account_with_permission_starts_firm_then_goes_legal(policy):
    debtor = account(days_overdue=120, legal=True)
    first = policy.next_tone(debtor, None, TODAY)
    assert (first, policy.next_tone(debtor, first, TODAY)) == ("firm", "legal")


def test_consequences_come_only_from_the_allowed_list(policy):
    sentence = policy.consequences_sentence()
    for item in load_policy("escalation.yml")["allowed_consequences"]:
        assert item in sentence
    for word in ("arrest", "jail", "prison", "garnish", "criminal"):
        assert word not in sentence.lower()


def test_tones_are_read_from_the_policy_with_the_last_one_legal():
    data = copy.deepcopy(load_policy("escalation.yml"))
    data["tones"] = ["gentle", "firm", "final", "legal"]
    policy = EscalationPolicy.from_yaml(data)
    assert policy.tones == data["tones"] and policy.legal_tone == "legal"


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(tones=["gentle"]), "tones must list at least two"),
    (lambda d: d.update(tones=["gentle", "firm", "firm"]), "tones must list at least two different"),
    (lambda d: d["starting_tone"].append({"tone": "furious", "when": {"days_overdue_at_least": 1}}), "unknown tone"),
    (lambda d: d["starting_tone"].insert(0, {"tone": "firm", "when": {"moon_phase_at_least": 1}}), "unknown condition"),
    (lambda d: d.update(starting_tone=[{"tone": "firm", "when": {"days_overdue_at_least": 9}}]), "otherwise"),
    (lambda d: d.update(ceiling_without_legal_permission="legal"), "ceiling_without_legal_permission"),
    (lambda d: d["allowed_consequences"].append("we will have you arrested"), "forbidden term"),
    (lambda d: d.update(steps_per_objection="one"), "steps_per_objection"),
])
def test_mistakes_in_the_policy_file_fail_loudly(mutate, message):
    data = copy.deepcopy(load_policy("escalation.yml"))
    mutate(data)
    with pytest.raises(PolicyError, match=message):
        EscalationPolicy.from_yaml(data)
