"""The counter-script library: ``policy/scripts.yml`` checked at start-up and rendered with account facts."""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from actions.account import Account, describe_overdue, format_date, format_money
from actions.escalation import EscalationPolicy
from actions.policy_files import PolicyError, load_policy, require

SOURCE = "policy/scripts.yml"
PLACEHOLDERS = {"name", "amount", "due_date", "overdue", "creditor", "consequences"}


@dataclass(frozen=True)
class ScriptFacts:
    name: str
    amount: str
    due_date: str
    overdue: str
    creditor: str
    consequences: str

    @classmethod
    def of(cls, account: Account, today: date, creditor: str, consequences: str) -> "ScriptFacts":
        return cls(name=account.full_name, amount=format_money(account.balance, account.currency),
                   due_date=format_date(account.due_date), overdue=describe_overdue(account, today),
                   creditor=creditor, consequences=consequences)


class ScriptLibrary:
    def __init__(self, scripts: Dict[str, Dict[str, List[str]]], policy: EscalationPolicy):
        self.scripts = scripts
        self.policy = policy

    @classmethod
    def from_yaml(cls, policy: EscalationPolicy, data: Optional[Dict[str, Any]] = None) -> "ScriptLibrary":
        data = load_policy("scripts.yml") if data is None else data
        objections = data.get("objections")
        require(isinstance(objections, dict), SOURCE, "needs an 'objections' mapping")
        require(bool(objections), SOURCE, "needs at least one objection")
        for objection, tones in objections.items():
            require(isinstance(objection, str) and objection.isidentifier(), SOURCE,
                    f"objection {objection!r} must be an intent name from domain.yml")
            require(isinstance(tones, dict), SOURCE, f"{objection} must map tones to lists of variants")
            for tone in policy.tones:
                variants = tones.get(tone)
                where = f"{objection}.{tone}"
                require(isinstance(variants, list) and variants, SOURCE, f"{where} needs at least one variant")
                for number, text in enumerate(variants, start=1):
                    cls._check_variant(policy, f"{where} variant {number}", tone, text)
        return cls(objections, policy)

    @staticmethod
    def _check_variant(policy: EscalationPolicy, where: str, tone: str, text: Any) -> None:
        require(isinstance(text, str) and text.strip(), SOURCE, f"{where} must be text")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise PolicyError(f"{SOURCE}: {where} has a broken placeholder: {exc}") from None
        unknown = fields - PLACEHOLDERS
        require(not unknown, SOURCE, f"{where} uses unknown placeholder(s) {sorted(unknown)}; "
                                     f"allowed: {sorted(PLACEHOLDERS)}")
        require("amount" in fields, SOURCE, f"{where} must state the amount with {{amount}}")
        if tone == policy.legal_tone:
            require("consequences" in fields, SOURCE,
                    f"{where} must name consequences only through {{consequences}}")
        else:
            require("consequences" not in fields, SOURCE, f"{where}: only legal scripts may name consequences")
        bad = policy.forbidden_terms_in(text)
        require(not bad, SOURCE, f"{where} uses forbidden term(s): {', '.join(bad)}")

    @property
    def objections(self) -> Tuple[str, ...]:
        return tuple(self.scripts)

    def variant_count(self, objection: str, tone: str) -> int:
        return len(self.scripts[objection][tone])

    def render(self, objection: str, tone: str, facts: ScriptFacts, repeat: int = 0) -> str:
        """The counter-script; ``repeat`` counts earlier uses of this objection and tone, so wording rotates."""
        variants = self.scripts[objection][tone]
        return variants[repeat % len(variants)].format(**facts.__dict__)


# The objections: the intents that have counter-scripts in policy/scripts.yml (the one list of them).
OBJECTIONS: Tuple[str, ...] = tuple(load_policy("scripts.yml").get("objections") or ())
