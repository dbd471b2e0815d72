"""The counter-script library: ``policy/scripts.yml`` checked at start-up and rendered with account facts."""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from actions.account import Account, describe_overdue, format_date, format_money
from actions.escalation import EscalationPolicy
from actions.language import DEFAULT, OTHERS, current, policy_path
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
        """Facts written in the conversation's language (actions/language.py)."""
        return cls(name=account.full_name, amount=format_money(account.balance, account.currency),
                   due_date=format_date(account.due_date), overdue=describe_overdue(account, today),
                   creditor=creditor, consequences=consequences)


class ScriptLibrary:
    """The English scripts, and each other language's (``policy/<code>/scripts.yml``) with every objection,
    tone and variant of the English ones; ``render`` speaks the conversation's language."""

    def __init__(self, scripts: Dict[str, Dict[str, List[str]]], policy: EscalationPolicy,
                 translations: Optional[Dict[str, Dict[str, Dict[str, List[str]]]]] = None):
        self.scripts = scripts
        self.policy = policy
        self.translations = translations or {}

    @classmethod
    def from_yaml(cls, policy: EscalationPolicy, data: Optional[Dict[str, Any]] = None) -> "ScriptLibrary":
        translations = {}
        if data is None:
            data = load_policy("scripts.yml")
            translations = {code: load_policy(policy_path(code, "scripts.yml")).get("objections")
                            for code in OTHERS}
        objections = cls._checked(policy, data.get("objections"), SOURCE, None)
        for code, local in translations.items():
            source = f"policy/{policy_path(code, 'scripts.yml')}"
            cls._checked(policy, local, source, code)
            missing = sorted(set(objections) - set(local))
            require(not missing, source, f"missing objection(s) that {SOURCE} has: {', '.join(missing)}")
            for objection, tones in objections.items():
                for tone in policy.tones:
                    require(len(local[objection][tone]) == len(tones[tone]), source,
                            f"{objection}.{tone} needs {len(tones[tone])} variants, as in {SOURCE}")
        return cls(objections, policy, translations)

    @classmethod
    def _checked(cls, policy: EscalationPolicy, objections: Any, source: str,
                 language: Optional[str]) -> Dict[str, Dict[str, List[str]]]:
        require(isinstance(objections, dict), source, "needs an 'objections' mapping")
        require(bool(objections), source, "needs at least one objection")
        for objection, tones in objections.items():
            require(isinstance(objection, str) and objection.isidentifier(), source,
                    f"objection {objection!r} must be an intent name from domain.yml")
            require(isinstance(tones, dict), source, f"{objection} must map tones to lists of variants")
            for tone in policy.tones:
                variants = tones.get(tone)
                where = f"{objection}.{tone}"
                require(isinstance(variants, list) and variants, source, f"{where} needs at least one variant")
                for number, text in enumerate(variants, start=1):
                    cls._check_variant(policy, f"{where} variant {number}", tone, text, source, language)
        return objections

    @staticmethod
    def _check_variant(policy: EscalationPolicy, where: str, tone: str, text: Any, source: str = SOURCE,
                       language: Optional[str] = None) -> None:
        require(isinstance(text, str) and text.strip(), source, f"{where} must be text")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise PolicyError(f"{source}: {where} has a broken placeholder: {exc}") from None
        unknown = fields - PLACEHOLDERS
        require(not unknown, source, f"{where} uses unknown placeholder(s) {sorted(unknown)}; "
                                     f"allowed: {sorted(PLACEHOLDERS)}")
        require("amount" in fields, source, f"{where} must state the amount with {{amount}}")
        if tone == policy.legal_tone:
            require("consequences" in fields, source,
                    f"{where} must name consequences only through {{consequences}}")
        else:
            require("consequences" not in fields, source, f"{where}: only legal scripts may name consequences")
        bad = policy.forbidden_terms_in(text, language or DEFAULT)
        require(not bad, source, f"{where} uses forbidden term(s): {', '.join(bad)}")

    @property
    def objections(self) -> Tuple[str, ...]:
        return tuple(self.scripts)

    def variant_count(self, objection: str, tone: str) -> int:
        return len(self.scripts[objection][tone])

    def render(self, objection: str, tone: str, facts: ScriptFacts, repeat: int = 0) -> str:
        """The counter-script; ``repeat`` counts earlier uses of this objection and tone, so wording rotates."""
        variants = self.translations.get(current.get(), self.scripts)[objection][tone]
        return variants[repeat % len(variants)].format(**facts.__dict__)


# The objections: the intents that have counter-scripts in policy/scripts.yml (the one list of them).
OBJECTIONS: Tuple[str, ...] = tuple(load_policy("scripts.yml").get("objections") or ())
