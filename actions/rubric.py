"""The rubric (``policy/rubric.yml``) and the one scorer for practice sessions, collectors' transcripts and the
live assistant's own conversations.

Pure Python, no Rasa: a conversation arrives as ``Turn``s whose collector moves and debtor intents have been
read already (``actions.move_readers`` reads them with the practice and main models).

    rubric = load_rubric()
    account, turns = parse_transcript(data)            # {"account": {...}, "turns": [{"speaker", "text"}]}
    scorecard = rubric.score(account, annotate(turns, readers), today)
    scorecard = rubric.score(account, turns, today, language="es")   # titles, advice, model answers in Spanish

Titles and advice in other languages: policy/<code>/rubric.yml (criteria: {id: {title, advice}}), every criterion.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Protocol, Sequence, Tuple

import yaml
from dateparser.search import search_dates

from actions.account import Account, format_date, format_money
from actions.clock import today as clock_today
from actions.compliance import CompliancePolicy
from actions.creditor import Creditor, load_creditor
from actions.escalation import EscalationPolicy
from actions.identity import parse_date_of_birth
from actions.language import DEFAULT as DEFAULT_LANGUAGE, OTHERS, current, policy_path, speaking, texts
from actions.messages import REQUIRED as MESSAGE_PLACEHOLDERS, MessageCatalogue
from actions.policy_files import PROJECT_ROOT, PolicyError, load_policy, require
from actions.script_library import OBJECTIONS, ScriptFacts, ScriptLibrary

SOURCE = "policy/rubric.yml"
PRACTICE_DOMAIN = PROJECT_ROOT / "practice" / "domain.yml"
MAIN_DOMAIN = PROJECT_ROOT / "domain.yml"
# Outside checks rely on these ids; the criteria themselves are defined in policy/rubric.yml.
FIXED_IDS = ("identify_self_and_creditor", "verify_before_disclosure", "debt_collector_disclosure",
             "acknowledge_reason", "restate_amount_and_date", "concrete_next_step", "dated_commitment",
             "read_back_commitment", "lawful_consequences_only", "honour_stop_requests", "respectful_language")
# Each rule: the keys it needs beyond the common ones, and the keys it may have.
RULES: Dict[str, Tuple[set, set]] = {
    "opening": ({"moves", "within_turns"}, set()),
    "not_before_identity": ({"moves"}, {"shown_by"}),
    "after_identity": ({"moves"}, {"before"}),
    "answers": ({"moves", "after"}, set()),
    "negotiates": ({"moves"}, set()),
    "reads_back": ({"moves", "agreed_to"}, set()),
    "never": ({"moves"}, {"unless_legal_allowed", "unlawful_tactics"}),
    "stop_honoured": ({"moves", "after", "pressing"}, set()),
}
COMMON = {"id", "title", "weight", "auto_fail", "rule", "advice", "model_answer"}
MOVE_KEYS = ("moves", "shown_by", "before", "unless_legal_allowed", "pressing", "agreed_to")
SPEAKERS = ("collector", "debtor")
MAX_TURNS = 400
MAX_TEXT = 4000
CURRENCY = re.compile(r"^[A-Z]{3}$")


class TranscriptError(ValueError):
    """A transcript that cannot be scored; the message says where and why."""


@dataclass(frozen=True)
class TranscriptAccount:
    full_name: str
    date_of_birth: date
    balance: Decimal
    currency: str
    due_date: date
    legal_action_allowed: bool

    def as_account(self) -> Account:
        return Account(account_id="", full_name=self.full_name, date_of_birth=self.date_of_birth,
                       balance=self.balance, currency=self.currency, due_date=self.due_date,
                       legal_action_allowed=self.legal_action_allowed)


@dataclass(frozen=True)
class Turn:
    """One message. ``moves`` (collector) and ``intent`` (debtor) are None until read."""
    speaker: str
    text: str
    moves: Optional[FrozenSet[str]] = None
    intent: Optional[str] = None
    tactics: Tuple[str, ...] = ()


class Readers(Protocol):
    def moves(self, text: str) -> Iterable[str]: ...
    def intent(self, text: str) -> Optional[str]: ...
    def tactics(self, text: str) -> Iterable[str]: ...


def annotate(turns: Sequence[Turn], readers: Readers) -> List[Turn]:
    """Fills in what is not read yet: moves and unlawful tactics of collector turns, intents of debtor turns."""
    read = []
    for turn in turns:
        if turn.speaker == "collector" and turn.moves is None:
            turn = replace(turn, moves=frozenset(readers.moves(turn.text)), tactics=tuple(readers.tactics(turn.text)))
        elif turn.speaker == "debtor" and turn.intent is None:
            turn = replace(turn, intent=readers.intent(turn.text))
        read.append(turn)
    return read


# ---------------------------------------------------------------- transcript input

def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TranscriptError(f"{where} must be a date written YYYY-MM-DD, not {value!r}") from None


def parse_transcript(data: Any) -> Tuple[TranscriptAccount, List[Turn]]:
    """``{"account": {...}, "turns": [{"speaker", "text"}]}`` checked; raises TranscriptError naming the problem."""
    if not isinstance(data, dict):
        raise TranscriptError("a transcript must be a JSON object with 'account' and 'turns'")
    raw = data.get("account")
    if not isinstance(raw, dict):
        raise TranscriptError("'account' must be an object with full_name, date_of_birth, balance, currency, "
                              "due_date and legal_action_allowed")
    missing = [k for k in ("full_name", "date_of_birth", "balance", "currency", "due_date", "legal_action_allowed")
               if k not in raw]
    if missing:
        raise TranscriptError(f"account is missing: {', '.join(missing)}")
    if not isinstance(raw["full_name"], str) or not raw["full_name"].strip():
        raise TranscriptError("account.full_name must be a non-empty text")
    try:
        balance = Decimal(str(raw["balance"]))
    except InvalidOperation:
        raise TranscriptError(f"account.balance must be a number, not {raw['balance']!r}") from None
    if not balance.is_finite() or balance < 0 or isinstance(raw["balance"], bool):
        raise TranscriptError(f"account.balance must be a number of 0 or more, not {raw['balance']!r}")
    if not isinstance(raw["currency"], str) or not CURRENCY.match(raw["currency"]):
        raise TranscriptError(f"account.currency must be a three-letter code such as USD, not {raw['currency']!r}")
    if not isinstance(raw["legal_action_allowed"], bool):
        raise TranscriptError("account.legal_action_allowed must be true or false")
    account = TranscriptAccount(raw["full_name"].strip(), _date(raw["date_of_birth"], "account.date_of_birth"),
                                balance, raw["currency"], _date(raw["due_date"], "account.due_date"),
                                raw["legal_action_allowed"])
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise TranscriptError("'turns' must be a non-empty list of {\"speaker\", \"text\"}")
    if len(turns) > MAX_TURNS:
        raise TranscriptError(f"a transcript may have at most {MAX_TURNS} turns, this one has {len(turns)}")
    parsed = []
    for number, turn in enumerate(turns, start=1):
        where = f"turns[{number}]"
        if not isinstance(turn, dict):
            raise TranscriptError(f"{where} must be an object with 'speaker' and 'text'")
        if turn.get("speaker") not in SPEAKERS:
            raise TranscriptError(f"{where}.speaker must be 'collector' or 'debtor', not {turn.get('speaker')!r}")
        text = turn.get("text")
        if not isinstance(text, str) or not text.strip():
            raise TranscriptError(f"{where}.text must be a non-empty text")
        if len(text) > MAX_TEXT:
            raise TranscriptError(f"{where}.text is {len(text)} characters; at most {MAX_TEXT}")
        parsed.append(Turn(turn["speaker"], text.strip()))
    if not any(t.speaker == "collector" for t in parsed):
        raise TranscriptError("the transcript has no collector turn to score")
    transcript_language(data)
    return account, parsed


# ---------------------------------------------------------------- the rubric

@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    weight: int
    auto_fail: bool
    rule: str
    advice: str
    model_answer: Any
    settings: Dict[str, Any]

    def moves(self, key: str = "moves") -> FrozenSet[str]:
        return frozenset(self.settings.get(key) or ())


@dataclass(frozen=True)
class Verdict:
    passed: bool
    evidence: Optional[str] = None
    objection: Optional[str] = None  # the objection whose script is the model answer


def _intents_of(path, label: str) -> set:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        raise PolicyError(f"{SOURCE}: {label} {path} is missing; the rubric reads its intents from it") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    return {next(iter(i)) if isinstance(i, dict) else i for i in data.get("intents") or []}


def _responses_of(path) -> Dict[str, list]:
    with open(path, encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("responses") or {}


class Rubric:
    def __init__(self, criteria: List[Criterion], pass_mark: int, groups: Dict[str, FrozenSet[str]],
                 debtor_agrees: FrozenSet[str], objection_when_none: str, stop_when_none: str,
                 stop_acknowledgements: Dict[str, str], escalation: EscalationPolicy, scripts: ScriptLibrary,
                 messages: MessageCatalogue, creditor: Creditor, responses: Dict[str, list],
                 feedback: Optional[Dict[str, Dict[str, Dict[str, str]]]] = None):
        self.criteria = criteria
        self.pass_mark = pass_mark
        self.groups = groups
        self.debtor_agrees = debtor_agrees
        self.objection_when_none = objection_when_none
        self.stop_when_none = stop_when_none
        self.stop_acknowledgements = stop_acknowledgements
        self.escalation = escalation
        self.scripts = scripts
        self.messages = messages
        self.creditor = creditor
        self.responses = responses
        self.feedback = feedback or {}  # language -> criterion id -> {"title", "advice"}

    # ------------------------------------------------------------ loading

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None, moves: Optional[set] = None,
                  debtor_intents: Optional[set] = None) -> "Rubric":
        data = load_policy("rubric.yml") if data is None else data
        moves = _intents_of(PRACTICE_DOMAIN, "the practice domain") if moves is None else moves
        debtor_intents = _intents_of(MAIN_DOMAIN, "the main domain") if debtor_intents is None else debtor_intents
        escalation = EscalationPolicy.from_yaml()
        compliance = CompliancePolicy.from_yaml(escalation)
        responses = _responses_of(MAIN_DOMAIN)

        pass_mark = data.get("pass_mark", 70)
        require(isinstance(pass_mark, int) and not isinstance(pass_mark, bool) and 0 <= pass_mark <= 100, SOURCE,
                "pass_mark must be a whole number from 0 to 100")
        agrees = data.get("debtor_agrees")
        require(isinstance(agrees, list) and agrees, SOURCE, "debtor_agrees must list debtor intents")
        unknown = sorted(set(agrees) - debtor_intents)
        require(not unknown, SOURCE, f"debtor_agrees names intent(s) not in domain.yml: {unknown}")
        objection_none = data.get("objection_when_none_raised")
        require(objection_none in OBJECTIONS, SOURCE,
                f"objection_when_none_raised must be one of the objections of policy/scripts.yml, "
                f"not {objection_none!r}")
        stops = data.get("stop_requests")
        require(isinstance(stops, list) and stops, SOURCE, "stop_requests must list debtor intents")
        unknown = sorted(set(stops) - set(compliance.stops))
        require(not unknown, SOURCE, f"stop_requests names intent(s) that are not stops of policy/compliance.yml: "
                                     f"{unknown}")
        for stop in stops:
            require(compliance.stops[stop].acknowledgement in responses, SOURCE,
                    f"the acknowledgement of {stop} ({compliance.stops[stop].acknowledgement}) is not a response "
                    f"in domain.yml")
        groups = {"objections": frozenset(OBJECTIONS), "stops": frozenset(stops)}
        acks = {stop: compliance.stops[stop].acknowledgement for stop in stops}
        stop_none = data.get("stop_when_none_raised")
        require(stop_none in groups["stops"], SOURCE,
                f"stop_when_none_raised must be one of stop_requests, not {stop_none!r}")

        raw = data.get("criteria")
        require(isinstance(raw, list) and raw, SOURCE, "criteria must be a list")
        criteria = [cls._criterion(entry, index, moves, debtor_intents, set(groups))
                    for index, entry in enumerate(raw, start=1)]
        ids = [c.id for c in criteria]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        require(not doubled, SOURCE, f"criterion id(s) defined twice: {doubled}")
        extra = [i for i in ids if i not in FIXED_IDS]
        require(not extra, SOURCE, f"unknown criterion id(s) {extra}; the ids are fixed: {', '.join(FIXED_IDS)}")
        missing = [i for i in FIXED_IDS if i not in ids]
        require(not missing, SOURCE, f"missing criterion id(s): {', '.join(missing)}")

        rubric = cls(criteria, pass_mark, groups, frozenset(agrees), objection_none, stop_none, dict(acks),
                     escalation, ScriptLibrary.from_yaml(escalation), MessageCatalogue.from_yaml(),
                     load_creditor(), responses, {code: cls._feedback(code, criteria) for code in OTHERS})
        for criterion in criteria:
            answer = criterion.model_answer
            if isinstance(answer, dict):
                key = answer["message"]
                require(key in rubric.messages.entries, SOURCE, f"{criterion.id}.model_answer: no message {key!r} "
                                                                f"in policy/messages.yml")
                needed = MESSAGE_PLACEHOLDERS.get(key, set()) - set(ANSWER_VALUES)
                require(not needed, SOURCE, f"{criterion.id}.model_answer: message {key!r} needs "
                                            f"{sorted(needed)}, which a scorecard cannot fill")
        return rubric

    @staticmethod
    def _feedback(language: str, criteria: List[Criterion]) -> Dict[str, Dict[str, str]]:
        """policy/<code>/rubric.yml: every criterion's title and advice in that language."""
        source = f"policy/{policy_path(language, 'rubric.yml')}"
        entries = load_policy(policy_path(language, "rubric.yml")).get("criteria")
        require(isinstance(entries, dict), source, "needs 'criteria': a mapping of criterion id -> title, advice")
        unknown = sorted(set(entries) - {c.id for c in criteria})
        require(not unknown, source, f"unknown criterion id(s) {unknown}; the ids are those of {SOURCE}")
        feedback = {}
        for criterion in criteria:
            entry = entries.get(criterion.id)
            require(isinstance(entry, dict) and all(isinstance(entry.get(k), str) and entry[k].strip()
                                                    for k in ("title", "advice")),
                    source, f"{criterion.id} needs a title and advice")
            feedback[criterion.id] = {"title": entry["title"].strip(), "advice": " ".join(entry["advice"].split())}
        return feedback

    @staticmethod
    def _criterion(entry: Any, index: int, moves: set, debtor_intents: set, groups: set) -> Criterion:
        where = f"criterion {index}"
        require(isinstance(entry, dict), SOURCE, f"{where} must be a mapping")
        where = f"criterion {entry.get('id', index)!r}"
        missing = sorted(COMMON - set(entry))
        require(not missing, SOURCE, f"{where} is missing: {', '.join(missing)}")
        rule = entry["rule"]
        require(rule in RULES, SOURCE, f"{where}: unknown rule {rule!r}; known: {', '.join(RULES)}")
        needed, optional = RULES[rule]
        missing = sorted(needed - set(entry))
        require(not missing, SOURCE, f"{where}: rule {rule} needs {', '.join(missing)}")
        unknown = sorted(set(entry) - COMMON - needed - optional)
        require(not unknown, SOURCE, f"{where}: unknown key(s) {unknown} for rule {rule}")
        require(isinstance(entry["title"], str) and entry["title"].strip(), SOURCE, f"{where} needs a title")
        require(isinstance(entry["advice"], str) and entry["advice"].strip(), SOURCE, f"{where} needs advice")
        weight = entry["weight"]
        require(isinstance(weight, int) and not isinstance(weight, bool) and weight > 0, SOURCE,
                f"{where}: weight must be a whole number above 0")
        require(isinstance(entry["auto_fail"], bool), SOURCE, f"{where}: auto_fail must be true or false")
        for key in MOVE_KEYS:
            if key in entry:
                value = entry[key]
                require(isinstance(value, list) and value, SOURCE, f"{where}: {key} must be a list of moves")
                bad = sorted(set(value) - moves)
                require(not bad, SOURCE, f"{where}: {key} names move(s) {bad} that are not intents of "
                                         f"practice/domain.yml")
        if "after" in entry:
            after = entry["after"]
            if isinstance(after, str):
                require(after in groups, SOURCE, f"{where}: after must be a list of debtor intents or one of "
                                                 f"{sorted(groups)}")
            else:
                require(isinstance(after, list) and after, SOURCE, f"{where}: after must list debtor intents")
                bad = sorted(set(after) - debtor_intents)
                require(not bad, SOURCE, f"{where}: after names intent(s) {bad} not in domain.yml")
        if "within_turns" in entry:
            require(isinstance(entry["within_turns"], int) and entry["within_turns"] >= 1, SOURCE,
                    f"{where}: within_turns must be a whole number of 1 or more")
        if "unlawful_tactics" in entry:
            require(isinstance(entry["unlawful_tactics"], bool), SOURCE, f"{where}: unlawful_tactics must be "
                                                                         f"true or false")
        answer = entry["model_answer"]
        require(answer in ("script", "stop_acknowledgement")
                or (isinstance(answer, dict) and set(answer) == {"message"} and isinstance(answer["message"], str)),
                SOURCE, f"{where}: model_answer must be script, stop_acknowledgement or {{message: <key>}}")
        settings = {k: v for k, v in entry.items() if k not in COMMON}
        return Criterion(entry["id"], entry["title"].strip(), weight, entry["auto_fail"], rule,
                         " ".join(entry["advice"].split()), answer, settings)

    # ------------------------------------------------------------ scoring

    def score(self, account: TranscriptAccount, turns: Sequence[Turn], today: Optional[date] = None,
              language: Optional[str] = None) -> Dict[str, Any]:
        """The scorecard of a conversation whose turns have been read (see ``annotate``); titles, advice and
        model answers in ``language`` (a code of policy/languages.yml; English when None or unknown)."""
        unread = [i for i, t in enumerate(turns, 1) if t.speaker == "collector" and t.moves is None]
        if unread:
            raise ValueError(f"collector turn(s) {unread} have not been read; call annotate() first")
        with speaking(language) as spoken:
            return self._score(account, turns, today, self.feedback.get(spoken, {}))

    def _score(self, account: TranscriptAccount, turns: Sequence[Turn], today: Optional[date],
               feedback: Dict[str, Dict[str, str]]) -> Dict[str, Any]:
        conversation = _Conversation(self, account, list(turns), today or clock_today())
        criteria, auto_fail, earned = [], [], 0
        for criterion in self.criteria:
            verdict = conversation.judge(criterion)
            if verdict.passed:
                earned += criterion.weight
            elif criterion.auto_fail:
                auto_fail.append(criterion.id)
            words = feedback.get(criterion.id, {"title": criterion.title, "advice": criterion.advice})
            criteria.append({
                "id": criterion.id, "title": words["title"], "passed": verdict.passed, "weight": criterion.weight,
                "evidence": verdict.evidence, "advice": words["advice"],
                "model_answer": conversation.model_answer(criterion, verdict),
            })
        total = sum(c.weight for c in self.criteria)
        score = round(100 * earned / total)
        return {"score": score, "passed": not auto_fail and score >= self.pass_mark, "pass_mark": self.pass_mark,
                "auto_fail": auto_fail, "criteria": criteria}


ANSWER_VALUES = ("assistant_name", "creditor_name", "name", "disclosure", "amount", "date", "balance",
                 "support_phone", "support_hours")


class _Conversation:
    """The facts of one conversation each rule looks at."""

    def __init__(self, rubric: Rubric, account: TranscriptAccount, turns: List[Turn], today: date):
        self.rubric, self.account, self.turns, self.today = rubric, account, turns, today
        self.identity_at = next((i for i, t in enumerate(turns) if t.speaker == "debtor"
                                 and parse_date_of_birth(t.text, today) == account.date_of_birth), None)
        self.stop_at = self._first_debtor(rubric.groups["stops"])
        self.objections = [t.intent for t in turns if t.speaker == "debtor" and t.intent in rubric.groups["objections"]]

    def _first_debtor(self, intents: Iterable[str], start: int = 0) -> Optional[int]:
        return next((i for i in range(start, len(self.turns)) if self.turns[i].speaker == "debtor"
                     and self.turns[i].intent in intents), None)

    def _collector(self, start: int = 0, end: Optional[int] = None) -> List[Tuple[int, Turn]]:
        end = len(self.turns) if end is None else end
        return [(i, self.turns[i]) for i in range(start, end) if self.turns[i].speaker == "collector"]

    def _first_doing(self, moves: FrozenSet[str], start: int = 0, end: Optional[int] = None) -> Optional[Turn]:
        return next((t for _, t in self._collector(start, end) if t.moves & moves), None)

    def _intents(self, after: Any) -> FrozenSet[str]:
        return self.rubric.groups[after] if isinstance(after, str) else frozenset(after)

    @property
    def negotiating(self) -> bool:
        return self.identity_at is not None and self.stop_at is None

    def judge(self, criterion: Criterion) -> Verdict:
        return getattr(self, f"_rule_{criterion.rule}")(criterion)

    def _rule_opening(self, criterion: Criterion) -> Verdict:
        opening = self._collector()[:criterion.settings["within_turns"]]
        found = next((t for _, t in opening if t.moves & criterion.moves()), None)
        return Verdict(found is not None, found.text if found else None)

    def _rule_not_before_identity(self, criterion: Criterion) -> Verdict:
        early = self._first_doing(criterion.moves(), 0, self.identity_at)
        if early:
            return Verdict(False, early.text)
        shown = self._first_doing(criterion.moves("shown_by"))
        return Verdict(True, shown.text if shown else None)

    def _rule_after_identity(self, criterion: Criterion) -> Verdict:
        if self.identity_at is None:
            return Verdict(True)
        later = self._collector(self.identity_at)
        cut = next((n for n, (_, t) in enumerate(later) if t.moves & criterion.moves("before")), len(later) - 1)
        found = next((t for _, t in later[:cut + 1] if t.moves & criterion.moves()), None)
        return Verdict(found is not None, found.text if found else None)

    def _rule_answers(self, criterion: Criterion) -> Verdict:
        intents, evidence = self._intents(criterion.settings["after"]), None
        for i, turn in enumerate(self.turns):
            if turn.speaker != "debtor" or turn.intent not in intents:
                continue
            reply = next((t for _, t in self._collector(i + 1)), None)
            if reply is None:
                continue
            if not reply.moves & criterion.moves():
                return Verdict(False, reply.text, turn.intent)
            evidence = evidence or reply.text
        return Verdict(True, evidence)

    def _rule_negotiates(self, criterion: Criterion) -> Verdict:
        if self.stop_at is not None:
            return Verdict(True)
        if self.identity_at is None:  # never got as far as negotiating
            return Verdict(False)
        found = self._first_doing(criterion.moves(), self.identity_at)
        return Verdict(found is not None, found.text if found else None)

    def _rule_reads_back(self, criterion: Criterion) -> Verdict:
        if not self.negotiating:
            return Verdict(True)
        agreed = self._agreement(criterion.moves("agreed_to"))
        if agreed is None:
            return Verdict(True)
        found = self._first_doing(criterion.moves(), agreed)
        return Verdict(found is not None, found.text if found else None)

    def _agreement(self, agreed_to: FrozenSet[str]) -> Optional[int]:
        """The first debtor message after identity that agrees to a collector's proposal or request."""
        asked = False
        for i in range(self.identity_at or 0, len(self.turns)):
            turn = self.turns[i]
            if turn.speaker == "collector":
                asked = bool(turn.moves & agreed_to)
            elif asked and turn.intent in self.rubric.debtor_agrees:
                return i
        return None

    def _rule_never(self, criterion: Criterion) -> Verdict:
        forbidden = criterion.moves()
        if not self.account.legal_action_allowed:
            forbidden |= criterion.moves("unless_legal_allowed")
        tactics = criterion.settings.get("unlawful_tactics", False)
        for _, turn in self._collector():
            if turn.moves & forbidden or (tactics and turn.tactics):
                return Verdict(False, turn.text)
        return Verdict(True)

    def _rule_stop_honoured(self, criterion: Criterion) -> Verdict:
        intents, evidence = self._intents(criterion.settings["after"]), None
        pressing = criterion.moves("pressing")
        for i, turn in enumerate(self.turns):
            if turn.speaker != "debtor" or turn.intent not in intents:
                continue
            replies = self._collector(i + 1)
            if not replies:
                continue
            first = replies[0][1]
            if not first.moves & criterion.moves():
                return Verdict(False, first.text)
            pressed = next((t for _, t in replies if t.moves & pressing), None)
            if pressed:
                return Verdict(False, pressed.text)
            evidence = evidence or first.text
        return Verdict(True, evidence)

    # ------------------------------------------------------------ model answers

    def model_answer(self, criterion: Criterion, verdict: Verdict) -> str:
        answer = criterion.model_answer
        if answer == "script":
            return self._script(verdict.objection)
        if answer == "stop_acknowledgement":
            return self._stop_acknowledgement()
        return self.rubric.messages.render(answer["message"], **self._answer_values())["text"]

    def _script(self, objection: Optional[str]) -> str:
        """The counter-script the live assistant would use for this objection at this point of the conversation."""
        rubric, account = self.rubric, self.account.as_account()
        objection = objection or (self.objections[0] if self.objections else rubric.objection_when_none)
        raised = self.objections[:self.objections.index(objection) + 1] if objection in self.objections else [None]
        tone = None
        for _ in raised:
            tone = rubric.escalation.next_tone(account, tone, self.today)
        facts = ScriptFacts.of(account, self.today, rubric.creditor.creditor_name,
                               rubric.escalation.consequences_sentence())
        return rubric.scripts.render(objection, tone, facts)

    def _stop_acknowledgement(self) -> str:
        stop = self.turns[self.stop_at].intent if self.stop_at is not None else self.rubric.stop_when_none
        variants = self.rubric.responses[self.rubric.stop_acknowledgements[stop]]
        verified = self.identity_at is not None
        for variant in variants:
            conditions = variant.get("condition") or []
            # The path where the stop was recorded; "verified" as the conversation went; the scorecard's language.
            expected = {"verified": verified, "language": current.get()}
            if all(c.get("value") == expected.get(c.get("name"), True) for c in conditions):
                return variant["text"]
        return variants[-1]["text"]

    def _date_in(self, text: str) -> Optional[date]:
        """The first date from today on in what the debtor agreed to."""
        settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime.combine(self.today, time()),
                    "RETURN_AS_TIMEZONE_AWARE": False}
        found = search_dates(text, languages=[current.get()], settings=settings) or []
        return next((d.date() for _, d in found if d.date() >= self.today), None)

    def _answer_values(self) -> Dict[str, str]:
        account, creditor = self.account, self.rubric.creditor
        local = texts()  # the creditor's wording in the scorecard's language (None: English, policy/creditor.yml)
        reads_back = next((c for c in self.rubric.criteria if c.rule == "reads_back"), None)
        agreed_at = self._agreement(reads_back.moves("agreed_to")) if reads_back else None
        day = None
        if agreed_at is not None:  # the date the debtor agreed to, else the one the collector proposed
            proposal = next((t.text for t in reversed(self.turns[:agreed_at]) if t.speaker == "collector"), "")
            day = self._date_in(self.turns[agreed_at].text) or self._date_in(proposal)
        return {"assistant_name": local.creditor["assistant_name"] if local else creditor.assistant_name,
                "creditor_name": creditor.creditor_name, "name": account.full_name,
                "disclosure": local.creditor["collection_disclosure"] if local else creditor.collection_disclosure,
                "amount": format_money(account.balance, account.currency),
                "date": format_date(day or self.today), "balance": format_money(account.balance, account.currency),
                "support_phone": creditor.support_phone, "support_hours": creditor.support_hours}


@lru_cache(maxsize=1)
def load_rubric() -> Rubric:
    """``policy/rubric.yml`` checked against the practice and main domains; raises PolicyError naming the problem."""
    return Rubric.from_yaml()


def score_transcript(data: Any, readers: Readers, today: Optional[date] = None,
                     rubric: Optional[Rubric] = None) -> Dict[str, Any]:
    """The scorecard of a transcript in the input format; raises TranscriptError for a malformed one."""
    account, turns = parse_transcript(data)
    return (rubric or load_rubric()).score(account, annotate(turns, readers), today, transcript_language(data))


def transcript_language(data: Dict[str, Any]) -> Optional[str]:
    """The transcript's optional "language" (en, es, zh): the scorecard's titles, advice and model answers."""
    code = data.get("language")
    if code is not None and code not in (DEFAULT_LANGUAGE,) + tuple(OTHERS):
        raise TranscriptError(f"'language' must be one of {', '.join((DEFAULT_LANGUAGE,) + tuple(OTHERS))}, "
                              f"not {code!r}")
    return code
