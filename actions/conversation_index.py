"""Live conversations for supervisor review, read from Rasa's SQL tracker store.

Rasa appends every event of every conversation to its ``events`` table. ``transcript_from_events`` turns one
conversation's events into a plain ``Transcript`` (who said what, what the model understood, which action spoke
in which tone, where the slots that matter changed). ``ConversationIndex.refresh`` reads only the events added
since its watermark, plus a look-back window before it, re-summarises the conversations they touch into
``review_conversations`` and moves the watermark, so the inbox pages one indexed table and never walks every
tracker. The look-back catches events that commit after a higher id was already read (PostgreSQL hands out ids
before commit, so concurrent Rasa replicas can commit them out of order); re-summarising is idempotent and a
conversation whose summary did not change is left as it is (its score is kept).
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError

from actions.escalation import EscalationPolicy
from actions.models import ReviewConversationRow, ReviewIndexStateRow, database_url, sessions_for
from actions.policy_files import PROJECT_ROOT

# The slots whose changes a transcript shows, where they happened.
REVIEWED_SLOTS = ("verified", "tone", "pressure_stopped", "commitment", "compliance_flag", "outcome")
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_default_fallback"
HANDOFF_ACTION = "action_request_human"
HANDOFF_FLAG = "HUMAN_HANDOFF"
NO_OUTCOME = "NO_COMMITMENT"
SILENT_ACTIONS = ("action_listen", "action_session_start")
EVENT_TYPES = ("user", "bot", "action", "slot", "session_started", "restart")
STATE_NAME = "tracker_events"
SENDERS_PER_QUERY = 400
# Event ids before the watermark read again on every refresh: far more than the events in flight at one time.
LOOKBACK_IDS = 2000


def tracker_store_url(endpoints_file: Optional[Path] = None) -> str:
    """``TRACKER_DB_URL``, else the SQL tracker store of the endpoints file (``ENDPOINTS`` or endpoints.yml)."""
    if os.environ.get("TRACKER_DB_URL"):
        return os.environ["TRACKER_DB_URL"]
    path = Path(endpoints_file or os.environ.get("ENDPOINTS") or PROJECT_ROOT / "endpoints.yml")
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    raw = os.path.expandvars(path.read_text(encoding="utf-8"))
    store = (yaml.safe_load(raw) or {}).get("tracker_store") or {}
    if str(store.get("type", "")).upper() != "SQL":
        raise ValueError(f"{path}: the review console needs Rasa's SQL tracker store (tracker_store.type: SQL)")
    dialect = store.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(store.get("db", "rasa.db"))
        return f"sqlite:///{db if db.is_absolute() else PROJECT_ROOT / db}"
    return URL.create(dialect, username=store.get("username"), password=store.get("password"),
                      host=store.get("url"), port=int(store["port"]) if store.get("port") else None,
                      database=store.get("db")).render_as_string(hide_password=False)


def live_assistant_id() -> Optional[str]:
    """The live assistant's ``assistant_id`` (config.yml); practice sessions in the same store carry another."""
    with open(PROJECT_ROOT / "config.yml", encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("assistant_id")


def tones() -> List[str]:
    return list(EscalationPolicy.from_yaml().tones)


def as_time(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, timezone.utc).replace(tzinfo=None)


def members(values: Iterable[str]) -> str:
    """``;a;b;`` for a multi-valued summary column (empty string for none)."""
    values = sorted({v for v in values if v})
    return f";{';'.join(values)};" if values else ""


def split_members(value: Optional[str]) -> List[str]:
    return [v for v in (value or "").split(";") if v]


@dataclass
class Turn:
    event_id: int
    speaker: str  # debtor | assistant
    text: str
    time: datetime
    intent: Optional[str] = None
    confidence: Optional[float] = None
    ranking: List[Dict[str, Any]] = field(default_factory=list)  # the next two intents with their confidences
    entities: List[Dict[str, Any]] = field(default_factory=list)
    action: Optional[str] = None
    tone: Optional[str] = None
    fallback: bool = False
    slot_changes: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class Transcript:
    conversation_id: str
    started_at: datetime
    last_event_at: datetime
    last_event_id: int
    turns: List[Turn]
    steps: List[Tuple[str, Any]]  # ("user", Turn) | ("action", name) | ("slot", (name, value)) in order
    account_id: Optional[str]
    outcome: str
    max_tone: Optional[str]
    objections: List[str]
    flags: List[str]
    intents: List[str]
    assistant_id: Optional[str] = None  # config.yml's assistant_id, from the events' metadata

    @property
    def debtor_turns(self) -> List[Turn]:
        return [t for t in self.turns if t.speaker == "debtor"]

    @property
    def fallbacks(self) -> int:
        return sum(1 for t in self.debtor_turns if t.fallback)

    @property
    def min_confidence(self) -> Optional[float]:
        scores = [t.confidence for t in self.debtor_turns if t.confidence is not None]
        return min(scores) if scores else None

    @property
    def search_text(self) -> str:
        return "\n".join(t.text for t in self.turns).lower()


def transcript_from_events(conversation_id: str, rows: Sequence[Tuple[int, str, Optional[float], Dict[str, Any]]],
                           tone_order: Sequence[str]) -> Transcript:
    """One conversation from its tracker events ``(id, type_name, timestamp, data)`` in id order."""
    turns: List[Turn] = []
    steps: List[Tuple[str, Any]] = []
    slots: Dict[str, Any] = {}
    spoken: List[Turn] = []  # assistant turns of the action running now; they take its tone when it ends
    action: Optional[str] = None
    last_user: Optional[Turn] = None
    account_id: Optional[str] = None
    max_tone: Optional[str] = None
    objections: List[str] = []
    flags: set = set()
    intents: set = set()
    assistant_id: Optional[str] = None

    def action_ended() -> None:
        for turn in spoken:
            turn.tone = slots.get("tone")
        spoken.clear()

    for event_id, kind, timestamp, data in rows:
        when = as_time(timestamp)
        assistant_id = assistant_id or (data.get("metadata") or {}).get("assistant_id")
        if kind == "user":
            action_ended()
            action = None
            parse = data.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != intent][:2]
            last_user = Turn(event_id, "debtor", data.get("text") or "", when, intent=intent,
                             confidence=(parse.get("intent") or {}).get("confidence"),
                             ranking=[{"intent": r.get("name"), "confidence": r.get("confidence")} for r in ranking],
                             entities=[{k: e.get(k) for k in ("entity", "value", "start", "end")}
                                       for e in parse.get("entities") or []],
                             fallback=intent == FALLBACK_INTENT)
            if intent:
                intents.add(intent)
            turns.append(last_user)
            steps.append(("user", last_user))
        elif kind == "action":
            action_ended()
            name = data.get("name")
            action = None if name in SILENT_ACTIONS else name
            if name == FALLBACK_ACTION and last_user is not None:
                last_user.fallback = True
            if name == HANDOFF_ACTION:
                flags.add(HANDOFF_FLAG)
            if action:
                steps.append(("action", action))
        elif kind == "bot":
            turn = Turn(event_id, "assistant", data.get("text") or "", when,
                        action=action or (data.get("metadata") or {}).get("utter_action"), tone=slots.get("tone"))
            turns.append(turn)
            spoken.append(turn)
        elif kind == "slot":
            name, value = data.get("name"), data.get("value")
            changed = slots.get(name) != value
            slots[name] = value
            if action:
                steps.append(("slot", (name, value)))
            if name in REVIEWED_SLOTS and changed and turns:
                turns[-1].slot_changes.append({"slot": name, "value": value})
            if name == "tone" and value in tone_order and (
                    max_tone is None or tone_order.index(value) > tone_order.index(max_tone)):
                max_tone = value
            elif name == "compliance_flag" and value:
                flags.add(str(value))
            elif name == "objections_raised" and isinstance(value, list):
                for entry in value:
                    objection = str(entry).split(":")[0]
                    if objection not in objections:
                        objections.append(objection)
            elif name == "account_id" and value and slots.get("verified") is True:
                account_id = value
            elif name == "verified" and value is True and slots.get("account_id"):
                account_id = slots["account_id"]
        elif kind in ("session_started", "restart"):
            action_ended()
            slots = {}
    action_ended()
    first = rows[0] if rows else (0, "", None, {})
    last = rows[-1] if rows else first
    return Transcript(conversation_id, as_time(first[2]), as_time(last[2]), int(last[0]), turns, steps, account_id,
                      str(slots.get("outcome") or _last_outcome(steps) or NO_OUTCOME), max_tone, objections,
                      sorted(flags), sorted(intents), assistant_id)


def _last_outcome(steps: List[Tuple[str, Any]]) -> Optional[str]:
    """The outcome a conversation kept, even after a new session cleared its slots."""
    for kind, value in reversed(steps):
        if kind == "slot" and value[0] == "outcome" and value[1]:
            return str(value[1])
    return None


class TrackerEvents:
    """Read-only access to the tracker store's ``events`` table."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)

    def exists(self) -> bool:
        """False until Rasa has created its table (or even its SQLite file: nobody has talked to it yet)."""
        try:
            return inspect(self.engine).has_table("events")
        except OperationalError:
            return False

    def newest_id(self) -> int:
        if not self.exists():
            return 0
        with self.engine.connect() as connection:
            return int(connection.execute(text("SELECT MAX(id) FROM events")).scalar() or 0)

    def count_between(self, after: int, upto: int) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text("SELECT COUNT(*) FROM events WHERE id > :after AND id <= :upto"),
                                          {"after": after, "upto": upto}).scalar() or 0)

    def senders_between(self, after: int, upto: int) -> List[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(
                text("SELECT DISTINCT sender_id FROM events WHERE id > :after AND id <= :upto"),
                {"after": after, "upto": upto}).scalars())

    def events_of(self, senders: Sequence[str], upto: Optional[int] = None) -> Dict[str, list]:
        """Each sender's events ``(id, type_name, timestamp, data)`` in order, up to event ``upto``."""
        found: Dict[str, list] = {s: [] for s in senders}
        if not senders or not self.exists():
            return found
        params: Dict[str, Any] = {f"s{i}": s for i, s in enumerate(senders)}
        names = ", ".join(f":s{i}" for i in range(len(senders)))
        kinds = ", ".join(f"'{k}'" for k in EVENT_TYPES)
        limit = ""
        if upto is not None:
            limit, params["upto"] = " AND id <= :upto", upto
        query = (f"SELECT id, sender_id, type_name, timestamp, data FROM events WHERE sender_id IN ({names}) "
                 f"AND type_name IN ({kinds}){limit} ORDER BY id")
        with self.engine.connect() as connection:
            for event_id, sender, kind, timestamp, data in connection.execute(text(query), params):
                found[sender].append((event_id, kind, timestamp, json.loads(data or "{}")))
        return found


class ConversationIndex:
    """Keeps ``review_conversations`` up to date with the tracker store, incrementally."""

    def __init__(self, tracker_url: Optional[str] = None, accounts_url: Optional[str] = None):
        self.events = TrackerEvents(tracker_url or tracker_store_url())
        self.sessions = sessions_for(accounts_url or database_url())
        self.tone_order = tones()
        self.assistant_id = live_assistant_id()
        self._lock = threading.Lock()
        self._last_scan: Optional[Tuple[int, int, int]] = None  # (after, upto, events) of the last window read

    def is_live(self, transcript: Transcript) -> bool:
        return transcript.assistant_id in (None, self.assistant_id)

    def transcript(self, conversation_id: str) -> Optional[Transcript]:
        rows = self.events.events_of([conversation_id])[conversation_id]
        transcript = transcript_from_events(conversation_id, rows, self.tone_order) if rows else None
        return transcript if transcript and self.is_live(transcript) else None

    def refresh(self) -> int:
        """Indexes the events added since the last call (and the look-back window before them); returns how many
        conversations changed."""
        with self._lock:
            with self.sessions() as session:
                state = session.get(ReviewIndexStateRow, STATE_NAME)
                watermark = state.last_event_id if state else 0
            newest = self.events.newest_id()
            if newest == 0:
                return 0
            after = max(0, min(watermark, newest) - LOOKBACK_IDS)
            scan = (after, newest, self.events.count_between(after, newest))
            if scan == self._last_scan:
                return 0  # no event has appeared in the window since it was last read
            senders = self.events.senders_between(after, newest)
            changed = 0
            for start in range(0, len(senders), SENDERS_PER_QUERY):
                chunk = senders[start:start + SENDERS_PER_QUERY]
                events = self.events.events_of(chunk, upto=newest)
                changed += self._store([t for t in (transcript_from_events(s, events[s], self.tone_order)
                                                    for s in chunk if events[s]) if self.is_live(t)])
            with self.sessions() as session, session.begin():
                state = session.get(ReviewIndexStateRow, STATE_NAME) or ReviewIndexStateRow(name=STATE_NAME)
                state.last_event_id = max(newest, watermark)
                session.add(state)
            self._last_scan = scan
            return changed

    def _store(self, transcripts: List[Transcript]) -> int:
        """Writes each summary that differs from the stored one; returns how many did."""
        changed = 0
        with self.sessions() as session, session.begin():
            existing = {row.conversation_id: row for row in session.scalars(select(ReviewConversationRow).where(
                ReviewConversationRow.conversation_id.in_([t.conversation_id for t in transcripts])))}
            for transcript in transcripts:
                summary = {"started_at": transcript.started_at, "last_event_at": transcript.last_event_at,
                           "account_id": transcript.account_id, "outcome": transcript.outcome,
                           "max_tone": transcript.max_tone, "objections": members(transcript.objections),
                           "flags": members(transcript.flags), "intents": members(transcript.intents),
                           "turns": len(transcript.debtor_turns), "min_confidence": transcript.min_confidence,
                           "fallbacks": transcript.fallbacks, "search_text": transcript.search_text}
                row = existing.get(transcript.conversation_id)
                if row is not None and all(getattr(row, column) == value for column, value in summary.items()):
                    continue
                row = row or ReviewConversationRow(conversation_id=transcript.conversation_id,
                                                   review_status="unreviewed")
                for column, value in summary.items():
                    setattr(row, column, value)
                row.score = None  # the conversation changed: web/staff/review.py scores it again
                session.add(row)
                changed += 1
        return changed


if __name__ == "__main__":
    index = ConversationIndex()
    print(f"{index.refresh()} conversation(s) indexed from {index.events.engine.url.render_as_string()}")
