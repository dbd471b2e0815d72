"""Practice scenarios from policy/scenarios.yml, checked at start-up with the scenario and the problem named.

    load_scenarios() -> {id: Scenario}        Scenario.card(today) -> the facts a collector has on screen
    load_scenario_book() -> ScenarioBook      the scenarios plus the difficulty rules (give_in, patience, ...)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import yaml

from actions.language import DEFAULT as DEFAULT_LANGUAGE, LANGUAGES
from actions.practice.moves import MOVES
from actions.policy_files import PROJECT_ROOT, PolicyError, load_policy, require

SOURCE = "policy/scenarios.yml"
DIFFICULTIES = ("easy", "medium", "hard")
DEBTOR_KINDS = ("consumer", "business")
ROLES = ("consumer", "shop_owner", "bookkeeper", "director")
TRAPS = ("dispute", "attorney", "hardship")
# The issue asks for these among the debtors: a shop owner and a company bookkeeper.
REQUIRED_ROLES = ("consumer", "shop_owner", "bookkeeper")
REFUSAL = "refuse_to_pay"
# The concrete steps a debtor can agree to.
STEP_MOVES = frozenset({"propose_date", "propose_plan", "propose_partial"})
SCENARIO_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
ACCOUNT_ID = re.compile(r"^[A-Z]{2,3}-[0-9]{4,10}$")


def main_objections(domain: Path = PROJECT_ROOT / "domain.yml") -> Tuple[str, ...]:
    """The main assistant's objection intents (objection_*), in domain order."""
    files = sorted(domain.glob("*.yml")) if domain.is_dir() else [domain]
    intents: List[str] = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"{path}: cannot read the objection intents: {exc}") from exc
        intents += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
    objections = tuple(i for i in intents if i.startswith("objection_"))
    if not objections or REFUSAL not in intents:
        raise PolicyError(f"{domain}: expected objection_* intents and {REFUSAL} in the main domain")
    return objections


def debtor_objections() -> Tuple[str, ...]:
    """Everything a practice debtor can raise: the main domain's objections and refusing to pay."""
    return main_objections() + (REFUSAL,)


@dataclass(frozen=True)
class Trap:
    kind: str
    offer_amount: Decimal
    offer_in_days: int


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    difficulty: str
    debtor_kind: str
    role: str
    full_name: str
    date_of_birth: date
    account_id: str
    balance: Decimal
    currency: str
    days_overdue: int
    broken_promises: int
    legal_action_allowed: bool
    objections: Tuple[str, ...]
    trap: Optional[Trap]
    company: Optional[str] = None
    details: Dict[str, str] = field(default_factory=dict)
    notes: str = ""
    language: str = DEFAULT_LANGUAGE  # what the debtor speaks (policy/languages.yml)

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0]

    def due_date(self, today: date) -> date:
        return today - timedelta(days=self.days_overdue)

    def card(self, today: date) -> Dict[str, Any]:
        """What the collector sees: the account as the ledger has it, and the date of birth to check against."""
        return {
            "scenario": self.id, "title": self.title, "difficulty": self.difficulty,
            "debtor_kind": self.debtor_kind, "role": self.role, "full_name": self.full_name,
            "company": self.company, "creditor": creditor_name(),
            "account_id": self.account_id, "balance": float(self.balance), "currency": self.currency,
            "due_date": self.due_date(today).isoformat(), "days_overdue": self.days_overdue,
            "broken_promises": self.broken_promises, "legal_action_allowed": self.legal_action_allowed,
            "date_of_birth": self.date_of_birth.isoformat(), "notes": self.notes, "language": self.language,
        }

    def summary(self) -> Dict[str, Any]:
        """The list entry: GET /api/practice/scenarios."""
        return {"id": self.id, "title": self.title, "difficulty": self.difficulty,
                "objections": list(self.objections), "debtor_kind": self.debtor_kind,
                "trap": self.trap.kind if self.trap else None, "language": self.language,
                "language_name": LANGUAGES[self.language]}


@dataclass(frozen=True)
class ScenarioBook:
    scenarios: Dict[str, Scenario]
    stalling_moves: Dict[str, Tuple[str, ...]]
    give_in: Dict[str, Tuple[FrozenSet[str], ...]]
    patience: Dict[str, int]
    insults_tolerated: Dict[str, int]


def creditor_name() -> str:
    return str(load_policy("creditor.yml").get("creditor_name") or "").strip()


def _text(spec: Dict[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    require(isinstance(value, str) and value.strip() != "", SOURCE, f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _choice(spec: Dict[str, Any], key: str, allowed: Tuple[str, ...], where: str) -> str:
    value = spec.get(key)
    require(value in allowed, SOURCE, f"{where}: '{key}' must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _whole(spec: Dict[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = spec.get(key)
    require(isinstance(value, int) and not isinstance(value, bool) and value >= minimum, SOURCE,
            f"{where}: '{key}' must be a whole number of at least {minimum}, not {value!r}")
    return value


def _amount(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    require(not isinstance(value, bool) and amount.is_finite() and amount > 0, SOURCE,
            f"{where} must be a positive amount, not {value!r}")
    return amount.quantize(Decimal("0.01"))


def _trap(spec: Any, balance: Decimal, where: str) -> Optional[Trap]:
    if spec is None:
        return None
    require(isinstance(spec, dict), SOURCE, f"{where}: 'trap' must be a mapping or left out")
    kind = _choice(spec, "kind", TRAPS, f"{where}.trap")
    offer = _amount(spec.get("offer_amount"), f"{where}.trap.offer_amount")
    require(offer <= balance, SOURCE, f"{where}.trap.offer_amount is more than the balance")
    return Trap(kind, offer, _whole(spec, "offer_in_days", f"{where}.trap", 1))


def _scenario(spec: Any, index: int, objections: Tuple[str, ...]) -> Scenario:
    where = f"scenarios[{index}]"
    require(isinstance(spec, dict), SOURCE, f"{where} must be a mapping")
    scenario_id = spec.get("id")
    require(isinstance(scenario_id, str) and bool(SCENARIO_ID.match(scenario_id)), SOURCE,
            f"{where}: 'id' must be lower-case letters, digits and dashes, not {scenario_id!r}")
    where = f"scenario {scenario_id}"
    kind = _choice(spec, "debtor_kind", DEBTOR_KINDS, where)
    role = _choice(spec, "role", ROLES, where)
    require((role == "consumer") == (kind == "consumer"), SOURCE, f"{where}: role {role} does not fit a {kind}")
    company = spec.get("company")
    require(kind == "consumer" or (isinstance(company, str) and company.strip() != ""), SOURCE,
            f"{where}: a business debtor needs 'company'")
    born = spec.get("date_of_birth")
    require(isinstance(born, date), SOURCE, f"{where}: 'date_of_birth' must be a date (YYYY-MM-DD)")
    account_id = _text(spec, "account_id", where)
    require(bool(ACCOUNT_ID.match(account_id)), SOURCE, f"{where}: account_id {account_id!r} must look like PR-20001")
    currency = _text(spec, "currency", where)
    require(bool(re.match(r"^[A-Z]{3}$", currency)), SOURCE, f"{where}: currency must be a 3-letter code")
    legal = spec.get("legal_action_allowed")
    require(isinstance(legal, bool), SOURCE, f"{where}: 'legal_action_allowed' must be true or false")
    raised = spec.get("objections")
    require(isinstance(raised, list) and len(raised) > 0, SOURCE, f"{where}: 'objections' must be a non-empty list")
    for objection in raised:
        require(objection in objections, SOURCE,
                f"{where}: unknown objection {objection!r} (use the main domain's objection_* intents or {REFUSAL})")
    details = spec.get("details") or {}
    require(isinstance(details, dict) and all(isinstance(v, str) for v in details.values()), SOURCE,
            f"{where}: 'details' must map names to text")
    balance = _amount(spec.get("balance"), f"{where}.balance")
    language = spec.get("language", DEFAULT_LANGUAGE)
    require(language in LANGUAGES, SOURCE, f"{where}: 'language' must be one of policy/languages.yml "
                                           f"({', '.join(LANGUAGES)}), not {language!r}")
    return Scenario(
        id=scenario_id, title=_text(spec, "title", where), difficulty=_choice(spec, "difficulty", DIFFICULTIES, where),
        debtor_kind=kind, role=role, full_name=_text(spec, "full_name", where), date_of_birth=born,
        account_id=account_id, balance=balance, currency=currency,
        days_overdue=_whole(spec, "days_overdue", where, 1), broken_promises=_whole(spec, "broken_promises", where),
        legal_action_allowed=legal, objections=tuple(raised), trap=_trap(spec.get("trap"), balance, where),
        company=company.strip() if isinstance(company, str) else None, details=dict(details),
        notes=str(spec.get("notes") or "").strip(), language=language)


def _per_difficulty(data: Dict[str, Any], key: str, check) -> Dict[str, Any]:
    table = data.get(key)
    require(isinstance(table, dict) and set(table) == set(DIFFICULTIES), SOURCE,
            f"'{key}' must have exactly the difficulties {', '.join(DIFFICULTIES)}")
    return {difficulty: check(table[difficulty], f"{key}.{difficulty}") for difficulty in DIFFICULTIES}


def _groups(value: Any, where: str) -> Tuple[FrozenSet[str], ...]:
    require(isinstance(value, list) and len(value) > 0 and all(isinstance(g, list) and g for g in value), SOURCE,
            f"{where} must be a list of non-empty lists of moves")
    for group in value:
        for move in group:
            require(move in MOVES, SOURCE, f"{where}: {move!r} is not a move of practice/domain.yml")
    require(any(set(g) <= STEP_MOVES for g in value), SOURCE,
            f"{where} needs a group of concrete steps only ({', '.join(sorted(STEP_MOVES))})")
    return tuple(frozenset(g) for g in value)


def _count(value: Any, where: str) -> int:
    require(isinstance(value, int) and not isinstance(value, bool) and value >= 0, SOURCE,
            f"{where} must be a whole number")
    return value


def parse_scenario_book(data: Dict[str, Any]) -> ScenarioBook:
    objections = debtor_objections()
    specs = data.get("scenarios")
    require(isinstance(specs, list) and len(specs) >= 12, SOURCE, "needs a 'scenarios' list of at least 12")
    scenarios: Dict[str, Scenario] = {}
    for index, spec in enumerate(specs):
        scenario = _scenario(spec, index, objections)
        require(scenario.id not in scenarios, SOURCE, f"scenario id {scenario.id} is used twice")
        scenarios[scenario.id] = scenario
    stalling = data.get("stalling_moves")
    require(isinstance(stalling, dict) and set(stalling) == {"blame", "drag", "friendship", "deceive"}, SOURCE,
            "'stalling_moves' must list the objections of blame, drag, friendship and deceive")
    for move, listed in stalling.items():
        require(isinstance(listed, list) and listed and all(o in objections for o in listed), SOURCE,
                f"stalling_moves.{move} must list objections of the main domain")
    used = {o for s in scenarios.values() for o in s.objections}
    missing = [o for o in objections if o.startswith("objection_") and o not in used]
    require(not missing, SOURCE, f"no scenario raises {', '.join(missing)}; together they must cover every objection")
    for move, listed in stalling.items():
        uncovered = [o for o in listed if o not in used]
        require(not uncovered, SOURCE, f"stalling move {move}: no scenario raises {', '.join(uncovered)}")
    for required, values in (("difficulty", DIFFICULTIES), ("debtor_kind", DEBTOR_KINDS), ("role", REQUIRED_ROLES)):
        absent = [v for v in values if not any(getattr(s, required) == v for s in scenarios.values())]
        require(not absent, SOURCE, f"no scenario has {required} {', '.join(absent)}")
    require(any(s.trap for s in scenarios.values()), SOURCE, "at least one scenario needs a compliance trap")
    return ScenarioBook(
        scenarios=scenarios, stalling_moves={k: tuple(v) for k, v in stalling.items()},
        give_in=_per_difficulty(data, "give_in", _groups), patience=_per_difficulty(data, "patience", _count),
        insults_tolerated=_per_difficulty(data, "insults_tolerated", _count))


@lru_cache(maxsize=1)
def load_scenario_book() -> ScenarioBook:
    return parse_scenario_book(load_policy("scenarios.yml"))


def load_scenarios() -> Dict[str, Scenario]:
    """Every scenario by id; raises PolicyError naming the file and the problem."""
    return load_scenario_book().scenarios
