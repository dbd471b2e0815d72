"""launcher/rasa_patches.py: each patch still fits the installed Rasa, behaves as the code it replaces, and is what
the Rasa server is started with."""
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
