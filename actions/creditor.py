"""The creditor's configuration (``policy/creditor.yml``): who we collect for and how debtors pay."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from actions.policy_files import load_policy, require

SOURCE = "policy/creditor.yml"
REQUIRED_TEXT = ("creditor_name", "assistant_name", "collection_disclosure", "support_phone", "support_hours")
PAYMENT_METHODS = ("bank_transfer", "payment_link", "card_by_phone")


@dataclass(frozen=True)
class Creditor:
    creditor_name: str
    assistant_name: str
    collection_disclosure: str
    support_phone: str
    support_hours: str
    payment_instructions: Dict[str, str]
    branding: Dict[str, str]

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None) -> "Creditor":
        data = load_policy("creditor.yml") if data is None else data
        for key in REQUIRED_TEXT:
            require(isinstance(data.get(key), str) and data[key].strip(), SOURCE, f"{key} must be set")
        payment = data.get("payment_instructions") or {}
        missing = [m for m in PAYMENT_METHODS if not isinstance(payment.get(m), str)]
        require(not missing, SOURCE, f"payment_instructions needs: {', '.join(missing)}")
        return cls(**{k: data[k] for k in REQUIRED_TEXT}, payment_instructions=dict(payment),
                   branding=dict(data.get("branding") or {}))

    def contact(self) -> Dict[str, str]:
        return {"support_phone": self.support_phone, "support_hours": self.support_hours}

    def payment_details(self, account_id: str) -> Dict[str, str]:
        return {k: v.replace("{account_id}", account_id) for k, v in self.payment_instructions.items()}
