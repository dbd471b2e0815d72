"""The debtor's words: policy/debtor_lines.yml, checked at start-up against every scenario that can say them."""
from __future__ import annotations

import re
import string
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, Iterator, List, MutableMapping, Tuple

from actions.practice.moves import tactic_catalogue
from actions.practice.scenarios import TRAPS, Scenario, creditor_name, debtor_objections, load_scenarios
from actions.policy_files import PolicyError, load_policy, require

SOURCE = "policy/debtor_lines.yml"
GENERAL = ("opening", "who_is_calling", "after_introduction", "refuse_details_to_stranger", "give_date_of_birth",
           "date_of_birth_again", "heard_disclosure", "next_objection", "give_in.date", "give_in.plan",
           "give_in.partial", "confirm_read_back", "already_agreed", "goodbye_committed",
           "goodbye_without_commitment", "hears_lawful_consequence", "hang_up_patience", "insulted",
           "hang_up_insult", "puzzled_by_stop", "unclear", "call_ended")
OBJECTION_LINES = ("raise", "push_back")
TRAP_LINES = ("fire", "repeat", "honoured", "ignored")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")
# Said to any unlawful threat that no pattern names.
GENERIC_THREAT = "threat"


def format_money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def format_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def placeholders(scenario: Scenario, today: date) -> Dict[str, str]:
    values = {"name": scenario.full_name, "first_name": scenario.first_name, "company": scenario.company or "",
              "dob": format_day(scenario.date_of_birth), "amount": format_money(scenario.balance, scenario.currency),
              "due_date": format_day(scenario.due_date(today)), "creditor": creditor_name(),
              "offer_amount": "", "offer_date": ""}
    if scenario.trap:
        values["offer_amount"] = format_money(scenario.trap.offer_amount, scenario.currency)
        values["offer_date"] = format_day(today + timedelta(days=scenario.trap.offer_in_days))
    return {**values, **scenario.details}


def capitalise_sentences(text: str) -> str:
    """A placeholder such as "the chairman" may open a sentence."""
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


@dataclass(frozen=True)
class DebtorLines:
    entries: Dict[str, Any]

    def variants(self, key: str, kind: str) -> List[str]:
        node: Any = self.entries
        for part in key.split("."):
            node = node[part]
        return node[kind] if isinstance(node, dict) else node

    def say(self, key: str, scenario: Scenario, today: date, seed: str, uses: MutableMapping[str, int]) -> str:
        """One variant of ``key`` for this debtor, rotating through the variants on each use."""
        variants = self.variants(key, scenario.debtor_kind)
        used = uses.get(key, 0)
        uses[key] = used + 1
        text = variants[(zlib.crc32(f"{seed}:{key}".encode()) + used) % len(variants)]
        return capitalise_sentences(text.format_map(_Strict(placeholders(scenario, today))))

    def keys_for(self, scenario: Scenario) -> Iterator[str]:
        yield from GENERAL
        for objection in scenario.objections:
            yield from (f"objections.{objection}.{line}" for line in OBJECTION_LINES)
        yield from (f"unlawful.{tactic}" for tactic in unlawful_reactions())
        if scenario.trap:
            yield from (f"traps.{scenario.trap.kind}.{line}" for line in TRAP_LINES)


def unlawful_reactions() -> Tuple[str, ...]:
    return tuple(tactic_catalogue().titles()) + (GENERIC_THREAT,)


def _check_variants(node: Any, where: str) -> None:
    if isinstance(node, dict):
        require(set(node) == {"consumer", "business"}, SOURCE,
                f"{where} must be a list of lines, or split into exactly 'consumer' and 'business'")
        for kind, lines in node.items():
            _check_variants(lines, f"{where}.{kind}")
        return
    require(isinstance(node, list) and len(node) > 0 and all(isinstance(t, str) and t.strip() for t in node),
            SOURCE, f"{where} must be a non-empty list of lines")
    for text in node:
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            raise PolicyError(f"{SOURCE}: {where}: bad placeholder in {text!r}: {exc}") from exc


def parse_debtor_lines(data: Dict[str, Any], scenarios: Dict[str, Scenario], today: date) -> DebtorLines:
    lines = DebtorLines(data)
    required = list(GENERAL)
    required += [f"objections.{o}.{line}" for o in debtor_objections() for line in OBJECTION_LINES]
    required += [f"unlawful.{t}" for t in unlawful_reactions()]
    required += [f"traps.{kind}.{line}" for kind in TRAPS for line in TRAP_LINES]
    for key in required:
        try:
            node: Any = data
            for part in key.split("."):
                node = node[part]
        except (KeyError, TypeError):
            raise PolicyError(f"{SOURCE}: '{key}' is missing") from None
        _check_variants(node, key)
    for scenario in scenarios.values():
        values = _Strict(placeholders(scenario, today))
        for key in lines.keys_for(scenario):
            for text in lines.variants(key, scenario.debtor_kind):
                try:
                    text.format_map(values)
                except KeyError as exc:
                    raise PolicyError(f"{SOURCE}: {key}: {{{exc.args[0]}}} is not known for scenario {scenario.id} "
                                      f"(add it to its details in policy/scenarios.yml)") from None
    return lines


@lru_cache(maxsize=1)
def load_debtor_lines() -> DebtorLines:
    return parse_debtor_lines(load_policy("debtor_lines.yml"), load_scenarios(), date.today())
