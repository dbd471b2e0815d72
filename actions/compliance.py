"""Compliance rules from ``policy/compliance.yml``: requests that stop all pressure, objections that hold
escalation while a check is open, the claims the wording may make, and the last check on every outgoing message."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import yaml

from actions.escalation import EscalationPolicy
from actions.language import DEFAULT, TEXTS, texts
from actions.policy_files import PROJECT_ROOT, PolicyError, load_policy, require

SOURCE = "policy/compliance.yml"
STOP_SLOTS = ("pressure_stopped", "stop_recorded")  # domain slots the Rasa server fills from the stop intents
CLAIM_BACKINGS = {"COMPLAINT", "PAYMENT_TRACE", "HUMAN_HANDOFF", "hold", "pressure_stopped", "stop_recorded",
                  "stop_pending", "unverified_stop", "commitment"}

alerts = logging.getLogger("collections.alerts")


@dataclass(frozen=True)
class ComplianceStop:
    intent: str
    flag: str
    acknowledgement: str


class CompliancePolicy:
    def __init__(self, stops: Dict[str, ComplianceStop], holds: Dict[str, str], max_failed_attempts: int,
                 retry_seconds: float, claim_words: List[str], claims: Dict[str, str], blocked_message: str,
                 escalation: EscalationPolicy):
        self.stops = stops
        self.holds = holds
        self.max_failed_attempts = max_failed_attempts
        self.retry_seconds = retry_seconds
        self.claim_words = claim_words
        self.claims = claims
        self.blocked_message = blocked_message
        self.escalation = escalation

    @classmethod
    def from_yaml(cls, escalation: EscalationPolicy, data: Optional[Dict[str, Any]] = None) -> "CompliancePolicy":
        data = load_policy("compliance.yml") if data is None else data
        raw = data.get("stops")
        require(isinstance(raw, dict) and raw, SOURCE, "needs a 'stops' mapping of intent -> flag, acknowledgement")
        stops = {}
        for intent, entry in raw.items():
            require(isinstance(entry, dict) and entry.get("flag") and entry.get("acknowledgement"), SOURCE,
                    f"stop {intent} needs a flag and an acknowledgement (a domain response)")
            require(str(entry["acknowledgement"]).startswith("utter_"), SOURCE,
                    f"stop {intent}: acknowledgement must name a domain response (utter_...)")
            stops[intent] = ComplianceStop(intent, str(entry["flag"]), str(entry["acknowledgement"]))
        holds = data.get("holds") or {}
        require(isinstance(holds, dict) and all(isinstance(f, str) and f for f in holds.values()), SOURCE,
                "holds must map an objection intent to the flag it records")
        clash = sorted(set(holds) & set(stops))
        require(not clash, SOURCE, f"{', '.join(clash)} cannot be both a stop and a hold")
        attempts = (data.get("verification") or {}).get("max_failed_attempts")
        require(isinstance(attempts, int) and attempts >= 1, SOURCE,
                "verification.max_failed_attempts must be a whole number of 1 or more")
        retry = data.get("recording_retry_seconds")
        require(isinstance(retry, (int, float)) and retry > 0, SOURCE,
                "recording_retry_seconds must be a number of seconds above 0")
        claims = data.get("claims") or {}
        words, phrases = claims.get("words"), claims.get("phrases")
        require(isinstance(words, list) and words and all(isinstance(w, str) and w for w in words), SOURCE,
                "claims.words must list the words that mark a promise about what happens next")
        require(isinstance(phrases, dict) and phrases, SOURCE, "claims.phrases must map each claim to its backing")
        for phrase, backing in phrases.items():
            require(backing in CLAIM_BACKINGS, SOURCE,
                    f"claim {phrase!r}: unknown backing {backing!r} (known: {', '.join(sorted(CLAIM_BACKINGS))})")
        for code, local in TEXTS.items():
            unknown = sorted({b for b in local.claims.values()} - set(CLAIM_BACKINGS))
            require(not unknown, f"policy/{code}/policy.yml", f"claims: unknown backing(s) {unknown}")
        blocked = data.get("blocked_message")
        require(isinstance(blocked, str) and blocked.strip(), SOURCE, "blocked_message must be text")
        try:
            blocked.format(support_phone="", support_hours="")
        except (KeyError, IndexError, ValueError) as exc:
            raise PolicyError(f"{SOURCE}: blocked_message may use only {{support_phone}} and {{support_hours}} "
                              f"({exc})") from None
        bad = escalation.forbidden_terms_in(blocked)
        require(not bad, SOURCE, f"blocked_message uses forbidden term(s) {', '.join(bad)}")
        return cls(stops, {str(k): str(v) for k, v in holds.items()}, attempts, float(retry),
                   [w.lower() for w in words], {str(k): str(v) for k, v in phrases.items()}, blocked, escalation)

    def stop_for(self, intent: Optional[str]) -> Optional[ComplianceStop]:
        return self.stops.get(intent or "")

    def hold_for(self, intent: Optional[str]) -> Optional[str]:
        return self.holds.get(intent or "")

    def check_domain_file(self, path: Path = PROJECT_ROOT / "domain.yml",
                          rules_path: Path = PROJECT_ROOT / "data" / "rules.yml") -> None:
        with open(path, encoding="utf-8") as handle:
            self.check_domain(yaml.safe_load(handle) or {}, str(path))
        with open(rules_path, encoding="utf-8") as handle:
            self.check_rules(yaml.safe_load(handle) or {}, str(rules_path))

    def check_rules(self, rules: Dict[str, Any], source: str = "data/rules.yml") -> None:
        """Each stop needs its rule: the intent, then action_compliance_stop, then its acknowledgement."""
        paths = set()
        for rule in rules.get("rules") or []:
            steps = rule.get("steps") or []
            paths |= {(a.get("intent"), b.get("action"), c.get("action"))
                      for a, b, c in zip(steps, steps[1:], steps[2:])}
        missing = [f"{s.intent} -> action_compliance_stop -> {s.acknowledgement}" for s in self.stops.values()
                   if (s.intent, "action_compliance_stop", s.acknowledgement) not in paths]
        if missing:
            raise PolicyError(f"{source} and {SOURCE} disagree: add a rule for each stop: {'; '.join(missing)}")

    def check_outcomes(self, outcome_codes: Sequence[str]) -> None:
        missing = [s.flag for s in self.stops.values() if s.flag not in outcome_codes]
        require(not missing, SOURCE, f"stop flag(s) {', '.join(missing)} are not outcome codes in "
                                     "policy/commitments.yml outcome_precedence")

    def check_domain(self, domain: Dict[str, Any], source: str = "domain.yml") -> None:
        """Fails loudly unless the domain fills the stop slots from exactly the stop intents and has every
        acknowledgement, with an honest default variation and a "recorded" one only after the write."""
        intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
        wanted = set(self.stops)
        unknown = sorted(wanted - intents)
        if unknown:
            raise PolicyError(f"{SOURCE}: stop intent(s) {', '.join(unknown)} are not intents in {source}")
        unknown = sorted(set(self.holds) - intents)
        if unknown:
            raise PolicyError(f"{SOURCE}: hold intent(s) {', '.join(unknown)} are not intents in {source}")
        slots = domain.get("slots") or {}
        for name in STOP_SLOTS:
            mapped = set()
            for mapping in (slots.get(name) or {}).get("mappings") or []:
                if mapping.get("type") == "from_intent":
                    listed = mapping.get("intent")
                    mapped |= set([listed] if isinstance(listed, str) else listed or [])
            if mapped != wanted:
                raise PolicyError(
                    f"{source} and {SOURCE} disagree: slot {name} is filled (from_intent) by "
                    f"{sorted(mapped) or 'no intent'}, but the stops are {sorted(wanted)}")
        responses = domain.get("responses") or {}
        for stop in self.stops.values():
            variations = responses.get(stop.acknowledgement)
            if not variations:
                raise PolicyError(f"{source}: no response {stop.acknowledgement} for the {stop.intent} stop")
            if not any(not v.get("condition") for v in variations):
                raise PolicyError(f"{source}: {stop.acknowledgement} needs a variation without a condition, "
                                  "said when the action server cannot run")
            for variation in variations:
                recorded = any(c.get("name") == "stop_recorded" and c.get("value") is True
                               for c in variation.get("condition") or [])
                language = next((c.get("value") for c in variation.get("condition") or []
                                 if c.get("name") == "language"), None)
                phrases = self.claims if texts(language or DEFAULT) is None else texts(language).claims
                claims = [p for p, b in phrases.items() if b == "stop_recorded" and p in variation.get("text", "")]
                if claims and not recorded:
                    raise PolicyError(f"{source}: {stop.acknowledgement} says {claims[0]!r} in a variation "
                                      "not conditioned on stop_recorded: true")
            for variation in variations:
                language = next((c.get("value") for c in variation.get("condition") or []
                                 if c.get("name") == "language"), None)
                bad = self.escalation.forbidden_terms_in(variation.get("text", ""), language or DEFAULT)
                if bad:
                    raise PolicyError(f"{source}: {stop.acknowledgement} uses forbidden term(s) {', '.join(bad)}")

    def blocked_terms(self, text: str, allowed_names: Iterable[str] = ()) -> tuple:
        return self.escalation.forbidden_terms_in(text, allowed_names=allowed_names)

    def safe(self, text: str, where: str, allowed_names: Iterable[str] = (), **contact: str) -> str:
        """``text`` unchanged, or the blocked message (with an alert logged) when it names something forbidden.
        ``allowed_names`` are the names the text may carry whatever they are (the debtor's, the creditor's)."""
        bad = self.blocked_terms(text, allowed_names)
        if not bad:
            return text
        alerts.error("ALERT blocked outgoing message (%s): it named %s; the safe message was sent instead",
                     where, ", ".join(bad))
        local = texts()
        return (self.blocked_message if local is None else local.blocked_message).format(**contact)
