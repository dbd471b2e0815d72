"""launcher/rasa_patches.py: each patch still fits the installed Rasa, behaves as the code it replaces, and is what
the Rasa server is started with."""
import asyncio
import sqlite3

import pytest
import sqlalchemy
from jsonschema import ValidationError

from launcher import rasa_patches
from launcher.components import COMPONENTS, Context
from rasa.core.actions.action import RemoteAction

VALID = {"events": [{"event": "slot", "name": "verified", "value": True, "timestamp": None}],
         "responses": [{"text": "Thanks, you're verified."}]}
INVALID = [{"events": "not a list"}, {"events": [{"event": "no_such_event"}]}, {"responses": [1]}]


@pytest.fixture(scope="module")
def patched():
    rasa_patches.apply()
    return RemoteAction("action_verify_identity", None)


def test_every_patch_fits_the_installed_rasa():
    """Fails after a Rasa upgrade or a change to what a patch replaces: re-examine the patch then."""
    rasa_patches.check()


def test_apply_replaces_the_validator_once(patched):
    first = RemoteAction._validate_action_result
    assert getattr(first, "patched_by", None) == "launcher.rasa_patches"
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is first


def test_cached_validator_accepts_what_rasa_accepts(patched):
    assert patched._validate_action_result(VALID) is True
    assert RemoteAction._validate_action_result.original(patched, VALID) is True


@pytest.mark.parametrize("response", INVALID)
def test_cached_validator_refuses_what_rasa_refuses_with_the_same_message(patched, response):
    with pytest.raises(ValidationError) as ours:
        patched._validate_action_result(dict(response))
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result.original(patched, dict(response))
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_sqlite_databases_in_the_rasa_process_use_the_write_ahead_log(patched, tmp_path):
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    with sqlite3.connect(tmp_path / "tracker.db") as plain:  # the mode stays with the file for other readers
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_rasa_servers_start_through_the_patching_entry_point(tmp_path):
    ctx = Context({"rasa": 5005, "practice": 5006}, {"RASA_AUTH_TOKEN": "t"}, tmp_path / "endpoints.yml",
                  host="127.0.0.1")
    for component in COMPONENTS:
        if component.name in ("rasa", "practice"):
            command = component.command(ctx, 5005)
            assert command[1:4] == ["-m", "launcher.rasa_server", "run"], command


def test_a_changed_rasa_function_stops_the_patches():
    """check() compares each replaced function's source with the one its patch was written against."""
    patch = rasa_patches.PATCHES[1]
    changed = rasa_patches.Patch(patch.target, "0" * 16, patch.build, patch.what)
    with pytest.raises(rasa_patches.PatchError, match="re-examine"):
        changed.check()


def test_every_patch_is_applied(patched):
    assert all(patch.applied() for patch in rasa_patches.PATCHES)


def test_event_classes_by_name_are_rasas(patched):
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type.original
    for event_class in all_subclasses(Event):
        name = event_class.type_name
        assert Event.resolve_by_type(name) is original(name) is Event.resolve_by_type(name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def _store(tmp_path, domain):
    from rasa.core.tracker_store import SQLTrackerStore
    return SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))


@pytest.fixture
def domain():
    from rasa.shared.core.domain import Domain
    return Domain.from_yaml("""
version: "3.1"
intents: [greet]
slots:
  verified: {type: bool, influence_conversation: false, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: hi}]
""")


def _turn(tracker, domain, text):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    for event in (UserUttered(text, {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet"),
                  BotUttered("hi"), SlotSet("verified", True), ActionExecuted("action_listen")):
        tracker.update(event, domain)


def _stored(store, sender):
    with store.session_scope() as session:
        return [row.type_name for row in session.query(store.SQLEvent).filter_by(sender_id=sender)
                .order_by(store.SQLEvent.id)]


def _statements(store):
    seen = []
    sqlalchemy.event.listen(store.engine, "before_cursor_execute",
                            lambda conn, cursor, statement, *rest: seen.append(statement.lower()))
    return seen


def test_the_sqlite_tracker_store_keeps_its_connections_in_a_pool(patched, tmp_path, domain):
    from sqlalchemy.pool import QueuePool
    import rasa.core.tracker_store as tracker_store

    store = _store(tmp_path, domain)
    assert isinstance(store.engine.pool, QueuePool)
    connects = []
    sqlalchemy.event.listen(store.engine, "connect", lambda *args: connects.append(1))
    asyncio.run(_conversation(store, domain, "debtor-1", turns=3))
    assert len(connects) <= 1
    assert tracker_store.create_engine_kwargs("sqlite://") == {}  # in-memory SQLite as Rasa has it
    url = "postgresql://user:secret@db:5432/rasa"
    assert tracker_store.create_engine_kwargs(url) == tracker_store.create_engine_kwargs.original(url)


async def _conversation(store, domain, sender, turns):
    for turn in range(turns):
        tracker = await store.get_or_create_tracker(sender, append_action_listen=turn == 0)
        _turn(tracker, domain, f"hello {turn}")
        await store.save(tracker)
    return tracker


def test_a_loaded_tracker_saves_its_new_events_once_without_counting_again(patched, tmp_path, domain):

    store = _store(tmp_path, domain)
    asyncio.run(_conversation(store, domain, "debtor-1", turns=1))
    tracker = asyncio.run(store.retrieve("debtor-1"))
    before = len(tracker.events)
    assert _stored(store, "debtor-1") == [e.type_name for e in tracker.events]
    statements = _statements(store)
    _turn(tracker, domain, "again")
    asyncio.run(store.save(tracker))
    _turn(tracker, domain, "and again")  # a second save of the same tracker stores only what followed the first
    asyncio.run(store.save(tracker))
    assert not any("count(*)" in s for s in statements), statements
    assert _stored(store, "debtor-1") == [e.type_name for e in tracker.events]
    assert len(tracker.events) == before + 10
    reloaded = asyncio.run(store.retrieve("debtor-1"))
    assert [e.as_dict() for e in reloaded.events] == [e.as_dict() for e in tracker.events]


def test_other_trackers_are_counted_as_rasa_counts_them(patched, tmp_path, domain):
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    store = _store(tmp_path, domain)
    asyncio.run(_conversation(store, domain, "debtor-1", turns=2))
    loaded = asyncio.run(store.retrieve("debtor-1"))
    copy = loaded.copy()  # a copy is not the tracker that was loaded: it is counted
    statements = _statements(store)
    _turn(copy, domain, "from a copy")
    asyncio.run(store.save(copy))
    assert any("count(*)" in s for s in statements)
    assert _stored(store, "debtor-1") == [e.type_name for e in copy.events]

    fresh = asyncio.run(store.retrieve("debtor-1"))  # a new session begins: the next save counts again
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        fresh.update(event, domain)
    asyncio.run(store.save(fresh))
    assert _stored(store, "debtor-1") == [e.type_name for e in fresh.events]
    statements.clear()
    _turn(fresh, domain, "new session")
    asyncio.run(store.save(fresh))  # whatever Rasa's count makes of it, it is Rasa's count
    assert any("count(*)" in s for s in statements)


def test_the_collector_leaves_start_up_objects_alone_once_the_model_is_loaded(patched):
    import gc
    import rasa.core.run

    calls = []

    async def load(*args):
        calls.append(args)
        return "agent"

    assert rasa.core.run.load_agent_on_start.patched_by == "launcher.rasa_patches"
    freezing = rasa_patches._freezing_load_agent_on_start(load)
    try:
        assert asyncio.run(freezing("model", "endpoints", None, "app", "loop")) == "agent"
        assert calls == [("model", "endpoints", None, "app", "loop")]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def _as_dicts(tracker):
    return [event.as_dict() for event in tracker.events]


def test_the_tracker_a_turn_saved_is_handed_out_once_to_the_next_load(patched, tmp_path, domain):
    store = _store(tmp_path, domain)
    saved = asyncio.run(_conversation(store, domain, "debtor-1", turns=3))
    statements = _statements(store)
    assert asyncio.run(store.retrieve("debtor-1")) is saved
    assert not any("events.data" in s for s in statements), statements  # no event rows read
    again = asyncio.run(store.retrieve("debtor-1"))  # a second load reads the database
    assert again is not saved and _as_dicts(again) == _as_dicts(saved)
    assert again.current_slot_values() == saved.current_slot_values()


def test_a_changed_conversation_is_loaded_from_the_database(patched, tmp_path, domain):
    store, other_process = _store(tmp_path, domain), _store(tmp_path, domain)
    saved = asyncio.run(_conversation(store, domain, "debtor-1", turns=2))
    elsewhere = asyncio.run(_conversation(other_process, domain, "debtor-1", turns=1))
    loaded = asyncio.run(store.retrieve("debtor-1"))
    assert loaded is not saved and _as_dicts(loaded) == _as_dicts(elsewhere)

    saved = asyncio.run(_conversation(store, domain, "debtor-2", turns=2))
    _turn(saved, domain, "a turn that never saved")
    loaded = asyncio.run(store.retrieve("debtor-2"))
    assert loaded is not saved and len(loaded.events) == len(saved.events) - 5


def test_a_turn_that_starts_a_new_session_is_loaded_from_the_database(patched, tmp_path, domain):
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    store = _store(tmp_path, domain)
    asyncio.run(_conversation(store, domain, "debtor-1", turns=2))
    tracker = asyncio.run(store.retrieve("debtor-1"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event, domain)
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("debtor-1"))
    assert loaded is not tracker and [e.type_name for e in loaded.events] == ["session_started", "action"]


def test_action_calls_send_the_same_json_with_the_domain_written_once(patched, domain):
    import json
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    tracker = DialogueStateTracker.from_events("debtor-1", [], domain.slots)
    _turn(tracker, domain, "hola, ¿cuánto debo?")
    body = RemoteAction("action_verify_identity", None)._action_call_format(tracker, domain)
    assert list(body)[-1] == "domain"

    async def serialiser():
        async with EndpointConfig("http://127.0.0.1:1/webhook", headers={"Authorization": "Bearer t"}).session() \
                as session:
            assert session.headers["Authorization"] == "Bearer t"
            return session.json_serialize

    dumps = asyncio.run(serialiser())
    assert dumps(body) == json.dumps(body)
    assert dumps(body) == json.dumps(body)  # from the cached domain text
    assert isinstance(dumps, rasa_patches._DomainJson) and dumps.domain is body["domain"]
    without = {key: value for key, value in body.items() if key != "domain"}
    assert dumps(without) == json.dumps(without)
    assert dumps([1, {"domain": {}}]) == json.dumps([1, {"domain": {}}])


def test_saved_rows_are_the_rows_rasa_writes(patched, tmp_path, domain):
    from rasa.core.tracker_store import SQLTrackerStore

    ours, rasas = _store(tmp_path, domain), SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    tracker = asyncio.run(_conversation(ours, domain, "debtor-1", turns=2))
    asyncio.run(SQLTrackerStore.save.original(rasas, tracker.copy()))  # Rasa's own save of the same events

    def rows(store):
        with store.session_scope() as session:
            return [(r.sender_id, r.type_name, r.timestamp, r.intent_name, r.action_name, r.data)
                    for r in session.query(store.SQLEvent).order_by(store.SQLEvent.id)]

    assert rows(ours) == rows(rasas) and len(rows(ours)) == len(tracker.events)
    assert any(intent == "greet" for _, _, _, intent, _, _ in rows(ours))
