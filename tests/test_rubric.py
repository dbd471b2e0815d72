"""The rubric file's checks, the transcript format's checks and the scorer's rules, without models: turns here
carry their moves and intents already (as the readers would give them), so each rule is exercised exactly."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from actions.policy_files import PolicyError, load_policy
from actions.rubric import FIXED_IDS, Rubric, TranscriptError, Turn, load_rubric, parse_transcript

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
ACCOUNT = {"full_name": "Daniel Price", "date_of_birth": "1979-03-14", "balance": "840.00", "currency": "GBP",
           "due_date": "2026-10-15", "legal_action_allowed": False}


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def rubric_with(change) -> Rubric:
    data = copy.deepcopy(load_policy("rubric.yml"))
    change(data)
    return Rubric.from_yaml(data)


def criterion(data, criterion_id):
    return next(c for c in data["criteria"] if c["id"] == criterion_id)


def c(text, *moves):
    return Turn("collector", text, frozenset(moves))


def d(text, intent):
    return Turn("debtor", text, intent=intent)


GOOD = [
    c("Good afternoon, this is Sam from Northwind Supplies.", "introduce_self"),
    d("Yes, speaking.", "affirm"),
    c("Could you confirm your date of birth?", "request_verification"),
    d("14 March 1979", "provide_dob"),
    c("This is an attempt to collect a debt.", "disclose_collector"),
    d("I'll pay next month.", "objection_next_month"),
    c("I understand, thanks for telling me.", "acknowledge"),
    d("Thanks.", "thank"),
    c("The 840 pounds was due on 15 October.", "restate_terms"),
    d("I know.", "affirm"),
    c("Could you pay 420 on 30 November and 420 on 30 December? Can I count on that?",
      "propose_plan", "ask_commitment"),
    d("Yes, I will.", "affirm"),
    c("So: 420 pounds on 30 November and 420 on 30 December. Right?", "read_back"),
    d("Right.", "affirm"),
]


def score(rubric, turns, account=None):
    parsed, _ = parse_transcript({"account": account or ACCOUNT, "turns": [{"speaker": "collector", "text": "x"}]})
    return rubric.score(parsed, turns, TODAY)


def failing(card):
    return [x["id"] for x in card["criteria"] if not x["passed"]]


# ---------------------------------------------------------------- the rubric file

def test_the_shipped_rubric_has_exactly_the_fixed_criteria(rubric):
    assert [c.id for c in rubric.criteria] == list(FIXED_IDS)
    assert rubric.pass_mark == 70
    auto = {c.id for c in rubric.criteria if c.auto_fail}
    assert auto == {"verify_before_disclosure", "debt_collector_disclosure", "lawful_consequences_only",
                    "honour_stop_requests", "respectful_language"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(pass_mark=170), "pass_mark must be a whole number from 0 to 100"),
    (lambda d: d["criteria"].pop(0), "missing criterion id(s): identify_self_and_creditor"),
    (lambda d: criterion(d, "acknowledge_reason").update(id="be_nice"), "unknown criterion id(s) ['be_nice']"),
    (lambda d: criterion(d, "respectful_language").update(moves=["shout"]),
     "names move(s) ['shout'] that are not intents of practice/domain.yml"),
    (lambda d: criterion(d, "concrete_next_step").update(rule="vibes"), "unknown rule 'vibes'"),
    (lambda d: criterion(d, "concrete_next_step").update(weight=0), "weight must be a whole number above 0"),
    (lambda d: criterion(d, "concrete_next_step").pop("advice"), "is missing: advice"),
    (lambda d: criterion(d, "read_back_commitment").update(model_answer={"message": "nope"}),
     "no message 'nope' in policy/messages.yml"),
    (lambda d: criterion(d, "read_back_commitment").update(model_answer={"message": "plan_read_back"}),
     "which a scorecard cannot fill"),
    (lambda d: d.update(stop_requests=["dispute_debt", "affirm"]),
     "not stops of policy/compliance.yml: ['affirm']"),
    (lambda d: d.update(debtor_agrees=["agree_to_pay", "shrug"]), "not in domain.yml: ['shrug']"),
    (lambda d: criterion(d, "honour_stop_requests").update(after="everyone"), "after must be a list"),
])
def test_a_broken_rubric_is_refused_with_the_problem_named(change, message):
    with pytest.raises(PolicyError) as raised:
        rubric_with(change)
    assert "policy/rubric.yml" in str(raised.value)
    assert message in str(raised.value)


# ---------------------------------------------------------------- the transcript format

@pytest.mark.parametrize("data, message", [
    ([], "must be a JSON object"),
    ({"turns": []}, "'account' must be an object"),
    ({"account": {**ACCOUNT, "date_of_birth": "14/03/1979"}, "turns": [{"speaker": "collector", "text": "Hi"}]},
     "account.date_of_birth must be a date written YYYY-MM-DD"),
    ({"account": {k: v for k, v in ACCOUNT.items() if k != "currency"}, "turns": []}, "account is missing: currency"),
    ({"account": {**ACCOUNT, "balance": "lots"}, "turns": []}, "account.balance must be a number"),
    ({"account": {**ACCOUNT, "legal_action_allowed": "no"}, "turns": []}, "legal_action_allowed must be true or false"),
    ({"account": ACCOUNT, "turns": []}, "'turns' must be a non-empty list"),
    ({"account": ACCOUNT, "turns": [{"speaker": "boss", "text": "Hi"}]}, "turns[1].speaker must be"),
    ({"account": ACCOUNT, "turns": [{"speaker": "collector", "text": "  "}]}, "turns[1].text must be a non-empty"),
    ({"account": ACCOUNT, "turns": [{"speaker": "collector", "text": "x" * 5000}]}, "turns[1].text is 5000"),
    ({"account": ACCOUNT, "turns": [{"speaker": "debtor", "text": "Hello?"}]}, "no collector turn"),
])
def test_a_malformed_transcript_is_refused_with_the_problem_named(data, message):
    with pytest.raises(TranscriptError) as raised:
        parse_transcript(data)
    assert message in str(raised.value)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    (json.dumps({"account": ACCOUNT, "turns": [{"speaker": "robot", "text": "Hi"}]}), "turns[1].speaker"),
])
def test_the_command_rejects_a_malformed_file_with_exit_2_and_no_traceback(tmp_path, content, message):
    path = tmp_path / "transcript.json"
    path.write_text(content)
    result = subprocess.run([sys.executable, "-m", "commands.score_transcript", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    missing = subprocess.run([sys.executable, "-m", "commands.score_transcript", str(tmp_path / "nope.json")],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


# ---------------------------------------------------------------- the rules

def test_a_conversation_doing_everything_right_scores_100(rubric):
    card = score(rubric, GOOD)
    assert card["score"] == 100 and card["passed"] and card["auto_fail"] == []
    assert set(card) == {"score", "passed", "pass_mark", "auto_fail", "criteria"}
    for item in card["criteria"]:
        assert set(item) == {"id", "title", "passed", "weight", "evidence", "advice", "model_answer"}
        assert item["advice"] and item["model_answer"]
    evidence = {x["id"]: x["evidence"] for x in card["criteria"]}
    assert evidence["acknowledge_reason"] == "I understand, thanks for telling me."
    assert evidence["respectful_language"] is None


def test_stating_the_debt_before_the_date_of_birth_fails_outright(rubric):
    turns = GOOD[:2] + [c("You owe us 840 pounds.", "state_balance")] + GOOD[2:]
    card = score(rubric, turns)
    assert failing(card) == ["verify_before_disclosure"] and card["auto_fail"] == ["verify_before_disclosure"]
    assert not card["passed"] and card["score"] == 92
    assert card["criteria"][1]["evidence"] == "You owe us 840 pounds."


def test_identity_means_the_date_of_birth_on_the_account(rubric):
    wrong = [t if t.text != "14 March 1979" else d("1 January 1970", "provide_dob") for t in GOOD]
    card = score(rubric, wrong)
    assert failing(card) == ["verify_before_disclosure", "restate_amount_and_date", "concrete_next_step",
                             "dated_commitment"]


def test_a_conversation_that_never_reaches_negotiation_does_not_score_full_marks(rubric):
    card = score(rubric, GOOD[:2])
    assert failing(card) == ["restate_amount_and_date", "concrete_next_step", "dated_commitment"]
    assert card["score"] == 67 and card["passed"] is False and card["auto_fail"] == []


def test_an_unacknowledged_objection_fails_with_the_reply_quoted_and_the_script_as_model_answer(rubric):
    turns = [t if t.text != "I understand, thanks for telling me." else c("Pay it now.", "ask_commitment")
             for t in GOOD]
    card = score(rubric, turns)
    item = next(x for x in card["criteria"] if x["id"] == "acknowledge_reason")
    assert not item["passed"] and item["evidence"] == "Pay it now."
    assert "840.00 GBP" in item["model_answer"] and "Daniel Price" in item["model_answer"]
    assert card["passed"]  # not an auto-fail: 92 >= 70


def test_legal_steps_are_unlawful_only_where_the_account_does_not_allow_them(rubric):
    turns = GOOD + [c("We will refer the account to our legal team.", "lawful_consequence")]
    assert failing(score(rubric, turns)) == ["lawful_consequences_only"]
    assert failing(score(rubric, turns, {**ACCOUNT, "legal_action_allowed": True})) == []


def test_an_unlawful_tactic_fails_even_when_no_move_names_it(rubric):
    turns = GOOD + [Turn("collector", "Your neighbours will hear about this.", frozenset(),
                         tactics=("third_party_disclosure",))]
    card = score(rubric, turns)
    assert card["auto_fail"] == ["lawful_consequences_only"] and not card["passed"]


def test_a_stop_request_must_be_honoured_at_once_and_pressure_must_end(rubric):
    base = GOOD[:5] + [d("I dispute this debt.", "dispute_debt")]
    honoured = score(rubric, base + [c("Understood, I've paused collection.", "honour_stop")])
    assert failing(honoured) == []
    item = next(x for x in honoured["criteria"] if x["id"] == "honour_stop_requests")
    assert item["evidence"] == "Understood, I've paused collection."
    assert "dispute" in item["model_answer"]
    ignored = score(rubric, base + [c("Can you pay on Friday?", "propose_date")])
    assert failing(ignored) == ["honour_stop_requests"]
    relapsed = score(rubric, base + [c("Understood.", "honour_stop"), d("Thanks.", "thank"),
                                     c("So, Friday then?", "propose_date")])
    assert failing(relapsed) == ["honour_stop_requests"]


def test_no_read_back_is_judged_only_once_the_debtor_agreed_to_a_proposal(rubric):
    no_agreement = GOOD[:11] + [d("I'll think about it.", "deny")]
    assert failing(score(rubric, no_agreement)) == []
    agreed_no_read_back = GOOD[:12] + [c("Great, goodbye.", "close")]
    assert failing(score(rubric, agreed_no_read_back)) == ["read_back_commitment"]


def test_an_insult_fails_outright(rubric):
    card = score(rubric, GOOD + [c("Only an idiot forgets a bill.", "insult")])
    assert card["auto_fail"] == ["respectful_language"] and not card["passed"]
