"""Patches to Rasa 3.6.21 internals, applied in the Rasa server process by launcher.rasa_server before Rasa starts.

Each one keeps Rasa's behaviour and removes work it repeats on every message. They are pinned: ``apply()`` raises
PatchError under any other Rasa version, or when the code a patch replaces is no longer the code it was written
against (its source hash), and tests/test_rasa_patches.py fails the same way, so an upgrade re-examines each one.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Text, Tuple

if TYPE_CHECKING:
    from collections import OrderedDict

logger = logging.getLogger("launcher.rasa_patches")

RASA_VERSION = "3.6.21"


class PatchError(RuntimeError):
    """A patch no longer fits the installed Rasa."""


def source_hash(function: Callable) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


# --- RemoteAction: the action response checked with a validator built once --------------------------------
# Rasa calls jsonschema.validate(result, spec) on every action server response. validate() first checks the
# schema itself against the JSON Schema meta-schema and builds a new validator each time: ~20-35 ms of CPU per
# custom action call, for a schema that never changes. The patch checks the schema once and reuses the validator;
# the response is still validated in full and a bad one raises the same ValidationError with the same message.

VALIDATE_ACTION_RESULT_HASH = "f8cdb4be68123961"


def _cached_validate_action_result() -> Callable:
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    spec = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    return _validate_action_result


# --- SQLite tracker store: write-ahead log, no fsync on every commit --------------------------------------------
# Rasa's SQLTrackerStore commits each saved turn, synchronously on the event loop; SQLite's default (rollback
# journal, synchronous=FULL) fsyncs the journal and the database on every commit, so every conversation waits for
# the disk. In WAL mode with synchronous=NORMAL a commit appends to the log and fsyncs only at checkpoints: a turn
# stays committed when a process dies, and only an operating-system crash or power cut could lose the last turns.
# Not a patch to Rasa: a connection setting for SQLite databases opened in the Rasa process (the tracker store).

def _sqlite_write_ahead_log() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if event.contains(Engine, "connect", _sqlite_pragmas):
        return
    event.listen(Engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


# --- Events: the event class looked up by name once, not by walking every Event subclass -----------------------
# Loading a conversation turns each stored event back into an object through Event.resolve_by_type, which walks the
# whole Event class tree (inspect.isabstract on every class) for each event: 14% of the Rasa server's CPU, growing
# with the conversation's length. The patch remembers the class Rasa's own walk found for each name; a name not
# seen yet (or unknown) is still resolved, and refused, by Rasa's code.

RESOLVE_EVENT_BY_TYPE_HASH = "b5cf570fa7f286c7"


def _cached_resolve_by_type(original: Callable) -> Callable:
    found: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        event_class = found.get(type_name)
        if event_class is None:
            event_class = original(type_name, default)  # "topic", the default or Rasa's ValueError, as before
            if event_class is not None and event_class is not default:
                found[type_name] = event_class
        return event_class

    return resolve_by_type


# --- SQLite tracker store: one pooled connection instead of a new one per load and save ------------------------
# Rasa passes engine options only for PostgreSQL, so SQLAlchemy 1.4 opens a SQLite file with NullPool: every load
# and every save connects, sets the pragmas above and closes again (7% of the CPU). The patch gives SQLite files
# the pool SQLAlchemy 2.0 uses for them (QueuePool, connections usable from any thread); each connection still
# commits or rolls back before it returns to the pool, so nothing is held between messages.

CREATE_ENGINE_KWARGS_HASH = "dff5f092362096da"


def _pooled_sqlite_engine_kwargs(original: Callable) -> Callable:
    def create_engine_kwargs(url: Any) -> Dict[Text, Any]:
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import QueuePool

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}
        return original(url)

    return create_engine_kwargs


# --- SQL tracker store: the stored event count remembered, not counted again on every save ------------------------
# Before inserting a turn's new events, SQLTrackerStore.save counts the conversation's stored events since its last
# session start with an ORM query (5% of the CPU). That count is the number of events the tracker was loaded with
# (the same query), plus what this store has saved of the same tracker object since. The patch remembers it on the
# tracker that was loaded or saved, and counts as before for any other tracker: a copy, a full-history tracker, one
# whose saved events began a new session, or a capped event history. Rasa's lock store keeps one process on a
# conversation at a time (the scaled layout uses Redis), so no other writer adds events between load and save.

RETRIEVE_HASH = "c8adbf6f4b61ddd1"
SAVE_HASH = "57165e46eab3de08"
ADDITIONAL_EVENTS_HASH = "d22f99eb863acb07"
_STORED = "_launcher_stored_events"


def _remember_stored(tracker: Any, count: Optional[int]) -> None:
    import weakref
    tracker.__dict__[_STORED] = None if count is None else (weakref.ref(tracker), count)


def _stored_count(tracker: Any) -> Optional[int]:
    # a weak reference survives deepcopy unchanged, so a copy of the tracker does not pass as the tracker itself
    stored = tracker.__dict__.get(_STORED)
    if stored is None or stored[0]() is not tracker or tracker.events.maxlen is not None:
        return None
    return stored[1]


# --- SQL tracker store: the tracker a turn saved is the next turn's, unless the stored conversation changed ------
# Each message reloads the whole conversation: every stored event is read, parsed from JSON, rebuilt into an object
# and replayed into a new tracker (a sixth of the CPU, growing with the conversation). The tracker a turn has just
# saved already is that conversation, so the store keeps the last RECENT_TRACKERS of them and hands one out, once,
# when the stored rows are still exactly the ones it saved (same number of events, same last row id: one small indexed
# query) and nothing changed the tracker since. Anything else loads from the database as before: another process
# or API call that added or removed events, a turn that failed before saving, a new session started in the turn
# (the load would cut the older session), or a new domain.

RECENT_TRACKERS = 256
_RECENT = "_launcher_recent_trackers"


def _recent(store: Any) -> "OrderedDict[Text, Tuple[Any, Tuple[int, Any], int, Any]]":
    from collections import OrderedDict
    return store.__dict__.setdefault(_RECENT, OrderedDict())


def _stored_rows(store: Any, sender_id: Text) -> Tuple[int, Any]:
    """How many events are stored for the conversation, and the id of the last one."""
    import sqlalchemy as sa

    query = sa.text(f"SELECT count(id), max(id) FROM {store.SQLEvent.__tablename__} WHERE sender_id = :sender_id")
    with store.engine.connect() as connection:
        count, last_id = connection.execute(query, {"sender_id": sender_id}).one()
    return count, last_id


def _one_session(tracker: Any, new_events: List[Any]) -> bool:
    """True if loading the conversation again would give back every event of ``tracker``: no session began in
    ``new_events`` and none of them is older than the tracker's session start."""
    from rasa.shared.core.events import SessionStarted

    if any(isinstance(event, SessionStarted) for event in new_events):
        return False
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    return not starts or all(event.timestamp >= starts[-1] for event in new_events)


def _remembering_retrieve(original: Callable) -> Callable:
    async def _retrieve(self: Any, sender_id: Text, fetch_events_from_all_sessions: bool) -> Any:
        if not fetch_events_from_all_sessions:
            recent = _recent(self).pop(sender_id, None)
            if recent is not None:
                tracker, rows, count, domain = recent
                # handed out once: whoever loads the conversation next gets it, anyone after that loads
                if (domain is self.domain and _stored_count(tracker) == count == len(tracker.events)
                        and _stored_rows(self, sender_id) == rows):
                    return tracker
        tracker = await original(self, sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            _remember_stored(tracker, len(tracker.events))
        return tracker

    return _retrieve


async def _inserting_save(self: Any, tracker: Any) -> None:
    """Rasa's SQLTrackerStore.save (pinned by SAVE_HASH), with the new events written in one INSERT of several rows
    (the same rows, in the same order) where Rasa adds an ORM object per event and its flush inserts them one at a
    time (4% of the CPU)."""
    import json

    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    await self.stream_events(tracker)
    with self.session_scope() as session:
        rows = []
        for event in self._additional_events(session, tracker):
            data = event.as_dict()
            rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                         "timestamp": data.get("timestamp"),
                         "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                         "action_name": data.get("name"), "data": json.dumps(data)})
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)
        session.commit()
    logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)


def _remembering_save(original: Callable) -> Callable:
    async def save(self: Any, tracker: Any) -> None:
        before = _stored_count(tracker)
        _recent(self).pop(tracker.sender_id, None)
        await _inserting_save(self, tracker)
        new_events = list(tracker.events)[before or 0:]
        if before is None or not _one_session(tracker, new_events):
            _remember_stored(tracker, None)
            return
        _remember_stored(tracker, len(tracker.events))
        recent = _recent(self)
        recent[tracker.sender_id] = (tracker, _stored_rows(self, tracker.sender_id), len(tracker.events),
                                     self.domain)
        while len(recent) > RECENT_TRACKERS:
            recent.popitem(last=False)

    return save


def _remembered_additional_events(original: Callable) -> Callable:
    def _additional_events(self: Any, session: Any, tracker: Any) -> Any:
        import itertools

        count = _stored_count(tracker)
        if count is None:
            return original(self, session, tracker)
        return itertools.islice(tracker.events, count, len(tracker.events))

    return _additional_events


# --- Action calls: the domain's JSON written once, not on every call ----------------------------------------------
# Every call to the action server (two a message: slot validation, then the action) serialises the tracker and the
# whole domain, 35 kB of responses in three languages that never change while the model is loaded: the JSON
# encoder was a tenth of the CPU. The patch gives Rasa's action-server HTTP session a json.dumps that writes the
# domain from its text, made once per domain object (Rasa builds a domain's dict once and never changes it), and
# everything else as json.dumps does: the request body is the same, byte for byte.

ENDPOINT_SESSION_HASH = "e55aa13d9d4fb4bc"


class _DomainJson:
    """json.dumps for action calls, with the domain (the body's last key) written from its cached text."""

    def __init__(self) -> None:
        self.domain: Any = None
        self.text = ""

    def __call__(self, body: Any) -> str:
        import json

        domain = body.get("domain") if type(body) is dict else None
        if not isinstance(domain, dict) or len(body) < 2 or next(reversed(body)) != "domain":
            return json.dumps(body)
        if domain is not self.domain:
            self.domain, self.text = domain, json.dumps(domain)
        head = json.dumps({key: value for key, value in body.items() if key != "domain"})
        return f'{head[:-1]}, "domain": {self.text}}}'


def _session_with_domain_json(original: Callable) -> Callable:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    dumps = _DomainJson()

    def session(self: Any) -> aiohttp.ClientSession:
        # Rasa's EndpointConfig.session, with json_serialize added
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        else:
            auth = None
        return aiohttp.ClientSession(headers=self.headers, auth=auth,
                                     timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                     json_serialize=dumps)

    return session


# --- Garbage collector: what the server loaded at start-up is left out of every later collection ---------------
# The Rasa server holds millions of long-lived objects after start-up (TensorFlow, scikit-learn, the model graph).
# Python's cyclic garbage collector walks all of them at each full collection, and a turn allocates enough (events
# rebuilt from the tracker store, JSON) to trigger collections often: a tenth of the CPU per message showed up as
# collector time inside event construction. Once the model is loaded the patch moves everything alive into the
# permanent generation (gc.freeze, the documented use); reference counting still frees objects as before, and
# everything allocated later is collected as before.

LOAD_AGENT_ON_START_HASH = "b23e12447febeb64"


def _freezing_load_agent_on_start(original: Callable) -> Callable:
    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        import gc

        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        logger.info("Start-up objects frozen out of garbage collection: %d", gc.get_freeze_count())
        return agent

    return load_agent_on_start


@dataclass(frozen=True)
class Patch:
    """One replaced Rasa function: ``target`` is "module:Owner.name" or "module:name"; ``build`` makes the
    replacement from the original."""
    target: str
    pinned_hash: str
    build: Callable[[Callable], Callable]
    what: str

    def owner(self) -> Tuple[Any, str]:
        module, path = self.target.split(":")
        owner: Any = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        return owner, name

    def original(self) -> Callable:
        owner, name = self.owner()
        current = getattr(owner, name)
        return getattr(current, "original", current)

    def applied(self) -> bool:
        owner, name = self.owner()
        return getattr(getattr(owner, name), "patched_by", None) == __name__

    def check(self) -> None:
        found = source_hash(self.original())
        if found != self.pinned_hash:
            raise PatchError(f"{self.target} changed (source hash {found}, patched {self.pinned_hash}): "
                             f"re-examine the {self.what} patch")

    def apply(self) -> None:
        if self.applied():
            return
        owner, name = self.owner()
        original = self.original()
        replacement = self.build(original)
        replacement.original = original  # type: ignore[attr-defined]
        replacement.patched_by = __name__  # type: ignore[attr-defined]
        static = isinstance(inspect.getattr_static(owner, name), staticmethod)
        setattr(owner, name, staticmethod(replacement) if static else replacement)


PATCHES: List[Patch] = [
    Patch("rasa.core.actions.action:RemoteAction._validate_action_result", VALIDATE_ACTION_RESULT_HASH,
          lambda original: _cached_validate_action_result(), "cached action response validator"),
    Patch("rasa.shared.core.events:Event.resolve_by_type", RESOLVE_EVENT_BY_TYPE_HASH, _cached_resolve_by_type,
          "event class by name"),
    Patch("rasa.core.tracker_store:create_engine_kwargs", CREATE_ENGINE_KWARGS_HASH, _pooled_sqlite_engine_kwargs,
          "pooled SQLite connection"),
    Patch("rasa.core.tracker_store:SQLTrackerStore._retrieve", RETRIEVE_HASH, _remembering_retrieve,
          "remembered stored event count and recent trackers"),
    Patch("rasa.core.tracker_store:SQLTrackerStore.save", SAVE_HASH, _remembering_save,
          "remembered stored event count and recent trackers"),
    Patch("rasa.core.tracker_store:SQLTrackerStore._additional_events", ADDITIONAL_EVENTS_HASH,
          _remembered_additional_events, "remembered stored event count"),
    Patch("rasa.utils.endpoints:EndpointConfig.session", ENDPOINT_SESSION_HASH, _session_with_domain_json,
          "domain JSON written once"),
    Patch("rasa.core.run:load_agent_on_start", LOAD_AGENT_ON_START_HASH, _freezing_load_agent_on_start,
          "start-up objects frozen out of garbage collection"),
]


def check() -> None:
    """Raises PatchError unless every patch fits the installed Rasa (what the patches replace is unchanged)."""
    import rasa

    if rasa.__version__ != RASA_VERSION:
        raise PatchError(f"launcher/rasa_patches.py is written for Rasa {RASA_VERSION}, found {rasa.__version__}: "
                         "re-examine each patch against the new source")
    for patch in PATCHES:
        patch.check()


def apply() -> None:
    """Applies every patch once (a second call does nothing)."""
    check()
    _sqlite_write_ahead_log()
    if all(patch.applied() for patch in PATCHES):
        return
    for patch in PATCHES:
        patch.apply()
    logger.info("Rasa %s patches applied: %s, SQLite write-ahead log", RASA_VERSION,
                ", ".join(dict.fromkeys(patch.what for patch in PATCHES)))
