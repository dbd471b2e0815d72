"""Running one Rasa action the way the action server does, as RasaHQ/financial-demo's tests do: a rasa_sdk
Tracker built from domain.yml's slots, a CollectingDispatcher, and the real accounts database."""
from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as actions_module
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
INITIAL_SLOTS = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def tracker_for(slots: Optional[Dict[str, Any]] = None, text: str = "", intent: Optional[str] = None,
                entities: Optional[List[Dict[str, Any]]] = None, sender: Optional[str] = None) -> Tracker:
    """A conversation whose latest user message is ``text`` classified as ``intent`` with ``entities``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {},
              "entities": entities or [], "message_id": uuid.uuid4().hex}
    user = {"event": "user", "timestamp": 1.0, "text": text, "parse_data": latest,
            "message_id": latest["message_id"]}
    return Tracker(sender or f"test-{uuid.uuid4().hex[:12]}", {**INITIAL_SLOTS, **(slots or {})}, latest, [user],
                   False, None, {}, "action_listen")


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 1, "extractor": "RegexEntityExtractor"}


def run(action, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The events the action returns and the texts it sends."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, DOMAIN)
    return events, [m.get("text") or "" for m in dispatcher.messages]


def slots_set(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def message(key: str, **values: Any) -> str:
    return actions_module.MESSAGES.render(key, **values)["text"]


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Points the actions at ``url`` as the action server would read it from ACCOUNTS_DB_URL."""
    monkeypatch.setenv("ACCOUNTS_DB_URL", url)
    monkeypatch.setattr(actions_module, "_repository", None)


def garbage_database(folder: Path) -> str:
    """A real failure: an accounts database file whose contents are not a database."""
    path = folder / "broken.db"
    path.write_bytes(b"this is not a database " * 512)
    return f"sqlite:///{path}"


def closed_port_database() -> str:
    """A real failure: a PostgreSQL URL on a local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg2://collections:secret@127.0.0.1:{port}/collections?connect_timeout=2"
