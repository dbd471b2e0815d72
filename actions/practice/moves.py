"""Collector moves and unlawful tactics, for the practice debtor and the rubric. No Rasa import.

The moves are the intents of practice/domain.yml (start_scenario excepted); the tactics, their titles and English
patterns live in policy/unlawful_tactics.yml, and each other language's patterns for the same tactic ids in
policy/<code>/unlawful_tactics.yml. A text is checked against every language's patterns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Set, Tuple

import yaml

from actions.language import OTHERS, policy_path
from actions.policy_files import PROJECT_ROOT, PolicyError, load_policy, require

PRACTICE_DOMAIN = PROJECT_ROOT / "practice" / "domain.yml"
NOT_MOVES = {"start_scenario"}
TACTICS_SOURCE = "policy/unlawful_tactics.yml"
LEGAL_STEPS = "legal_steps"


def read_moves(domain: Path = PRACTICE_DOMAIN) -> Tuple[str, ...]:
    try:
        intents = yaml.safe_load(domain.read_text(encoding="utf-8")).get("intents") or []
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise PolicyError(f"{domain}: cannot read the collector moves: {exc}") from exc
    names = [i if isinstance(i, str) else next(iter(i)) for i in intents]
    return tuple(n for n in names if n not in NOT_MOVES)


MOVES: Tuple[str, ...] = read_moves()
# Moves that press for payment (a collector who has been told to stop must not make them).
PRESSING_MOVES = frozenset({"state_balance", "restate_terms", "propose_date", "propose_plan", "propose_partial",
                            "ask_commitment", "lawful_consequence", "unlawful_threat"})


def moves_from_parse(parse_data: Dict[str, Any]) -> Set[str]:
    """Every move of one collector message, from /model/parse output or a tracker user event's parse_data."""
    listed = parse_data.get("moves")
    if isinstance(listed, list):
        return {m for m in listed if m in MOVES}
    name = (parse_data.get("intent") or {}).get("name")
    return {name} if name in MOVES else set()


@dataclass(frozen=True)
class Tactic:
    name: str
    title: str
    patterns: Tuple[Pattern[str], ...]

    def used_in(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


def _patterns(spec: Dict[str, Any], where: str, source: str) -> Tuple[Pattern[str], ...]:
    patterns = spec.get("patterns")
    require(isinstance(patterns, list) and len(patterns) > 0, source, f"{where} needs a list of patterns")
    compiled = []
    for pattern in patterns:
        require(isinstance(pattern, str), source, f"{where}: patterns must be strings")
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise PolicyError(f"{source}: {where}: bad pattern {pattern!r}: {exc}") from exc
    return tuple(compiled)


def _tactic(name: str, spec: Any, where: str) -> Tactic:
    require(isinstance(spec, dict), TACTICS_SOURCE, f"{where} must be a mapping with title and patterns")
    require(isinstance(spec.get("title"), str) and spec["title"].strip() != "", TACTICS_SOURCE,
            f"{where} needs a title")
    return Tactic(name, spec["title"].strip(), _patterns(spec, where, TACTICS_SOURCE))


def language_patterns(language: str, tactics: Tuple[str, ...],
                      data: Optional[Dict[str, Any]] = None) -> Dict[str, Tuple[Pattern[str], ...]]:
    """policy/<code>/unlawful_tactics.yml: patterns for every tactic id of the English file (and legal_steps),
    no other ids."""
    name = policy_path(language, "unlawful_tactics.yml")
    source = f"policy/{name}"
    data = load_policy(name) if data is None else data
    listed = data.get("tactics")
    require(isinstance(listed, dict), source, "needs a 'tactics' mapping of the tactic ids of " + TACTICS_SOURCE)
    missing, unknown = [t for t in tactics if t not in listed], [t for t in listed if t not in tactics]
    require(not missing, source, f"no patterns for tactic(s) {', '.join(missing)}")
    require(not unknown, source, f"unknown tactic id(s) {', '.join(unknown)}; the ids are those of {TACTICS_SOURCE}")
    patterns = {}
    for tactic, spec in listed.items():
        require(isinstance(spec, dict), source, f"tactics.{tactic} must be a mapping with patterns")
        patterns[tactic] = _patterns(spec, f"tactics.{tactic}", source)
    legal = data.get("legal_steps")
    require(isinstance(legal, dict), source, "needs 'legal_steps' with patterns")
    patterns[LEGAL_STEPS] = _patterns(legal, "legal_steps", source)
    return patterns


@dataclass(frozen=True)
class TacticCatalogue:
    tactics: Tuple[Tactic, ...]
    legal_steps: Tactic

    @classmethod
    def from_yaml(cls) -> "TacticCatalogue":
        data = load_policy("unlawful_tactics.yml")
        tactics = data.get("tactics")
        require(isinstance(tactics, dict) and len(tactics) > 0, TACTICS_SOURCE, "needs a 'tactics' mapping")
        legal = data.get("legal_steps")
        require(isinstance(legal, dict) and isinstance(legal.get("tactic"), str), TACTICS_SOURCE,
                "needs 'legal_steps' with the tactic name it reports")
        english = [_tactic(name, spec, f"tactics.{name}") for name, spec in tactics.items()]
        legal_steps = _tactic(legal["tactic"], legal, "legal_steps")
        for language in OTHERS:
            more = language_patterns(language, tuple(t.name for t in english))
            english = [replace(t, patterns=t.patterns + more[t.name]) for t in english]
            legal_steps = replace(legal_steps, patterns=legal_steps.patterns + more[LEGAL_STEPS])
        return cls(tuple(english), legal_steps)

    def titles(self) -> Dict[str, str]:
        return {t.name: t.title for t in self.tactics + (self.legal_steps,)}

    def used_in(self, text: str, legal_action_allowed: bool = True) -> List[str]:
        found = [t.name for t in self.tactics if t.used_in(text)]
        if not legal_action_allowed and self.legal_steps.used_in(text):
            found.append(self.legal_steps.name)
        return found


@lru_cache(maxsize=1)
def tactic_catalogue() -> TacticCatalogue:
    return TacticCatalogue.from_yaml()


def unlawful_tactics(text: str, legal_action_allowed: bool = True) -> List[str]:
    """Which unlawful tactic categories ``text`` uses, e.g. ["arrest_or_prison"]. With
    ``legal_action_allowed=False`` naming legal steps counts too ("legal_action_not_allowed")."""
    return tactic_catalogue().used_in(text, legal_action_allowed)
