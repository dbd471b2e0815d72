"""The simulated debtor: given the scenario, what the collector's message did and what has happened so far,
what the debtor says and how the call stands. No Rasa import.

The debtor stays with its card: it gives its date of birth only when asked and only after the collector has
said who they are; it raises its objections in order and pushes back on weak answers; it gives in when a
counter (one message) does what its difficulty asks (policy/scenarios.yml give_in); it ends the call at an unlawful tactic,
after too many insults or weak answers, or when a compliance trap is ignored.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Set

from actions.practice.lines import GENERIC_THREAT, DebtorLines
from actions.practice.moves import PRESSING_MOVES, unlawful_tactics
from actions.practice.scenarios import Scenario, ScenarioBook

# Moves that bring the conversation to the debt: the debtor answers the first of them with its objection.
DEBT_MOVES = frozenset({"state_balance", "ask_reason", "restate_terms", "propose_date", "propose_plan",
                        "propose_partial", "ask_commitment", "lawful_consequence"})
# A "thank you" next to any of these is politeness, not the end of the call.
BUSINESS_MOVES = DEBT_MOVES | {"introduce_self", "request_verification", "disclose_collector", "acknowledge"}
THREAT_MOVES = frozenset({"lawful_consequence", "unlawful_threat"})
LEGAL_NOT_ALLOWED = "legal_action_not_allowed"
# Which kind of step the debtor agrees to, most concrete first.
STEPS = (("propose_date", "date"), ("propose_plan", "plan"), ("propose_partial", "partial"))

# trap states
NO_TRAP, TRAP_PENDING, TRAP_FIRED, TRAP_REPEATED, TRAP_HONOURED, TRAP_IGNORED = (
    "not_set", "pending", "fired", "repeated", "honoured", "ignored")


@dataclass
class DebtorState:
    identified: bool = False
    date_of_birth_given: bool = False
    objection_index: int = -1          # the objection being raised; -1 before the first
    weak_answers: int = 0
    insults: int = 0
    trap: str = NO_TRAP
    committed: bool = False
    commitment: Optional[str] = None   # date | plan | partial | trap_offer
    ended: bool = False
    end_reason: Optional[str] = None
    unlawful: List[str] = field(default_factory=list)
    uses: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, scenario: Scenario) -> "DebtorState":
        return cls(trap=TRAP_PENDING if scenario.trap else NO_TRAP)

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> "DebtorState":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class Debtor:
    scenario: Scenario
    book: ScenarioBook
    lines: DebtorLines
    today: date
    seed: str

    def say(self, state: DebtorState, key: str) -> str:
        return self.lines.say(key, self.scenario, self.today, self.seed, state.uses)

    def opening(self, state: DebtorState) -> List[str]:
        return [self.say(state, "opening")]

    def reply(self, state: DebtorState, moves: Set[str], text: str) -> List[str]:
        """The debtor's answer to one collector message; updates ``state``."""
        if state.ended:
            return [self.say(state, "call_ended")]
        tactics = self._unlawful(moves, text)
        if tactics:
            state.unlawful += [t for t in tactics if t not in state.unlawful]
            key = next((t for t in tactics if t != GENERIC_THREAT), GENERIC_THREAT)
            return self._end(state, "hung_up_unlawful", f"unlawful.{key}", keep_commitment=False)
        if "insult" in moves:
            state.insults += 1
            if state.insults > self.book.insults_tolerated[self.scenario.difficulty]:
                return self._end(state, "hung_up_insult", "hang_up_insult", keep_commitment=False)
            return [self.say(state, "insulted")]
        if state.trap in (TRAP_FIRED, TRAP_REPEATED):
            return self._after_trap(state, moves)
        if state.committed:
            return self._after_commitment(state, moves)
        if "close" in moves and not moves & BUSINESS_MOVES:
            return self._end(state, "closed", "goodbye_without_commitment")
        return self._negotiate(state, moves)

    def _unlawful(self, moves: Set[str], text: str) -> List[str]:
        tactics = unlawful_tactics(text, self.scenario.legal_action_allowed)
        if LEGAL_NOT_ALLOWED in tactics and not moves & THREAT_MOVES:
            tactics.remove(LEGAL_NOT_ALLOWED)  # e.g. "we'll talk to your lawyer" is no threat
        if "unlawful_threat" in moves and not tactics:
            tactics = [GENERIC_THREAT]
        return tactics

    def _end(self, state: DebtorState, reason: str, key: str, keep_commitment: bool = True) -> List[str]:
        state.ended, state.end_reason = True, reason
        if not keep_commitment:
            state.committed, state.commitment = False, None
        return [self.say(state, key)]

    def _after_trap(self, state: DebtorState, moves: Set[str]) -> List[str]:
        kind = self.scenario.trap.kind
        if "honour_stop" in moves and not moves & PRESSING_MOVES:
            state.trap, state.committed, state.commitment = TRAP_HONOURED, True, "trap_offer"
            return [self.say(state, f"traps.{kind}.honoured")]
        if moves & PRESSING_MOVES or state.trap == TRAP_REPEATED:
            state.trap = TRAP_IGNORED
            return self._end(state, "complaint_trap_ignored", f"traps.{kind}.ignored")
        state.trap = TRAP_REPEATED
        return [self.say(state, f"traps.{kind}.repeat")]

    def _after_commitment(self, state: DebtorState, moves: Set[str]) -> List[str]:
        said = []
        if "read_back" in moves:
            said.append(self.say(state, "confirm_read_back"))
        if "close" in moves:
            return said + self._end(state, "committed_and_closed", "goodbye_committed")
        return said or [self.say(state, "already_agreed")]

    def _negotiate(self, state: DebtorState, moves: Set[str]) -> List[str]:
        said: List[str] = []
        introduced_now = "introduce_self" in moves and not state.identified
        state.identified = state.identified or introduced_now
        if "request_verification" in moves:
            if not state.identified:
                return [self.say(state, "refuse_details_to_stranger")]
            said.append(self.say(state, "date_of_birth_again" if state.date_of_birth_given else "give_date_of_birth"))
            state.date_of_birth_given = True
        debt = moves & DEBT_MOVES
        if debt and not state.identified:
            return said + [self.say(state, "who_is_calling")]
        if state.objection_index < 0:
            if debt:
                return said + self._raise(state, 0)
            if introduced_now and not said:
                said.append(self.say(state, "after_introduction"))
            if "disclose_collector" in moves:
                said.append(self.say(state, "heard_disclosure"))
            if "honour_stop" in moves:
                said.append(self.say(state, "puzzled_by_stop"))
            return said or [self.say(state, "unclear")]
        return said + self._counter(state, moves)

    def _raise(self, state: DebtorState, index: int) -> List[str]:
        state.objection_index, state.weak_answers = index, 0
        return [self.say(state, f"objections.{self.scenario.objections[index]}.raise")]

    def _counter(self, state: DebtorState, moves: Set[str]) -> List[str]:
        if state.trap == TRAP_PENDING:
            state.trap = TRAP_FIRED
            return [self.say(state, f"traps.{self.scenario.trap.kind}.fire")]
        groups = self.book.give_in[self.scenario.difficulty]
        if all(group & moves for group in groups):
            if state.objection_index + 1 < len(self.scenario.objections):
                return [self.say(state, "next_objection")] + self._raise(state, state.objection_index + 1)
            step = next(kind for move, kind in STEPS if move in moves)
            state.committed, state.commitment = True, step
            return [self.say(state, f"give_in.{step}")]
        state.weak_answers += 1
        if state.weak_answers >= self.book.patience[self.scenario.difficulty]:
            return self._end(state, "hung_up_patience", "hang_up_patience")
        if "lawful_consequence" in moves:
            return [self.say(state, "hears_lawful_consequence")]
        if not moves & (DEBT_MOVES | {"acknowledge"}):
            return [self.say(state, "unclear")]
        return [self.say(state, f"objections.{self.scenario.objections[state.objection_index]}.push_back")]
