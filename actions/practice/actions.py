"""Thin Rasa actions of the practice assistant (practice/domain.yml): start a scenario, answer the collector.

Served by the same action server as the main assistant. The policy files are checked on import, so a mistake
in policy/scenarios.yml, debtor_lines.yml or unlawful_tactics.yml stops the action server with a clear message.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clock import today
from actions.practice.debtor import Debtor, DebtorState
from actions.practice.lines import load_debtor_lines
from actions.practice.moves import moves_from_parse, tactic_catalogue
from actions.practice.scenarios import load_scenario_book

BOOK = load_scenario_book()
LINES = load_debtor_lines()
tactic_catalogue()

NO_SCENARIO = "(No practice scenario is running in this conversation.)"


def state_slots(state: DebtorState) -> List[Dict[Text, Any]]:
    return [SlotSet("debtor_state", state.to_dict()), SlotSet("committed", state.committed),
            SlotSet("ended", state.ended), SlotSet("end_reason", state.end_reason), SlotSet("trap", state.trap),
            SlotSet("unlawful_tactics", list(state.unlawful))]


class ActionStartScenario(Action):
    """start_scenario{"scenario": id} from the staff console: the debtor picks up the phone."""

    def name(self) -> Text:
        return "action_start_scenario"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot("scenario"):
            return []  # one scenario per conversation: a second start changes nothing
        requested = next(tracker.get_latest_entity_values("scenario"), None)
        scenario = BOOK.scenarios.get(requested or "")
        if scenario is None:
            dispatcher.utter_message(text=f"(Unknown practice scenario: {requested!r}.)")
            return []
        day = today()
        state = DebtorState.start(scenario)
        debtor = Debtor(scenario, BOOK, LINES[scenario.language], day, tracker.sender_id)
        for line in debtor.opening(state):
            dispatcher.utter_message(text=line)
        return [SlotSet("scenario", scenario.id), SlotSet("card", scenario.card(day))] + state_slots(state)


class ActionDebtorReply(Action):
    """The debtor's answer to each collector message."""

    def name(self) -> Text:
        return "action_debtor_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        scenario = BOOK.scenarios.get(tracker.get_slot("scenario") or "")
        if scenario is None:
            dispatcher.utter_message(text=NO_SCENARIO)
            return []
        state = DebtorState.from_dict(tracker.get_slot("debtor_state"))
        debtor = Debtor(scenario, BOOK, LINES[scenario.language], today(), tracker.sender_id)
        message = tracker.latest_message or {}
        said = debtor.reply(state, moves_from_parse(message), message.get("text") or "")
        dispatcher.utter_message(text=" ".join(said))
        return state_slots(state)
