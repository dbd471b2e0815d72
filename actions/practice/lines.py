"""The debtor's words: policy/debtor_lines.yml (English) and policy/<code>/debtor_lines.yml for each other language
of policy/languages.yml, checked at start-up against every scenario that speaks that language: a scenario in
language X needs every line it can say in X's file, or the action server does not start."""
from __future__ import annotations

import re
import string
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, Iterator, List, MutableMapping, Tuple

from actions.language import DEFAULT, LANGUAGES, long_date, money, policy_path
from actions.practice.moves import tactic_catalogue
from actions.practice.scenarios import TRAPS, Scenario, creditor_name, debtor_objections, load_scenarios
from actions.policy_files import POLICY_DIR, PolicyError, load_policy, require

FILE = "debtor_lines.yml"
SOURCE = f"policy/{FILE}"
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


def source(language: str) -> str:
    return f"policy/{policy_path(language, FILE)}"


def format_money(amount: Decimal, currency: str, language: str = DEFAULT) -> str:
    return money(amount, currency, language)


def format_day(day: date, language: str = DEFAULT) -> str:
    return long_date(day, language)


def placeholders(scenario: Scenario, today: date) -> Dict[str, str]:
    language = scenario.language
    values = {"name": scenario.full_name, "first_name": scenario.first_name, "company": scenario.company or "",
              "dob": format_day(scenario.date_of_birth, language),
              "amount": format_money(scenario.balance, scenario.currency, language),
              "due_date": format_day(scenario.due_date(today), language), "creditor": creditor_name(),
              "offer_amount": "", "offer_date": ""}
    if scenario.trap:
        values["offer_amount"] = format_money(scenario.trap.offer_amount, scenario.currency, language)
        values["offer_date"] = format_day(today + timedelta(days=scenario.trap.offer_in_days), language)
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


def _check_variants(node: Any, where: str, where_file: str = SOURCE) -> None:
    if isinstance(node, dict):
        require(set(node) == {"consumer", "business"}, where_file,
                f"{where} must be a list of lines, or split into exactly 'consumer' and 'business'")
        for kind, lines in node.items():
            _check_variants(lines, f"{where}.{kind}", where_file)
        return
    require(isinstance(node, list) and len(node) > 0 and all(isinstance(t, str) and t.strip() for t in node),
            where_file, f"{where} must be a non-empty list of lines")
    for text in node:
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            raise PolicyError(f"{where_file}: {where}: bad placeholder in {text!r}: {exc}") from exc


def _node(data: Dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def parse_debtor_lines(data: Dict[str, Any], scenarios: Dict[str, Scenario], today: date,
                       language: str = DEFAULT) -> DebtorLines:
    """The lines of ``language`` checked against its scenarios. English must have every line of every objection
    and trap; another language the general lines and what its own scenarios can say."""
    where_file = source(language)
    lines = DebtorLines(data)
    required = list(GENERAL) + [f"unlawful.{t}" for t in unlawful_reactions()]
    if language == DEFAULT:
        required += [f"objections.{o}.{line}" for o in debtor_objections() for line in OBJECTION_LINES]
        required += [f"traps.{kind}.{line}" for kind in TRAPS for line in TRAP_LINES]
    for key in required:
        try:
            node = _node(data, key)
        except (KeyError, TypeError):
            raise PolicyError(f"{where_file}: '{key}' is missing") from None
        _check_variants(node, key, where_file)
    spoken = [s for s in scenarios.values() if s.language == language]
    for scenario in spoken:
        for key in lines.keys_for(scenario):
            try:
                node = _node(data, key)
            except (KeyError, TypeError):
                raise PolicyError(f"{where_file}: '{key}' is missing; scenario {scenario.id} speaks {language} "
                                  f"and needs it") from None
            _check_variants(node, key, where_file)
    for scenario in spoken:
        values = _Strict(placeholders(scenario, today))
        for key in lines.keys_for(scenario):
            for text in lines.variants(key, scenario.debtor_kind):
                try:
                    text.format_map(values)
                except KeyError as exc:
                    raise PolicyError(f"{where_file}: {key}: {{{exc.args[0]}}} is not known for scenario "
                                      f"{scenario.id} (add it to its details in policy/scenarios.yml)") from None
    return lines


def parse_language_lines(files: Dict[str, Dict[str, Any]], scenarios: Dict[str, Scenario],
                         today: date) -> Dict[str, DebtorLines]:
    """Every language's lines ({code: file content}); a language whose scenarios have no lines file fails."""
    for language in sorted({s.language for s in scenarios.values()} - set(files)):
        needing = sorted(s.id for s in scenarios.values() if s.language == language)
        raise PolicyError(f"{source(language)}: file not found; scenario(s) {', '.join(needing)} speak {language} "
                          f"and need their lines there")
    return {language: parse_debtor_lines(data, scenarios, today, language) for language, data in files.items()}


@lru_cache(maxsize=1)
def load_debtor_lines() -> Dict[str, DebtorLines]:
    """{language: its lines} for English and every language with a policy/<code>/debtor_lines.yml."""
    files = {code: load_policy(policy_path(code, FILE)) for code in LANGUAGES
             if code == DEFAULT or (POLICY_DIR / policy_path(code, FILE)).is_file()}
    return parse_language_lines(files, load_scenarios(), date.today())
