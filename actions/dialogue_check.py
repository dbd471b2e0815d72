"""Start-up check that the Rasa files agree with the policy files where Rasa needs its own copy of a list.

The lists are defined in policy files: objections (the keys of ``policy/scripts.yml``), tones
(``policy/escalation.yml``) and the account reference pattern (``policy/creditor.yml``). Rasa needs the
objection intents in ``domain.yml`` and in the counter-script rule of ``data/rules.yml``, the tones as the
``tone`` slot's values, and the reference pattern in ``data/nlu/regex.yml``. Any disagreement stops the
action server with a ``PolicyError`` saying which file to fix.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, Set

import yaml

from actions.account_reference import NLU_REGEX_FILE, AccountReferenceFormat, check_nlu_regex
from actions.policy_files import PROJECT_ROOT, PolicyError, require

COUNTER_ACTION = "action_counter_objection"


def _read(path: Path) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from None
    require(isinstance(data, dict), str(path), "expected a mapping at the top level")
    return data


def domain_intents(domain: Dict[str, Any]) -> Set[str]:
    return {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}


def intents_routed_to(action: str, rules: Dict[str, Any]) -> Set[str]:
    """Intents whose rule (a plain ``intent`` step or an ``or`` of them) is followed by ``action``."""
    routed: Set[str] = set()
    for rule in rules.get("rules") or []:
        steps = rule.get("steps") or []
        for step, following in zip(steps, steps[1:]):
            if following.get("action") != action:
                continue
            if "intent" in step:
                routed.add(step["intent"])
            for choice in step.get("or") or []:
                if "intent" in choice:
                    routed.add(choice["intent"])
    return routed


def check_dialogue(domain: Dict[str, Any], rules: Dict[str, Any], objections: Iterable[str],
                   stops: Iterable[str], tones: Iterable[str], domain_source: str = "domain.yml",
                   rules_source: str = "data/rules.yml") -> None:
    objections, stops, tones = list(objections), set(stops), list(tones)
    missing = sorted(set(objections) - domain_intents(domain))
    require(not missing, domain_source, f"objection(s) with scripts in policy/scripts.yml are not intents: "
                                        f"{', '.join(missing)}")
    routed = intents_routed_to(COUNTER_ACTION, rules)
    unrouted = sorted(set(objections) - stops - routed)
    require(not unrouted, rules_source, f"add {', '.join(unrouted)} to the 'or' of the rule for {COUNTER_ACTION} "
                                        f"(they have scripts in policy/scripts.yml)")
    scriptless = sorted(routed - set(objections))
    require(not scriptless, rules_source, f"{', '.join(scriptless)} lead to {COUNTER_ACTION} but have no scripts "
                                          f"in policy/scripts.yml")
    values = ((domain.get("slots") or {}).get("tone") or {}).get("values")
    require(values == tones, domain_source, f"slot 'tone' must have values {tones} (policy/escalation.yml tones), "
                                            f"found {values}")


def check_dialogue_files(objections: Iterable[str], stops: Iterable[str], tones: Iterable[str],
                         references: AccountReferenceFormat, root: Path = PROJECT_ROOT) -> None:
    """The check above on the project's own ``domain.yml``, ``data/rules.yml`` and ``data/nlu/regex.yml``."""
    check_dialogue(_read(root / "domain.yml"), _read(root / "data" / "rules.yml"), objections, stops, tones)
    check_nlu_regex(references, _read(root / NLU_REGEX_FILE))
