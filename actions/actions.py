"""Thin Rasa actions: each reads the tracker, calls the collections logic, and replies."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.clock import today
from actions.compliance import CompliancePolicy
from actions.creditor import Creditor
from actions.escalation import EscalationPolicy
from actions.identity import normalise_account_reference, parse_date_of_birth
from actions.ledger import Account, AccountRepository
from actions.messages import MessageCatalogue
from actions.script_library import ScriptFacts, ScriptLibrary, describe_overdue, format_date, format_money

logger = logging.getLogger(__name__)

# Policy files are validated when the action server starts: a mistake stops it with a clear message.
ESCALATION = EscalationPolicy.from_yaml()
SCRIPTS = ScriptLibrary.from_yaml(ESCALATION)
COMPLIANCE = CompliancePolicy.from_yaml(ESCALATION)
CREDITOR = Creditor.from_yaml()
MESSAGES = MessageCatalogue.from_yaml()

_repository: Optional[AccountRepository] = None


def accounts() -> AccountRepository:
    global _repository
    if _repository is None:
        _repository = AccountRepository()
    return _repository


class CollectionsAction(Action, metaclass=ABCMeta):
    """Base for every action: turns a database outage into a clear reply instead of silence."""

    @abstractmethod
    def name(self) -> Text:
        ...

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            return self.act(dispatcher, tracker)
        except SQLAlchemyError:
            logger.exception("accounts database unavailable in %s", self.name())
            tell(dispatcher, "service_unavailable", **CREDITOR.contact())
            return []


def verified_account(tracker: Tracker) -> Optional[Account]:
    if tracker.get_slot("verified") is not True or not tracker.get_slot("account_id"):
        return None
    return accounts().get(tracker.get_slot("account_id"))


def account_facts(account: Account) -> Dict[str, str]:
    return {"name": account.full_name, "account_id": account.account_id,
            "amount": format_money(account.balance, account.currency),
            "due_date": format_date(account.due_date), "overdue": describe_overdue(account, today())}


def ask_for_identity(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Asks for whichever identity detail is still missing."""
    if tracker.get_slot("verification_locked"):
        tell(dispatcher, "verification_locked", **CREDITOR.contact())
        return []
    if tracker.get_slot("account_reference"):
        tell(dispatcher, "ask_date_of_birth")
        return [SlotSet("awaiting", "date_of_birth")]
    tell(dispatcher, "ask_account_reference")
    return [SlotSet("awaiting", "account_reference")]


def say(dispatcher: CollectingDispatcher, text: str) -> None:
    dispatcher.utter_message(text=COMPLIANCE.checked(text))


def tell(dispatcher: CollectingDispatcher, key: str, tone: Optional[str] = None, **values: Any) -> None:
    message = MESSAGES.render(key, tone, **values)
    message["text"] = COMPLIANCE.checked(message["text"])
    dispatcher.utter_message(**message)


class ActionGreet(CollectionsAction):
    def name(self) -> Text:
        return "action_greet"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if account:
            tell(dispatcher, "greet_again", name=account.full_name)
            return []
        tell(dispatcher, "introduction", assistant_name=CREDITOR.assistant_name,
                                 creditor_name=CREDITOR.creditor_name)
        return ask_for_identity(dispatcher, tracker)


class ActionVerifyIdentity(CollectionsAction):
    def name(self) -> Text:
        return "action_verify_identity"

    def act(self, dispatcher, tracker):
        if tracker.get_slot("verified"):
            account = verified_account(tracker)
            tell(dispatcher, "already_verified", name=account.full_name if account else "")
            return []
        if tracker.get_slot("verification_locked"):
            tell(dispatcher, "verification_locked", **CREDITOR.contact())
            return []
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        reference = (normalise_account_reference(next(tracker.get_latest_entity_values("account_id"), None))
                     or (normalise_account_reference(text) if not text.startswith("/") else None)
                     or normalise_account_reference(tracker.get_slot("account_reference")))
        dob_text = next(tracker.get_latest_entity_values("date_of_birth"), None) or text
        date_of_birth = parse_date_of_birth(dob_text, today()) or parse_date_of_birth(text, today())
        events: List[Dict[Text, Any]] = [SlotSet("account_reference", reference)]

        if not reference:
            tell(dispatcher, "account_reference_unreadable")
            return events + [SlotSet("awaiting", "account_reference")]
        if not date_of_birth:
            if tracker.get_slot("awaiting") == "date_of_birth" and message.get("intent", {}).get("name") == "provide_dob":
                tell(dispatcher, "date_of_birth_unreadable")
            else:
                tell(dispatcher, "ask_date_of_birth")
            return events + [SlotSet("awaiting", "date_of_birth")]

        account = accounts().get(reference)
        if account and account.date_of_birth == date_of_birth:
            tell(dispatcher, "verified", name=account.full_name, disclosure=CREDITOR.collection_disclosure)
            tell(dispatcher, "balance", **account_facts(account))
            return events + [SlotSet("verified", True), SlotSet("account_id", account.account_id),
                             SlotSet("awaiting", None)]

        attempts = int(tracker.get_slot("verification_attempts") or 0) + 1
        events.append(SlotSet("verification_attempts", attempts))
        if attempts >= COMPLIANCE.max_failed_attempts:
            tell(dispatcher, "verification_locked", **CREDITOR.contact())
            return events + [SlotSet("verification_locked", True), SlotSet("awaiting", None)]
        tell(dispatcher, "verification_failed", attempts_left=COMPLIANCE.max_failed_attempts - attempts)
        return events + [SlotSet("awaiting", "date_of_birth")]


class ActionTellBalance(CollectionsAction):
    def name(self) -> Text:
        return "action_tell_balance"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account:
            tell(dispatcher, "identity_first")
            return ask_for_identity(dispatcher, tracker)
        tell(dispatcher, "balance", **account_facts(account))
        return []


class ActionCounterObjection(CollectionsAction):
    """Answers a stalling reply with the counter-script for its objection, one tone firmer each time."""

    def name(self) -> Text:
        return "action_counter_objection"

    def act(self, dispatcher, tracker):
        objection = (tracker.latest_message.get("intent") or {}).get("name")
        account = verified_account(tracker)
        if not account:
            tell(dispatcher, "identity_first")
            return ask_for_identity(dispatcher, tracker)
        if tracker.get_slot("pressure_stopped"):
            tell(dispatcher, "pressure_stopped")
            return [SlotSet("objection", objection)]
        tone = ESCALATION.next_tone(account, tracker.get_slot("tone"), today())
        raised = list(tracker.get_slot("objections_raised") or [])
        repeat = sum(1 for earlier in raised if earlier == f"{objection}:{tone}")
        facts = ScriptFacts.of(account, today(), CREDITOR.creditor_name, ESCALATION.consequences_sentence())
        say(dispatcher, SCRIPTS.render(objection, tone, facts, repeat))
        events = [SlotSet("tone", tone), SlotSet("objection", objection),
                  SlotSet("objections_raised", raised + [f"{objection}:{tone}"])]
        tell(dispatcher, "way_forward", tone=tone)
        return events


class ActionComplianceStop(CollectionsAction):
    """Dispute, stop-contact, attorney, bankruptcy, hardship: record the flag and stop all pressure.

    The acknowledgement and the offer of a person follow as responses in ``data/rules.yml``."""

    def name(self) -> Text:
        return "action_compliance_stop"

    def act(self, dispatcher, tracker):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        stop = COMPLIANCE.stop_for(intent)
        if stop is None:
            return []
        if tracker.get_slot("verified") and tracker.get_slot("account_id"):
            accounts().raise_flag(tracker.get_slot("account_id"), stop.flag, tracker.sender_id,
                                  note=(tracker.latest_message.get("text") or "")[:1000])
        return [SlotSet("pressure_stopped", True), SlotSet("compliance_flag", stop.flag),
                SlotSet("pending_confirmation", "handoff")]


class ActionRequestHuman(CollectionsAction):
    def name(self) -> Text:
        return "action_request_human"

    def act(self, dispatcher, tracker):
        tell(dispatcher, "handoff", **CREDITOR.contact())
        if tracker.get_slot("verified") and tracker.get_slot("account_id"):
            accounts().raise_flag(tracker.get_slot("account_id"), "HUMAN_HANDOFF", tracker.sender_id)
        return [SlotSet("pending_confirmation", None)]


class ActionAffirm(CollectionsAction):
    def name(self) -> Text:
        return "action_affirm"

    def act(self, dispatcher, tracker):
        if tracker.get_slot("pending_confirmation") == "handoff":
            return ActionRequestHuman().act(dispatcher, tracker)
        if not verified_account(tracker):
            return ask_for_identity(dispatcher, tracker)
        if tracker.get_slot("pressure_stopped"):
            tell(dispatcher, "anything_else")
            return []
        tell(dispatcher, "way_forward", tone=tracker.get_slot("tone"))
        return []


class ActionDeny(CollectionsAction):
    def name(self) -> Text:
        return "action_deny"

    def act(self, dispatcher, tracker):
        if not verified_account(tracker) and not tracker.get_slot("verification_locked"):
            return ask_for_identity(dispatcher, tracker)
        tell(dispatcher, "anything_else")
        return [SlotSet("pending_confirmation", None)]


class ActionPaymentInstructions(CollectionsAction):
    def name(self) -> Text:
        return "action_payment_instructions"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account:
            tell(dispatcher, "identity_first")
            return ask_for_identity(dispatcher, tracker)
        tell(dispatcher, "payment_instructions", amount=format_money(account.balance, account.currency),
                                 **CREDITOR.payment_details(account.account_id))
        return []
