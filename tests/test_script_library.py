import copy
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from actions.compliance import CompliancePolicy
from actions.escalation import EscalationPolicy
from actions.account import Account
from actions.messages import MessageCatalogue
from actions.policy_files import PolicyError, load_policy
from actions.script_library import OBJECTIONS, ScriptFacts, ScriptLibrary

TODAY = date(2026, 11, 22)
POLICY = EscalationPolicy.from_yaml()
LIBRARY = ScriptLibrary.from_yaml(POLICY)
FORBIDDEN = re.compile(r"arrest|jail|prison|garnish|criminal", re.IGNORECASE)


def facts_for(account: Account) -> ScriptFacts:
    return ScriptFacts.of(account, TODAY, "Northwind Supplies Ltd", POLICY.consequences_sentence())


@pytest.fixture(scope="module")
def jordan(tmp_path_factory):
    return Account("AC-10023", "Jordan Avery", date(1980, 4, 12), Decimal("1250.00"), "USD",
                   TODAY - timedelta(days=42), True, 0)


@pytest.mark.parametrize("objection", OBJECTIONS)
@pytest.mark.parametrize("tone", ["gentle", "firm", "legal"])
def test_every_objection_and_tone_renders_with_the_account_facts(objection, tone, jordan):
    text = LIBRARY.render(objection, tone, facts_for(jordan))
    assert "1,250.00 USD" in text
    assert "{" not in text and "}" not in text
    assert not FORBIDDEN.search(text)
    if tone == "legal":
        assert POLICY.consequences_sentence() in text
    else:
        assert POLICY.allowed_consequences[0] not in text


def test_facts_come_from_the_account(jordan):
    facts = facts_for(jordan)
    assert (facts.name, facts.amount, facts.due_date, facts.overdue) == (
        "Jordan Avery", "1,250.00 USD", "11 October 2026", "42 days overdue")


@pytest.mark.parametrize("objection", OBJECTIONS)
def test_a_repeated_objection_is_not_answered_word_for_word_the_same(objection, jordan):
    facts = facts_for(jordan)
    for tone in POLICY.tones:
        assert LIBRARY.variant_count(objection, tone) >= 2
        assert LIBRARY.render(objection, tone, facts, 0) != LIBRARY.render(objection, tone, facts, 1)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(objections={}), "needs at least one objection"),
    (lambda d: d["objections"].update({"not an intent": d["objections"]["objection_no_job"]}), "must be an intent name"),
    (lambda d: d["objections"]["objection_no_job"]["gentle"].append("Pay {amount} or we call the police."), "forbidden"),
    (lambda d: d["objections"]["objection_no_job"]["gentle"].append("Pay {amount} by {deadline}."), "unknown placeholder"),
    (lambda d: d["objections"]["objection_no_job"]["firm"].append("Please pay soon."), "must state the amount"),
    (lambda d: d["objections"]["objection_no_job"]["legal"].append("Pay {amount} now."), "consequences"),
    (lambda d: d["objections"]["objection_no_job"]["gentle"].append("{amount}: {consequences}"), "only legal"),
    (lambda d: d["objections"]["objection_no_job"].pop("legal"), "objection_no_job.legal needs"),
])
def test_mistakes_in_the_script_library_fail_loudly(mutate, message):
    data = copy.deepcopy(load_policy("scripts.yml"))
    mutate(data)
    with pytest.raises(PolicyError, match=message):
        ScriptLibrary.from_yaml(POLICY, data)


def test_message_catalogue_and_compliance_policy_load_and_reject_mistakes():
    MessageCatalogue.from_yaml()
    CompliancePolicy.from_yaml(POLICY)
    data = copy.deepcopy(load_policy("messages.yml"))
    data["balance"]["text"] = "You owe {amount} and {secret}"
    with pytest.raises(PolicyError, match="unknown placeholder"):
        MessageCatalogue.from_yaml(data)
