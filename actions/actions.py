"""Thin Rasa actions: each reads the tracker, calls the collections logic, and replies."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from datetime import date
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from sqlalchemy.exc import SQLAlchemyError

from actions.clock import today
from actions.commitments import CommitmentPolicy
from actions.compliance import CompliancePolicy
from actions.creditor import Creditor
from actions.dialogue_check import check_dialogue_files
from actions.escalation import EscalationPolicy
from actions.account import Account, describe_overdue, format_date, format_money
from actions.identity import parse_date_of_birth
from actions.language import choose, current, speaking, supported
from actions.ledger import AccountRepository
from actions.lockout import LockoutPolicy, VerificationGuard
from actions.messages import MessageCatalogue
from actions.negotiation import OUTCOME_FOR_KIND, Draft, format_day, next_step
from actions.outcome_store import ConversationOutcome, OutcomeStore
from actions.script_library import ScriptFacts, ScriptLibrary
from actions.stop_recorder import StopRecord, StopRecorder, run_in_action_server, said_at

logger = logging.getLogger(__name__)

# Policy files are validated when the action server starts: a mistake stops it with a clear message.
ESCALATION = EscalationPolicy.from_yaml()
SCRIPTS = ScriptLibrary.from_yaml(ESCALATION)
COMPLIANCE = CompliancePolicy.from_yaml(ESCALATION)
CREDITOR = Creditor.from_yaml()
MESSAGES = MessageCatalogue.from_yaml(tones=ESCALATION.tones)
COMMITMENTS = CommitmentPolicy.from_yaml()
LOCKOUT = LockoutPolicy.from_yaml()
REFERENCES = CREDITOR.account_reference
check_dialogue_files(SCRIPTS.objections, COMPLIANCE.stops, ESCALATION.tones, REFERENCES)
COMPLIANCE.check_domain_file()
COMPLIANCE.check_outcomes(COMMITMENTS.precedence)
# Stops that could not be written when said are written when the database is back (actions/stop_recorder.py).
run_in_action_server(COMPLIANCE.retry_seconds, {i: stop.flag for i, stop in COMPLIANCE.stops.items()},
                     COMMITMENTS.stronger)

def creditor() -> Creditor:
    """The creditor's wording in the conversation's language."""
    return CREDITOR.in_language()


_repository: Optional[AccountRepository] = None


def accounts() -> AccountRepository:
    global _repository
    if _repository is None:
        _repository = AccountRepository()
    return _repository


def outcomes() -> OutcomeStore:
    return OutcomeStore(accounts().url)


def guard() -> VerificationGuard:
    return VerificationGuard(LOCKOUT, accounts().url)


def entity_text(tracker: Tracker, entity: str) -> Optional[str]:
    """The latest value of ``entity`` if it is text; values of any other type are ignored."""
    return next((v for v in tracker.get_latest_entity_values(entity) if isinstance(v, str)), None)


def slots_after(tracker: Tracker, events: List[Dict[Text, Any]]) -> Dict[Text, Any]:
    slots = dict(tracker.slots)
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    return slots


def record_outcome(tracker: Tracker, events: List[Dict[Text, Any]]) -> None:
    """Keeps the conversation's one outcome row up to date after every action."""
    slots = slots_after(tracker, events)
    code = slots.get("outcome") or "NO_COMMITMENT"
    account_id = slots.get("account_id") or (slots.get("account_reference") if code == "VERIFICATION_FAILED" else None)
    promised = code in ("PROMISE_TO_PAY", "PAYMENT_PLAN", "PARTIAL_PAYMENT", "PAY_NOW")
    outcomes().record_outcome(ConversationOutcome(
        conversation_id=tracker.sender_id, account_id=account_id, outcome=code,
        promise_date=date.fromisoformat(slots["promise_date"]) if promised and slots.get("promise_date") else None,
        promise_amount=Decimal(str(slots["promise_amount"])) if promised and slots.get("promise_amount") is not None else None,
        max_tone=slots.get("tone"),
        objections=[entry.split(":")[0] for entry in slots.get("objections_raised") or []]))


def outcome_event(tracker: Tracker, code: str) -> Dict[Text, Any]:
    return SlotSet("outcome", COMMITMENTS.stronger(tracker.get_slot("outcome"), code))


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
        with speaking(tracker.get_slot("language")):
            return self.answer(dispatcher, tracker)

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        try:
            events = self.act(dispatcher, tracker)
            record_outcome(tracker, events)
            return events
        except SQLAlchemyError:
            logger.exception("accounts database unavailable in %s", self.name())
            tell(dispatcher, "service_unavailable", **creditor().contact())
            return []
        except Exception:  # a defect must still leave the debtor with an answer, never silence
            logger.exception("%s failed", self.name())
            tell(dispatcher, "something_went_wrong", **creditor().contact())
            return []


def verified_account(tracker: Tracker) -> Optional[Account]:
    """The verified account, after settling any promise whose date has passed."""
    if tracker.get_slot("verified") is not True or not tracker.get_slot("account_id"):
        return None
    outcomes().settle_promises(tracker.get_slot("account_id"), today())
    return accounts().get(tracker.get_slot("account_id"))


def account_facts(account: Account) -> Dict[str, str]:
    return {"name": account.full_name, "account_id": account.account_id,
            "amount": format_money(account.balance, account.currency),
            "due_date": format_date(account.due_date), "overdue": describe_overdue(account, today())}


def ask_for_identity(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Asks for whichever identity detail is still missing; the lock-out is the ledger's, never the conversation's."""
    reference = REFERENCES.find(tracker.get_slot("account_reference"))
    if reference and guard().is_locked(reference):
        tell(dispatcher, "verification_locked", **creditor().contact())
        return [SlotSet("verification_locked", True), SlotSet("awaiting", None)]
    if reference:
        tell(dispatcher, "ask_date_of_birth")
        return [SlotSet("verification_locked", False), SlotSet("awaiting", "date_of_birth")]
    tell(dispatcher, "ask_account_reference", reference_description=creditor().account_reference.description)
    return [SlotSet("verification_locked", False), SlotSet("awaiting", "account_reference")]


def identity_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Declines to discuss the account until identity is confirmed, and asks for what is missing."""
    tell(dispatcher, "identity_first")
    return ask_for_identity(dispatcher, tracker)


# Placeholders whose values are names the assistant may always say, whatever they spell ("Jordan Bailiff").
NAME_PLACEHOLDERS = ("name", "creditor_name", "assistant_name")


def say(dispatcher: CollectingDispatcher, text: str, where: str = "counter-script",
        names: Tuple[str, ...] = ()) -> None:
    """Sends ``text``; wording the policy forbids (outside the allowed ``names``) is replaced by the safe message
    and raised as an alert."""
    dispatcher.utter_message(text=COMPLIANCE.safe(text, where, names + (creditor().creditor_name,),
                                                  **creditor().contact()))


def tell(dispatcher: CollectingDispatcher, key: str, tone: Optional[str] = None, **values: Any) -> None:
    message = MESSAGES.render(key, tone, **values)
    names = tuple(values[k] for k in NAME_PLACEHOLDERS if isinstance(values.get(k), str))
    checked = COMPLIANCE.safe(message["text"], f"message {key}", names + (creditor().creditor_name,),
                              **creditor().contact())
    dispatcher.utter_message(**(message if checked is message["text"] else {"text": checked}))


class ActionValidateSlotMappings(ValidationAction):
    """Runs after every message (Rasa's slot extraction): sets the conversation's ``language``."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    def extract_language(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        message = tracker.latest_message or {}
        slot = tracker.get_slot("language")
        chosen = choose(slot, tracker.get_slot("verified") is True, message.get("text") or "",
                        (message.get("metadata") or {}).get("language"))
        return {"language": chosen} if chosen != slot else {}


class ActionGreet(CollectionsAction):
    def name(self) -> Text:
        return "action_greet"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if account:
            tell(dispatcher, "greet_again", name=account.full_name)
            return []
        tell(dispatcher, "introduction", assistant_name=creditor().assistant_name,
                                 creditor_name=creditor().creditor_name)
        return ask_for_identity(dispatcher, tracker)


class ActionVerifyIdentity(CollectionsAction):
    def name(self) -> Text:
        return "action_verify_identity"

    def act(self, dispatcher, tracker):
        if tracker.get_slot("verified"):
            account = verified_account(tracker)
            tell(dispatcher, "already_verified", name=account.full_name if account else "")
            return []
        message = tracker.latest_message or {}
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        reference = (REFERENCES.find(entity_text(tracker, "account_id"))
                     or (REFERENCES.find(text) if not text.startswith("/") else None)
                     or REFERENCES.find(tracker.get_slot("account_reference")))
        date_of_birth = (parse_date_of_birth(entity_text(tracker, "date_of_birth"), today(), REFERENCES)
                         or parse_date_of_birth(text, today(), REFERENCES))
        events: List[Dict[Text, Any]] = [SlotSet("account_reference", reference)]

        if not reference:
            tell(dispatcher, "account_reference_unreadable", reference_description=creditor().account_reference.description)
            return events + [SlotSet("awaiting", "account_reference")]
        checks = guard()
        if checks.is_locked(reference):
            tell(dispatcher, "verification_locked", **creditor().contact())
            return events + [SlotSet("verification_locked", True), SlotSet("awaiting", None),
                             outcome_event(tracker, "VERIFICATION_FAILED")]
        if not date_of_birth:
            intent = (message.get("intent") or {}).get("name")
            if tracker.get_slot("awaiting") == "date_of_birth" and intent == "provide_dob":
                tell(dispatcher, "date_of_birth_unreadable")
            else:
                tell(dispatcher, "ask_date_of_birth")
            return events + [SlotSet("verification_locked", False), SlotSet("awaiting", "date_of_birth")]

        account = accounts().get(reference)
        if account and account.date_of_birth == date_of_birth:
            checks.record_success(account.account_id)
            # From here on the account's language, unless the debtor asks to switch (ActionExtractLanguage).
            language = supported(account.language) or current.get()
            with speaking(language):
                return events + [SlotSet("language", language)] + self.welcome(dispatcher, account)

        result = checks.record_failure(reference)
        if result.locked:
            tell(dispatcher, "verification_locked", **creditor().contact())
            return events + [SlotSet("verification_locked", True), SlotSet("awaiting", None),
                             outcome_event(tracker, "VERIFICATION_FAILED")]
        tell(dispatcher, "verification_failed", attempts_left=result.attempts_left)
        return events + [SlotSet("verification_locked", False), SlotSet("awaiting", "date_of_birth")]

    @staticmethod
    def welcome(dispatcher: CollectingDispatcher, account: Account) -> List[Dict[Text, Any]]:
        """The verified debtor's welcome: the disclosure, thanks for payments, the balance."""
        tell(dispatcher, "verified", name=account.full_name, disclosure=creditor().collection_disclosure)
        outcomes().settle_promises(account.account_id, today())
        for payment in outcomes().payments_to_thank(account.account_id):
            tell(dispatcher, "payment_thanks", amount=format_money(payment.amount, account.currency),
                 date=format_date(payment.paid_on))
        if account.balance > 0:
            tell(dispatcher, "balance", **account_facts(account))
        else:
            tell(dispatcher, "paid_in_full", account_id=account.account_id)
        return [SlotSet("verified", True), SlotSet("account_id", account.account_id),
                SlotSet("verification_locked", False), SlotSet("awaiting", None)]


class ActionTellBalance(CollectionsAction):
    def name(self) -> Text:
        return "action_tell_balance"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account:
            return identity_first(dispatcher, tracker)
        tell(dispatcher, "balance", **account_facts(account))
        return []


class ActionCounterObjection(CollectionsAction):
    """Answers a stalling reply with the counter-script for its objection, one tone firmer each time.

    After a compliance stop it sends no script. An objection with a hold (policy/compliance.yml) first writes
    its flag with what the debtor said; while the hold is open the tone is not raised again."""

    def name(self) -> Text:
        return "action_counter_objection"

    def act(self, dispatcher, tracker):
        objection = (tracker.latest_message.get("intent") or {}).get("name")
        account = verified_account(tracker)
        if not account:
            return identity_first(dispatcher, tracker)
        if tracker.get_slot("pressure_stopped"):
            tell(dispatcher, "pressure_stopped")
            return [SlotSet("objection", objection)]
        current, hold = tracker.get_slot("tone"), COMPLIANCE.hold_for(objection)
        held = (hold or tracker.get_slot("escalation_hold")) and current
        tone = current if held else ESCALATION.next_tone(account, current, today())
        raised = list(tracker.get_slot("objections_raised") or [])
        repeat = sum(1 for earlier in raised if earlier == f"{objection}:{tone}")
        events = [SlotSet("tone", tone), SlotSet("objection", objection),
                  SlotSet("objections_raised", raised + [f"{objection}:{tone}"])]
        if hold:
            accounts().raise_flag(account.account_id, hold, tracker.sender_id,
                                  note=(tracker.latest_message.get("text") or "")[:1000])
            events.append(SlotSet("escalation_hold", hold))
        facts = ScriptFacts.of(account, today(), creditor().creditor_name, ESCALATION.consequences_sentence())
        say(dispatcher, SCRIPTS.render(objection, tone, facts, repeat), f"script {objection}.{tone}",
            (facts.name,))
        tell(dispatcher, "way_forward", tone=tone)
        return events


def stop_said(tracker: Tracker, flag: str) -> StopRecord:
    """The stop in the debtor's latest message, keyed by that message's id (as the reconciler keys it)."""
    said = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return StopRecord(stop_key=said.get("message_id") or f"{tracker.sender_id}:{said.get('timestamp')}",
                      conversation_id=tracker.sender_id, account_id=tracker.get_slot("account_id"), flag=flag,
                      note=tracker.latest_message.get("text") or "", said_at=said_at(said.get("timestamp")))


class ActionComplianceStop(CollectionsAction):
    """Dispute, stop-contact, attorney, bankruptcy, hardship, refusal: write the stop and end all pressure.

    The Rasa server has already set ``pressure_stopped`` from the intent (domain slot mappings). The
    acknowledgement follows as a domain response (``data/rules.yml``) whose "recorded" wording needs
    ``stop_recorded``, set here only after the write; a stop not written now is written later by
    actions/stop_recorder.py."""

    def name(self) -> Text:
        return "action_compliance_stop"

    def act(self, dispatcher, tracker):
        stop = COMPLIANCE.stop_for((tracker.latest_message.get("intent") or {}).get("name"))
        if stop is None:
            return []
        events = [SlotSet("pressure_stopped", True), SlotSet("compliance_flag", stop.flag),
                  SlotSet("pending_confirmation", "handoff"), outcome_event(tracker, stop.flag)]
        if not (tracker.get_slot("verified") and tracker.get_slot("account_id")):
            return events + [SlotSet("stop_recorded", False)]
        try:
            StopRecorder(accounts().url).record(stop_said(tracker, stop.flag), "conversation")
        except SQLAlchemyError:
            logger.exception("compliance stop %s not written yet; it will be written when the database is back",
                             stop.flag)
            return events + [SlotSet("stop_recorded", False)]
        return events + [SlotSet("stop_recorded", True)]

    def answer(self, dispatcher, tracker):
        events = self.act(dispatcher, tracker)
        try:
            record_outcome(tracker, events)
        except SQLAlchemyError:
            logger.warning("outcome of %s not written: accounts database unavailable", self.name())
        return events


class ActionRequestHuman(CollectionsAction):
    def name(self) -> Text:
        return "action_request_human"

    def act(self, dispatcher, tracker):
        if tracker.get_slot("verified") and tracker.get_slot("account_id"):
            accounts().raise_flag(tracker.get_slot("account_id"), "HUMAN_HANDOFF", tracker.sender_id)
        tell(dispatcher, "handoff", **creditor().contact())
        return [SlotSet("pending_confirmation", None), outcome_event(tracker, "HUMAN_HANDOFF")]


class ActionAffirm(CollectionsAction):
    def name(self) -> Text:
        return "action_affirm"

    def act(self, dispatcher, tracker):
        if tracker.get_slot("pending_confirmation") == "handoff":
            return ActionRequestHuman().act(dispatcher, tracker)
        account = verified_account(tracker)
        if not account:
            return ask_for_identity(dispatcher, tracker)
        if tracker.get_slot("pressure_stopped"):
            tell(dispatcher, "anything_else")
            return []
        if tracker.get_slot("pending_confirmation") == "commitment":
            return record_commitment(dispatcher, tracker, account)
        if tracker.get_slot("commitment"):
            return negotiate(dispatcher, tracker, account, draft_from_slots(tracker))
        tell(dispatcher, "way_forward", tone=tracker.get_slot("tone"))
        return []


class ActionDeny(CollectionsAction):
    def name(self) -> Text:
        return "action_deny"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account and not tracker.get_slot("verification_locked"):
            return ask_for_identity(dispatcher, tracker)
        if account and tracker.get_slot("commitment"):
            draft = draft_from_slots(tracker)
            changed = draft.merged_with(tracker.latest_message.get("text") or "", today(), draft_balance(draft, account))
            if changed != draft:
                return negotiate(dispatcher, tracker, account, changed, text="")
            tell(dispatcher, "what_to_change")
            return [SlotSet("pending_confirmation", None)]
        tell(dispatcher, "anything_else")
        return [SlotSet("pending_confirmation", None)]


class ActionPaymentInstructions(CollectionsAction):
    """Payment methods; for "I'll pay now" also records the intent to pay today."""

    def name(self) -> Text:
        return "action_payment_instructions"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account:
            return identity_first(dispatcher, tracker)
        amount = format_money(account.balance, account.currency)
        tell(dispatcher, "payment_instructions", amount=amount, **creditor().payment_details(account.account_id))
        if (tracker.latest_message.get("intent") or {}).get("name") != "agree_to_pay" or account.balance <= 0:
            return []
        tell(dispatcher, "pay_now_recorded", name=account.full_name, amount=amount)
        return [SlotSet("promise_date", today().isoformat()), SlotSet("promise_amount", float(account.balance)),
                outcome_event(tracker, "PAY_NOW")]


KIND_FOR_INTENT = {"promise_to_pay": "promise", "request_installments": "plan", "offer_partial_payment": "partial"}
DRAFT_CLEARED = [SlotSet("commitment", None), SlotSet("draft_date", None), SlotSet("draft_amount", None),
                 SlotSet("plan_months", None), SlotSet("pending_confirmation", None)]


def draft_from_slots(tracker: Tracker) -> Draft:
    due, amount, months = (tracker.get_slot(s) for s in ("draft_date", "draft_amount", "plan_months"))
    return Draft(kind=tracker.get_slot("commitment") or "promise",
                 due=date.fromisoformat(due) if due else None,
                 amount=Decimal(str(amount)).quantize(Decimal("0.01")) if amount is not None else None,
                 months=int(months) if months else None)


def draft_balance(draft: Draft, account: Account) -> Decimal:
    return draft.amount if draft.kind == "rest" and draft.amount is not None else account.balance


def negotiate(dispatcher: CollectingDispatcher, tracker: Tracker, account: Account, draft: Draft,
              text: Optional[str] = None) -> List[Dict[Text, Any]]:
    """Merges what was just said into the draft, then asks for what is missing or reads the terms back."""
    if tracker.get_slot("pressure_stopped"):  # after a compliance stop the assistant asks for nothing
        tell(dispatcher, "pressure_stopped")
        return [SlotSet("commitment", None)]
    balance = draft_balance(draft, account)
    text = tracker.latest_message.get("text") or "" if text is None else text
    if not text.startswith("/"):
        draft = draft.merged_with(text, today(), balance)
    step = next_step(draft, COMMITMENTS, balance, account.currency, today())
    for message in step.messages:
        tell(dispatcher, message.pop("key"), **message)
    kept = step.draft
    return [SlotSet("commitment", kept.kind),
            SlotSet("draft_date", kept.due.isoformat() if kept.due else None),
            SlotSet("draft_amount", float(kept.amount) if kept.amount is not None else None),
            SlotSet("plan_months", kept.months),
            SlotSet("pending_confirmation", "commitment" if step.ready else None)]


def record_commitment(dispatcher: CollectingDispatcher, tracker: Tracker, account: Account) -> List[Dict[Text, Any]]:
    draft = draft_from_slots(tracker)
    balance = draft_balance(draft, account)
    step = next_step(draft, COMMITMENTS, balance, account.currency, today())
    if not step.ready:
        return negotiate(dispatcher, tracker, account, draft, text="")
    kind = "promise" if step.draft.kind == "rest" else step.draft.kind
    outcomes().record_promises(account.account_id, tracker.sender_id, kind, step.schedule, today())
    first = step.schedule[0]
    events = [SlotSet("promise_date", first.due.isoformat()), SlotSet("promise_amount", float(first.amount)),
              outcome_event(tracker, OUTCOME_FOR_KIND[step.draft.kind])] + DRAFT_CLEARED
    money = lambda value: format_money(value, account.currency)  # noqa: E731
    link = creditor().payment_details(account.account_id)["payment_link"]
    when = format_day(first.due, today())
    if step.draft.kind == "plan":
        tell(dispatcher, "plan_recorded", name=account.full_name, count=len(step.schedule),
             amount=money(first.amount), date=when, payment_link=link)
    elif step.draft.kind == "partial":
        rest = balance - first.amount
        tell(dispatcher, "partial_recorded", amount=money(first.amount), date=when, rest=money(rest),
             latest_date=format_day(COMMITMENTS.latest_date(today()), today()))
        events += [SlotSet("commitment", "rest"), SlotSet("draft_amount", float(rest))]
    else:
        tell(dispatcher, "promise_recorded", name=account.full_name, amount=money(first.amount), date=when,
             payment_link=link)
    if COMMITMENTS.warning_requests and outcomes().check_warning_sign(
            account.account_id, today(), COMMITMENTS.warning_requests, COMMITMENTS.warning_days):
        logger.info("account %s flagged: keeps asking for more time", account.account_id)
    return events


class ActionNegotiateCommitment(CollectionsAction):
    """Promise to pay, instalment plan or part payment: collect the terms, keep them within policy, read back."""

    def name(self) -> Text:
        return "action_negotiate_commitment"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if not account:
            return identity_first(dispatcher, tracker)
        if account.balance <= 0:
            tell(dispatcher, "paid_in_full", account_id=account.account_id)
            return []
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        draft = draft_from_slots(tracker) if tracker.get_slot("commitment") else Draft()
        asked_kind = KIND_FOR_INTENT.get(intent)
        if asked_kind and asked_kind != draft.kind and not (draft.kind == "rest" and asked_kind == "promise"):
            draft = Draft(kind=asked_kind)
        return negotiate(dispatcher, tracker, account, draft)


class ActionCarryOn(CollectionsAction):
    """After a language switch (confirmed by utter_language_switched): asks again, now in the new language, for
    whatever the conversation was waiting for; nothing already said (introduction, disclosure) is repeated."""

    def name(self) -> Text:
        return "action_carry_on"

    def act(self, dispatcher, tracker):
        account = verified_account(tracker)
        if account is None:
            if tracker.get_slot("verification_locked"):
                tell(dispatcher, "verification_locked", **creditor().contact())
                return []
            if not introduced(tracker):
                tell(dispatcher, "introduction", assistant_name=creditor().assistant_name,
                     creditor_name=creditor().creditor_name)
            return ask_for_identity(dispatcher, tracker)
        if tracker.get_slot("pressure_stopped"):
            tell(dispatcher, "pressure_stopped")
            return []
        if tracker.get_slot("commitment"):
            return negotiate(dispatcher, tracker, account, draft_from_slots(tracker), text="")
        tell(dispatcher, "way_forward", tone=tracker.get_slot("tone"))
        return []


def introduced(tracker: Tracker) -> bool:
    """Whether the assistant spoke before the debtor's latest message."""
    events = list(tracker.events)
    latest = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return any(e.get("event") == "bot" for e in events[:latest])
