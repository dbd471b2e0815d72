"""Escalation policy: which tone a counter-script takes, from ``policy/escalation.yml``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, Iterable, List, Optional, Tuple

from actions.account import Account
from actions.forbidden_terms import found, malformed
from actions.language import DEFAULT, SPACED, active, join_list, texts
from actions.policy_files import load_policy, require

KNOWN_CONDITIONS = {"days_overdue_at_least", "broken_promises_at_least"}
SOURCE = "policy/escalation.yml"


@dataclass(frozen=True)
class StartingRule:
    tone: str
    conditions: Dict[str, int]

    def matches(self, account: Account, today: date) -> bool:
        facts = {"days_overdue_at_least": account.days_overdue(today),
                 "broken_promises_at_least": account.broken_promises}
        return all(facts[name] >= threshold for name, threshold in self.conditions.items())


class EscalationPolicy:
    def __init__(self, tones: List[str], rules: List[StartingRule], default_tone: str, steps: int,
                 ceiling_without_legal: str, allowed_consequences: List[str], forbidden_terms: List[str]):
        self.tones = tones
        self.rules = rules
        self.default_tone = default_tone
        self.steps = steps
        self.ceiling_without_legal = ceiling_without_legal
        self.allowed_consequences = allowed_consequences
        self.forbidden_terms = forbidden_terms

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None) -> "EscalationPolicy":
        data = load_policy("escalation.yml") if data is None else data
        tones = data.get("tones")
        require(isinstance(tones, list) and len(tones) >= 2 and all(isinstance(t, str) and t for t in tones)
                and len(set(tones)) == len(tones), SOURCE,
                "tones must list at least two different tone names, softest first; the last is the legal tone")
        rules, default_tone = [], None
        for index, entry in enumerate(data.get("starting_tone") or [], start=1):
            where = f"starting_tone rule {index}"
            require(isinstance(entry, dict), SOURCE, f"{where} must be a mapping")
            if "otherwise" in entry:
                require(entry["otherwise"] in tones, SOURCE, f"{where}: unknown tone {entry['otherwise']!r}")
                default_tone = entry["otherwise"]
                continue
            require(entry.get("tone") in tones, SOURCE, f"{where}: unknown tone {entry.get('tone')!r}")
            conditions = entry.get("when") or {}
            require(isinstance(conditions, dict) and conditions, SOURCE, f"{where} needs 'when' conditions")
            for name, value in conditions.items():
                require(name in KNOWN_CONDITIONS, SOURCE,
                        f"{where}: unknown condition {name!r} (known: {', '.join(sorted(KNOWN_CONDITIONS))})")
                require(isinstance(value, int) and value >= 0, SOURCE, f"{where}: {name} must be a whole number")
            rules.append(StartingRule(entry["tone"], dict(conditions)))
        require(default_tone is not None, SOURCE, "starting_tone needs an 'otherwise' entry")
        steps = data.get("steps_per_objection")
        require(isinstance(steps, int) and steps >= 0, SOURCE, "steps_per_objection must be a whole number")
        ceiling = data.get("ceiling_without_legal_permission")
        require(ceiling in tones[:-1], SOURCE,
                f"ceiling_without_legal_permission must be one of {', '.join(tones[:-1])} (not the legal tone)")
        consequences = data.get("allowed_consequences")
        require(isinstance(consequences, list) and consequences and all(isinstance(c, str) for c in consequences),
                SOURCE, "allowed_consequences must be a non-empty list of sentences")
        forbidden = [t.lower() for t in data.get("forbidden_terms") or []]
        require(bool(forbidden), SOURCE, "forbidden_terms must list at least one term")
        broken = malformed(forbidden, SPACED[DEFAULT])
        require(not broken, SOURCE, f"forbidden_terms: {list(broken)} cannot be matched (a '*' may only end a term)")
        for consequence in consequences:
            bad = list(found(consequence, forbidden, SPACED[DEFAULT]))
            require(not bad, SOURCE, f"allowed consequence {consequence!r} uses forbidden term(s) {bad}")
        return cls(tones, rules, default_tone, steps, ceiling, consequences, forbidden)

    @property
    def legal_tone(self) -> str:
        """The hardest tone: the only one that may name consequences, only for accounts that allow it."""
        return self.tones[-1]

    def ceiling(self, account: Account) -> str:
        return self.legal_tone if account.legal_action_allowed else self.ceiling_without_legal

    def starting_tone(self, account: Account, today: date) -> str:
        tone = next((r.tone for r in self.rules if r.matches(account, today)), self.default_tone)
        return self._capped(tone, account)

    def next_tone(self, account: Account, current: Optional[str], today: date) -> str:
        """Tone for the next objection: the starting tone first, then up a step each time, never down."""
        if current not in self.tones:
            return self.starting_tone(account, today)
        raised = self.tones[min(self.tones.index(current) + self.steps, len(self.tones) - 1)]
        return self._capped(raised, account, floor=current)

    def _capped(self, tone: str, account: Account, floor: Optional[str] = None) -> str:
        limit = self.tones.index(self.ceiling(account))
        index = min(self.tones.index(tone), limit)
        if floor is not None:
            index = max(index, self.tones.index(floor))
        return self.tones[index]

    def consequences_sentence(self, language: Optional[str] = None) -> str:
        """The allowed consequences joined, in the conversation's language (policy/<code>/policy.yml)."""
        local = texts(language)
        return join_list(self.allowed_consequences if local is None else local.allowed_consequences, language)

    def forbidden_terms_in(self, text: str, language: Optional[str] = None,
                           allowed_names: Iterable[str] = ()) -> Tuple[str, ...]:
        """Forbidden terms in ``text``: the English ones, and the language's own equivalents, each matched as its
        language writes words (actions/forbidden_terms.py); ``allowed_names`` (the debtor's, the creditor's) are
        not looked into."""
        names = tuple(allowed_names)
        local = texts(language)
        english = found(text, self.forbidden_terms, SPACED[DEFAULT], names)
        if local is None:
            return english
        return english + found(text, local.forbidden_terms, SPACED[active(language)], names)
