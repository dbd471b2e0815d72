"""Compliance policy without servers: the domain agrees with policy/compliance.yml, stops are written once
(also late, from a real Rasa SQL tracker store), and blocked wording is replaced and raised as an alert, matched
as whole words (substrings in Chinese) with the names the assistant may say left out (one conversation checks
the blocking over the real servers)."""
import asyncio
import copy
import io
import logging
import shutil
import uuid

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, select

from actions.compliance import CompliancePolicy
from actions.escalation import EscalationPolicy
from actions.language import speaking
from actions.ledger import AccountRepository
from actions.models import AccountFlagRow, ComplianceStopRow
from actions.policy_files import PolicyError, load_policy
from actions.stop_recorder import StopRecord, StopRecorder, reconcile, said_at, tracker_store_engine
from commands.import_accounts import import_accounts
from tests.conftest import ROOT
from tests.servers import Stack

ESCALATION = EscalationPolicy.from_yaml()
POLICY = CompliancePolicy.from_yaml(ESCALATION)
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
STOPS = {intent: stop.flag for intent, stop in POLICY.stops.items()}


def stronger(current, new):
    return new


def test_every_stop_is_listed_once_with_refusal_among_them():
    assert set(STOPS) == {"dispute_debt", "request_stop_contact", "has_attorney", "declare_bankruptcy",
                          "hardship", "refuse_to_pay"}
    assert STOPS["refuse_to_pay"] == "REFUSED"
    POLICY.check_domain(DOMAIN)


def test_the_domain_must_fill_pressure_stopped_from_every_stop_intent():
    domain = copy.deepcopy(DOMAIN)
    domain["slots"]["pressure_stopped"]["mappings"][0]["intent"].remove("refuse_to_pay")
    with pytest.raises(PolicyError, match="domain.yml and policy/compliance.yml disagree.*pressure_stopped"):
        POLICY.check_domain(domain)


def test_each_stop_needs_its_rule():
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text())
    POLICY.check_rules(rules)
    rules["rules"] = [r for r in rules["rules"] if r.get("rule") != "compliance stop on refuse_to_pay"]
    with pytest.raises(PolicyError, match="refuse_to_pay -> action_compliance_stop -> utter_ack_refusal"):
        POLICY.check_rules(rules)


def test_a_stop_in_the_policy_but_not_in_the_domain_is_refused():
    data = load_policy("compliance.yml")
    data["stops"]["debt_sold"] = {"flag": "SOLD", "acknowledgement": "utter_ack_sold"}
    with pytest.raises(PolicyError, match="debt_sold"):
        CompliancePolicy.from_yaml(ESCALATION, data).check_domain(DOMAIN)


CONTACT = {"support_phone": "0800 1", "support_hours": "9-5"}


@pytest.mark.parametrize("text, names", [
    ("Thank you, Dana Bailiff, you're verified.", ["Dana Bailiff"]),
    ("Hello again, DANA BAILIFF. How can I help with your account?", ["Dana Bailiff"]),
    ("Ms Bailiff, the balance is 1,250.00 USD.", ["Dana Bailiff"]),
    ("Thank you, Sam Jailer, you're verified.", []),
    ("Mr Prisonnier, the balance is due today.", ["Luc Prisonnier"]),
    ("Dear Ms Policeman, the balance is due today.", []),
    ("We are Police Supplies Ltd and we are writing about your balance.", ["Police Supplies Ltd"]),
    ("Las arrears are not in your way; sin embargo, hablemos de un plan.", []),
])
def test_names_and_words_that_only_contain_a_term_are_not_blocked(text, names):
    assert POLICY.safe(text, "x", names, **CONTACT) == text


@pytest.mark.parametrize("text, names, language", [
    ("Dana Bailiff, a bailiff will call at your home.", ["Dana Bailiff"], "en"),
    ("Sam Jailer, you could be jailed for this.", ["Sam Jailer"], "en"),
    ("We will have your wages GARNISHED.", [], "en"),
    ("Police Supplies Ltd will call the police.", ["Police Supplies Ltd"], "en"),
    ("Señora Policía, podemos encarcelarle si no paga.", ["Lucía Policía"], "es"),
    ("Avisaremos a la POLICÍA.", [], "es"),
    ("王芳，不还钱我们就报警。", ["王芳"], "zh"),
    ("你再不还就把你抓起来", [], "zh"),
])
def test_a_real_threat_is_blocked_whatever_names_the_message_carries(text, names, language):
    with speaking(language):
        assert POLICY.safe(text, "x", names, **CONTACT) != text


def test_chinese_terms_are_found_inside_words_and_other_terms_only_as_whole_words():
    assert ESCALATION.forbidden_terms_in("我们会报警", "zh") == ("报警",)
    assert ESCALATION.forbidden_terms_in("叫police来", "zh") == ("police",)
    assert ESCALATION.forbidden_terms_in("the policeman's jailer", "en") == ()
    assert ESCALATION.forbidden_terms_in("arrested and imprisoned", "en") == ("arrest*",)


def test_a_message_naming_a_forbidden_term_is_replaced_and_raised_as_an_alert_over_the_real_servers(tmp_path):
    """The one test here with servers: a policy copy whose welcome names a bailiff (POLICY_DIR)."""
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", policy)
    messages = policy / "messages.yml"
    text = messages.read_text(encoding="utf-8")
    welcome = 'text: "Thank you, {name}, you\'re verified. {disclosure}"'
    assert welcome in text
    messages.write_text(text.replace(welcome, 'text: "Thank you, {name}, you\'re verified. Our bailiff says hello. '
                                              '{disclosure}"'), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'accounts.db'}"
    ledger = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed\n"
              "AC-77302,Dana Bailiff,1980-04-12,1250.00,USD,2026-10-11,false\n")
    import_accounts(io.StringIO(ledger), AccountRepository(db_url))
    stack = Stack(tmp_path / "stack", db_url).start(web=False, extra_env={"POLICY_DIR": str(policy)})
    try:
        sender = f"blocked-{uuid.uuid4().hex[:12]}"
        stack.say(sender, "hello")
        stack.say(sender, "AC-77302")
        said = " ".join(r.get("text", "") for r in stack.say(sender, "12/04/1980"))
        assert "Sorry, I can't give you that answer here" in said and "bailiff says" not in said
        assert "1,250.00 USD" in said and stack.slots(sender)["verified"] is True
        log = stack.process("actions").log.read_text()
        assert "ALERT blocked outgoing message (message verified): it named bailiff*" in log
        assert "Dana" not in log
    finally:
        stack.stop()


@pytest.mark.parametrize("terms", [["ja*il"], ["*arrest"], ["*"], ["   "]])
def test_a_term_that_cannot_be_matched_stops_start_up(terms):
    data = load_policy("escalation.yml")
    data["forbidden_terms"] = terms
    with pytest.raises(PolicyError, match="forbidden_terms.*cannot be matched"):
        EscalationPolicy.from_yaml(data)


def test_recorded_wording_is_allowed_only_after_the_write():
    domain = copy.deepcopy(DOMAIN)
    default = next(v for v in domain["responses"]["utter_ack_dispute"] if not v.get("condition"))
    default["text"] = "Understood. I've recorded the dispute."
    with pytest.raises(PolicyError, match="not conditioned on stop_recorded"):
        POLICY.check_domain(domain)


def test_blocked_wording_is_replaced_and_raised_as_an_alert(caplog):
    with caplog.at_level(logging.ERROR, logger="collections.alerts"):
        sent = POLICY.safe("Pay now or we call the police.", "script test", support_phone="0800 1", support_hours="9-5")
    assert "police" not in sent.lower() and "0800 1" in sent
    assert any("ALERT blocked outgoing message (script test)" in r.getMessage() for r in caplog.records)
    assert POLICY.safe("Thank you.", "x", support_phone="", support_hours="") == "Thank you."


def test_a_stop_is_written_once_however_often_it_is_offered(demo_repository):
    recorder = StopRecorder(demo_repository.url)
    stop = StopRecord("msg-1", "conv-1", "AC-10023", "DISPUTE", "not my debt", said_at(None))
    assert recorder.record(stop, "conversation") is True
    assert recorder.record(stop, "reconciler") is False
    with demo_repository.session() as session:
        flags = session.scalars(select(AccountFlagRow).where(AccountFlagRow.conversation_id == "conv-1")).all()
    assert [(f.flag, f.note) for f in flags] == [("DISPUTE", "not my debt")]


def save(store: SQLTrackerStore, sender: str, events) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def user(text: str, intent: str, message_id: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.99}, message_id=message_id)


def test_the_reconciler_writes_stops_said_while_nothing_could_be_written(demo_repository, tmp_path):
    store = SQLTrackerStore(db=str(tmp_path / "tracker.db"))
    save(store, "verified-one", [user("hi", "greet", "m1"), SlotSet("verified", True),
                                 SlotSet("account_id", "AC-10023"), user("this isn't my debt", "dispute_debt", "m2")])
    save(store, "not-verified", [user("I'm not paying", "refuse_to_pay", "m3")])
    save(store, "restarted", [SlotSet("verified", True), SlotSet("account_id", "AC-10001"),
                              Restarted(), user("I have a lawyer", "has_attorney", "m5")])
    recorder = StopRecorder(demo_repository.url)
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")

    assert reconcile(recorder, engine, STOPS, stronger) == 1
    assert reconcile(recorder, engine, STOPS, stronger) == 0
    save(store, "verified-one", [user("hi", "greet", "m1"), SlotSet("verified", True),
                                 SlotSet("account_id", "AC-10023"), user("this isn't my debt", "dispute_debt", "m2"),
                                 user("and stop messaging me", "request_stop_contact", "m6")])
    assert reconcile(recorder, engine, STOPS, stronger) == 1

    with demo_repository.session() as session:
        stops = session.scalars(select(ComplianceStopRow).order_by(ComplianceStopRow.id)).all()
        notes = session.scalars(select(AccountFlagRow.note).where(AccountFlagRow.account_id == "AC-10023")).all()
    assert [(s.conversation_id, s.flag, s.stop_key, s.recorded_by) for s in stops] == [
        ("verified-one", "DISPUTE", "m2", "reconciler"), ("verified-one", "CEASE_CONTACT", "m6", "reconciler")]
    assert notes == ["this isn't my debt", "and stop messaging me"]


def test_the_reconciler_finds_the_tracker_store_as_rasa_does(tmp_path, monkeypatch):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('action_endpoint:\n  url: ${SOME_UNSET_URL}\n'
                         'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "var/tracker.db"\n')
    assert str(tracker_store_engine(str(endpoints)).url) == f"sqlite:///{ROOT / 'var' / 'tracker.db'}"
    endpoints.write_text('tracker_store:\n  type: SQL\n  dialect: "postgresql"\n  url: ${TRACKER_HOST_FOR_TEST}\n'
                         '  db: collections\n')
    monkeypatch.delenv("TRACKER_HOST_FOR_TEST", raising=False)
    with pytest.raises(ValueError, match="needs the environment variable.s. TRACKER_HOST_FOR_TEST"):
        tracker_store_engine(str(endpoints))
    endpoints.write_text("tracker_store:\n  type: mongod\n")
    assert tracker_store_engine(str(endpoints)) is None
