"""Compliance rules: requests that stop all pressure, and the last check on every outgoing message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from actions.escalation import EscalationPolicy
from actions.policy_files import load_policy, require

SOURCE = "policy/compliance.yml"
STOP_INTENTS = ("dispute_debt", "request_stop_contact", "has_attorney", "declare_bankruptcy", "hardship")


@dataclass(frozen=True)
class ComplianceStop:
    intent: str
    flag: str


class UnlawfulWording(RuntimeError):
    """A message about to be sent names something the policy forbids."""


class CompliancePolicy:
    def __init__(self, stops: Dict[str, ComplianceStop], max_failed_attempts: int, escalation: EscalationPolicy):
        self.stops = stops
        self.max_failed_attempts = max_failed_attempts
        self.escalation = escalation

    @classmethod
    def from_yaml(cls, escalation: EscalationPolicy, data: Optional[Dict[str, Any]] = None) -> "CompliancePolicy":
        data = load_policy("compliance.yml") if data is None else data
        raw = data.get("stops")
        require(isinstance(raw, dict), SOURCE, "needs a 'stops' mapping")
        missing = [i for i in STOP_INTENTS if i not in raw]
        require(not missing, SOURCE, f"no stop defined for: {', '.join(missing)}")
        stops = {}
        for intent, entry in raw.items():
            require(intent in STOP_INTENTS, SOURCE, f"unknown stop {intent!r}")
            require(isinstance(entry, dict) and entry.get("flag"), SOURCE, f"{intent} needs a flag")
            stops[intent] = ComplianceStop(intent, str(entry["flag"]))
        attempts = (data.get("verification") or {}).get("max_failed_attempts")
        require(isinstance(attempts, int) and attempts >= 1, SOURCE,
                "verification.max_failed_attempts must be a whole number of 1 or more")
        return cls(stops, attempts, escalation)

    def stop_for(self, intent: Optional[str]) -> Optional[ComplianceStop]:
        return self.stops.get(intent or "")

    def checked(self, text: str) -> str:
        """Returns ``text`` unchanged, or raises if it names a forbidden consequence."""
        bad = self.escalation.forbidden_terms_in(text)
        if bad:
            raise UnlawfulWording(f"refusing to send a message naming {', '.join(bad)}")
        return text
