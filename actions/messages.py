"""The assistant's own wording for what actions say (``policy/messages.yml``), checked at start-up."""
from __future__ import annotations

import string
from typing import Any, Dict, List, Optional, Sequence

from actions.escalation import EscalationPolicy
from actions.language import OTHERS, current, policy_path
from actions.policy_files import PolicyError, load_policy, require

SOURCE = "policy/messages.yml"
REQUIRED = {
    "introduction": {"assistant_name", "creditor_name"},
    "ask_account_reference": {"reference_description"}, "ask_date_of_birth": set(),
    "account_reference_unreadable": {"reference_description"},
    "date_of_birth_unreadable": set(), "verification_failed": {"attempts_left"},
    "verification_locked": {"support_phone", "support_hours"}, "already_verified": {"name"},
    "verified": {"name", "disclosure"},
    "balance": {"account_id", "amount", "due_date", "overdue"}, "identity_first": set(), "way_forward": set(),
    "handoff": {"support_phone", "support_hours"}, "pressure_stopped": set(),
    "payment_instructions": {"amount", "bank_transfer", "payment_link", "card_by_phone"},
    "greet_again": {"name"}, "service_unavailable": {"support_phone"},
    "something_went_wrong": {"support_phone"}, "anything_else": set(),
    "ask_promise_date": {"latest_date"}, "ask_promise_amount": {"date", "balance"},
    "ask_partial_amount": {"balance"}, "promise_adjusted": {"latest_date", "minimum"},
    "promise_read_back": {"amount", "date"}, "partial_read_back": {"amount", "date", "rest"},
    "rest_read_back": {"amount", "date"},
    "plan_read_back": {"months", "schedule", "balance", "max_months"},
    "plan_adjusted": {"max_months", "minimum_instalment"},
    "promise_recorded": {"name", "amount", "date", "payment_link"},
    "plan_recorded": {"name", "count", "amount", "date", "payment_link"},
    "partial_recorded": {"amount", "date", "rest", "latest_date"}, "what_to_change": set(),
    "pay_now_recorded": {"name", "amount"}, "payment_thanks": {"amount", "date"}, "paid_in_full": {"account_id"},
}


class MessageCatalogue:
    """The English messages, and each other language's (``policy/<code>/messages.yml``) with every key,
    placeholder and button payload of the English ones; ``render`` speaks the conversation's language."""

    def __init__(self, entries: Dict[str, Dict[str, Any]], tones: Sequence[str],
                 translations: Optional[Dict[str, Dict[str, Dict[str, Any]]]] = None):
        self.entries = entries
        self.tones = list(tones)
        self.translations = translations or {}

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None, required: Dict[str, set] = REQUIRED,
                  tones: Optional[Sequence[str]] = None) -> "MessageCatalogue":
        """``tones``: the escalation tones (policy/escalation.yml) a message may vary by."""
        translations = {}
        if data is None:
            data = load_policy("messages.yml")
            translations = {code: load_policy(policy_path(code, "messages.yml")) for code in OTHERS}
        tones = list(tones or EscalationPolicy.from_yaml().tones)
        cls._check(data, required, tones, SOURCE)
        for code, local in translations.items():
            source = f"policy/{policy_path(code, 'messages.yml')}"
            missing = sorted(set(data) - set(local))
            require(not missing, source, f"missing message(s) that policy/messages.yml has: {', '.join(missing)}")
            extra = sorted(set(local) - set(data))
            require(not extra, source, f"message(s) not in policy/messages.yml: {', '.join(extra)}")
            cls._check(local, {k: required.get(k, set()) for k in data}, tones, source)
            for key, entry in local.items():
                payloads = [b.get("payload") for b in data[key].get("buttons") or []]
                require([b.get("payload") for b in entry.get("buttons") or []] == payloads, source,
                        f"{key}: the buttons' payloads must be those of policy/messages.yml: {payloads}")
        return cls(data, tones, translations)

    @staticmethod
    def _check(data: Dict[str, Any], required: Dict[str, set], tones: List[str], source: str) -> None:
        missing = [k for k in required if k not in data]
        require(not missing, source, f"missing message(s): {', '.join(missing)}")
        for key, entry in data.items():
            require(isinstance(entry, dict), source, f"{key} must be a mapping with 'text' or one text per tone")
            texts = [entry["text"]] if "text" in entry else [entry.get(t) for t in tones]
            require(all(isinstance(t, str) and t.strip() for t in texts), source,
                    f"{key} needs 'text', or all of {', '.join(tones)}")
            allowed = required.get(key, set())
            for text in texts:
                try:
                    used = {f for _, f, _, _ in string.Formatter().parse(text) if f}
                except ValueError as exc:
                    raise PolicyError(f"{source}: {key} has a broken placeholder: {exc}") from None
                require(used <= allowed, source,
                        f"{key} uses unknown placeholder(s) {sorted(used - allowed)}; allowed: {sorted(allowed)}")
            for button in entry.get("buttons") or []:
                require(isinstance(button, dict) and button.get("title") and button.get("payload"), source,
                        f"{key}: every button needs a title and a payload")

    def render(self, key: str, tone: Optional[str] = None, **values: Any) -> Dict[str, Any]:
        """``{"text": ..., "buttons": [...]}`` ready for ``dispatcher.utter_message(**...)``."""
        entry = self.translations.get(current.get(), self.entries)[key]
        text = entry.get("text") or entry.get(tone or self.tones[0]) or entry[self.tones[0]]
        message: Dict[str, Any] = {"text": text.format(**values)}
        buttons: List[Dict[str, str]] = entry.get("buttons") or []
        if buttons:
            message["buttons"] = [dict(b) for b in buttons]
        return message
