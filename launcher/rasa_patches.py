"""Patches to Rasa 3.6.21 internals, applied in the Rasa server process by launcher.rasa_server before Rasa starts.

Each one keeps Rasa's behaviour and removes work it repeats on every message. They are pinned: ``apply()`` raises
PatchError under any other Rasa version, or when the code a patch replaces is no longer the code it was written
against (its source hash), and tests/test_rasa_patches.py fails the same way, so an upgrade re-examines each one.
"""
from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any, Callable, Dict, Text

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

    _validate_action_result.patched_by = __name__  # type: ignore[attr-defined]
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


def check() -> None:
    """Raises PatchError unless every patch fits the installed Rasa (what the patches replace is unchanged)."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    if rasa.__version__ != RASA_VERSION:
        raise PatchError(f"launcher/rasa_patches.py is written for Rasa {RASA_VERSION}, found {rasa.__version__}: "
                         "re-examine each patch against the new source")
    original = getattr(RemoteAction._validate_action_result, "original", RemoteAction._validate_action_result)
    found = source_hash(original)
    if found != VALIDATE_ACTION_RESULT_HASH:
        raise PatchError(f"RemoteAction._validate_action_result changed (source hash {found}, patched "
                         f"{VALIDATE_ACTION_RESULT_HASH}): re-examine the cached-validator patch")


def apply() -> None:
    """Applies every patch once (a second call does nothing)."""
    from rasa.core.actions.action import RemoteAction

    check()
    _sqlite_write_ahead_log()
    if getattr(RemoteAction._validate_action_result, "patched_by", None) == __name__:
        return
    patched = _cached_validate_action_result()
    patched.original = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = patched
    logger.info("Rasa %s patches applied: cached action response validator, SQLite write-ahead log", RASA_VERSION)
