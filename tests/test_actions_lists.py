"""Each list is defined once in a policy file; where Rasa needs its own copy, the action server's start-up
check fails loudly on any disagreement."""
import copy

import pytest
import yaml

from actions import actions as A
from actions.dialogue_check import check_dialogue, check_dialogue_files, intents_routed_to
from actions.policy_files import PolicyError, load_policy
from actions.script_library import OBJECTIONS
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RULES = yaml.safe_load((ROOT / "data" / "rules.yml").read_text())


def check(domain=DOMAIN, rules=RULES, objections=OBJECTIONS):
    check_dialogue(domain, rules, objections, A.COMPLIANCE.stops, A.ESCALATION.tones)


def test_the_project_files_agree():
    check_dialogue_files(A.SCRIPTS.objections, A.COMPLIANCE.stops, A.ESCALATION.tones, A.REFERENCES)
    assert OBJECTIONS == tuple(load_policy("scripts.yml")["objections"]) == A.SCRIPTS.objections


def test_one_rule_sends_every_objection_that_is_not_a_stop_to_its_counter_script():
    counter_rules = [r for r in RULES["rules"] if any(s.get("action") == "action_counter_objection"
                                                      for s in r["steps"])]
    assert len(counter_rules) == 1
    assert intents_routed_to("action_counter_objection", RULES) == set(OBJECTIONS) - set(A.COMPLIANCE.stops)


def test_adding_an_objection_needs_its_intent_and_its_line_in_the_rule():
    objections = OBJECTIONS + ("objection_cheque_in_post",)
    with pytest.raises(PolicyError, match="domain.yml: .*objection_cheque_in_post"):
        check(objections=objections)
    domain = copy.deepcopy(DOMAIN)
    domain["intents"].append("objection_cheque_in_post")
    with pytest.raises(PolicyError, match="data/rules.yml: add objection_cheque_in_post to the 'or'"):
        check(domain=domain, objections=objections)
    rules = copy.deepcopy(RULES)
    rule = next(r for r in rules["rules"] if r["rule"] == "counter-script for an objection")
    rule["steps"][0]["or"].append({"intent": "objection_cheque_in_post"})
    check(domain=domain, rules=rules, objections=objections)


def test_a_rule_for_an_objection_without_scripts_is_refused():
    with pytest.raises(PolicyError, match="objection_no_job lead to action_counter_objection but have no scripts"):
        check(objections=tuple(o for o in OBJECTIONS if o != "objection_no_job"))


def test_the_tone_slot_must_list_the_policy_tones():
    domain = copy.deepcopy(DOMAIN)
    domain["slots"]["tone"]["values"] = ["gentle", "firm"]
    with pytest.raises(PolicyError, match="slot 'tone' must have values"):
        check(domain=domain)


def test_the_nlu_regex_must_follow_the_creditor_pattern(tmp_path):
    for folder in ("data", "data/nlu"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "domain.yml").write_text((ROOT / "domain.yml").read_text())
    (tmp_path / "data" / "rules.yml").write_text((ROOT / "data" / "rules.yml").read_text())
    regex = (ROOT / "data" / "nlu" / "regex.yml").read_text()
    (tmp_path / "data" / "nlu" / "regex.yml").write_text(regex.replace("{4,10}", "{5}"))
    with pytest.raises(PolicyError, match="regex.yml: the account_id regex must be exactly"):
        check_dialogue_files(A.SCRIPTS.objections, A.COMPLIANCE.stops, A.ESCALATION.tones, A.REFERENCES,
                             root=tmp_path)
