"""Compliance stops written to the account exactly once.

The stop action writes the stop when the accounts database answers. Whatever it could not write (database down,
action server down) is still in Rasa's SQL tracker store: the reconciler reads the stop intents from its
``events`` table, works out from the slot events whether the conversation was verified and for which account,
and writes each stop that is missing. The key of a stop is the id of the debtor's message, unique in
``compliance_stops``, so the action and the reconciler never write one twice.

Inside the action server the reconciler runs every ``recording_retry_seconds`` (policy/compliance.yml); it reads
the tracker store named in the endpoints file ``ENDPOINTS`` (default endpoints.yml), as the Rasa server does.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import yaml
from sqlalchemy import bindparam, create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from actions.models import (
    AccountFlagRow, ComplianceStopRow, OutcomeRow, StopReconcilerRow, database_url, sessions_for, utc_now,
)
from actions.policy_files import PROJECT_ROOT

logger = logging.getLogger(__name__)

RECONCILER = "stops"
SLOT_RESETS = ("session_started", "restart", "reset_slots")


@dataclass(frozen=True)
class StopRecord:
    stop_key: str
    conversation_id: str
    account_id: str
    flag: str
    note: str
    said_at: datetime


def said_at(timestamp: Optional[float]) -> datetime:
    if timestamp is None:
        return utc_now()
    return datetime.fromtimestamp(float(timestamp), timezone.utc).replace(tzinfo=None)


class StopRecorder:
    """Writes stops (flag + stop row, one transaction) and tells which conversations have one."""

    def __init__(self, url: Optional[str] = None):
        self._sessions = sessions_for(url or database_url())

    def record(self, stop: StopRecord, by: str, stronger: Optional[Callable[[Optional[str], str], str]] = None
               ) -> bool:
        """Writes ``stop``; False when it was written before. With ``stronger`` the conversation's outcome is
        raised to the stop's code too (the reconciler's case: no action set it)."""
        try:
            with self._sessions() as session, session.begin():
                if session.scalar(select(ComplianceStopRow.id).where(ComplianceStopRow.stop_key == stop.stop_key)):
                    return False
                session.add(ComplianceStopRow(stop_key=stop.stop_key, conversation_id=stop.conversation_id,
                                              account_id=stop.account_id, flag=stop.flag, said_at=stop.said_at,
                                              recorded_by=by))
                session.add(AccountFlagRow(account_id=stop.account_id, flag=stop.flag,
                                           conversation_id=stop.conversation_id, note=stop.note[:1000]))
                if stronger is not None:
                    outcome = session.get(OutcomeRow, stop.conversation_id) or OutcomeRow(
                        conversation_id=stop.conversation_id, account_id=stop.account_id, objections="")
                    outcome.outcome = stronger(outcome.outcome, stop.flag)
                    outcome.account_id = outcome.account_id or stop.account_id
                    outcome.recorded_at = utc_now()
                    session.add(outcome)
        except IntegrityError:
            if self.is_recorded(stop.stop_key):  # a concurrent writer got there first
                return False
            raise
        return True

    def is_recorded(self, stop_key: str) -> bool:
        with self._sessions() as session:
            found = session.scalar(select(ComplianceStopRow.id).where(ComplianceStopRow.stop_key == stop_key))
            return found is not None

    def stops(self, conversation_id: str) -> List[ComplianceStopRow]:
        with self._sessions() as session:
            return list(session.scalars(select(ComplianceStopRow).where(
                ComplianceStopRow.conversation_id == conversation_id).order_by(ComplianceStopRow.id)))

    def progress(self) -> Tuple[int, int]:
        """(last event id read, passes made) of the reconciler."""
        with self._sessions() as session:
            row = session.get(StopReconcilerRow, RECONCILER)
            return (row.last_event_id, row.passes) if row else (0, 0)

    def _advance(self, last_event_id: int) -> None:
        with self._sessions() as session, session.begin():
            row = session.get(StopReconcilerRow, RECONCILER) or StopReconcilerRow(name=RECONCILER, passes=0)
            row.last_event_id = last_event_id
            row.passes = (row.passes or 0) + 1
            row.last_pass_at = utc_now()
            session.add(row)


def identity_at(events: Iterable[Tuple[str, str]]) -> Tuple[bool, Optional[str]]:
    """(verified, account_id) after replaying a conversation's slot and reset events, oldest first."""
    verified, account_id = False, None
    for type_name, data in events:
        if type_name in SLOT_RESETS:
            verified, account_id = False, None
            continue
        event = json.loads(data)
        if event.get("name") == "verified":
            verified = event.get("value") is True
        elif event.get("name") == "account_id":
            account_id = event.get("value")
    return verified, account_id


def reconcile(recorder: StopRecorder, tracker_store: Engine, stops: Dict[str, str],
              stronger: Callable[[Optional[str], str], str]) -> int:
    """Writes every stop in the tracker store that is not written yet; returns how many it wrote."""
    last, _ = recorder.progress()
    written = 0
    with tracker_store.connect() as conn:
        newest = conn.execute(text("SELECT MAX(id) FROM events")).scalar()
        if newest is None:
            return 0
        if newest < last:  # the tracker store was replaced: read it again from the start
            last = 0
        intents = list(stops)
        said = conn.execute(
            text("SELECT id, sender_id, intent_name, timestamp, data FROM events "
                 "WHERE id > :last AND id <= :newest AND type_name = 'user' AND intent_name IN :intents "
                 "ORDER BY id").bindparams(bindparam("intents", expanding=True)),
            {"last": last, "newest": newest, "intents": intents}).all()
        for event_id, sender_id, intent, timestamp, data in said:
            verified, account_id = identity_at(conn.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :sender AND id < :id AND "
                     "type_name IN ('slot', 'session_started', 'restart', 'reset_slots') ORDER BY id"),
                {"sender": sender_id, "id": event_id}).all())
            if not (verified and account_id):
                continue  # nothing can be written to an account for an unverified person
            message = json.loads(data)
            stop = StopRecord(stop_key=message.get("message_id") or f"{sender_id}:{timestamp}",
                              conversation_id=sender_id, account_id=account_id, flag=stops[intent],
                              note=message.get("text") or "", said_at=said_at(timestamp))
            try:
                newly = recorder.record(stop, "reconciler", stronger)
            except IntegrityError:  # e.g. the account left the ledger: say so, and do not block the others
                logger.error("ALERT compliance stop %s of conversation %s cannot be written to account %s",
                             stop.flag, sender_id, account_id)
                continue
            if newly:
                written += 1
                logger.warning("compliance stop %s for account %s, said while it could not be written, "
                               "is now written", stop.flag, account_id)
    recorder._advance(newest)
    return written


def tracker_store_engine(endpoints: Optional[str] = None) -> Optional[Engine]:
    """An engine on the Rasa SQL tracker store named in the endpoints file, or None when it is not SQL."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    path = Path(endpoints or os.environ.get("ENDPOINTS") or "endpoints.yml")
    path = path if path.is_absolute() else PROJECT_ROOT / path
    section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tracker_store")
    if not isinstance(section, dict) or str(section.get("type", "")).upper() != "SQL":
        return None
    # ${VAR} in this section only, as Rasa expands them (the action endpoint's variables are not needed here)
    section = {key: os.path.expandvars(value) if isinstance(value, str) else value for key, value in section.items()}
    unset = sorted({name for value in section.values() if isinstance(value, str)
                    for name in re.findall(r"\$\{(\w+)\}", value)})
    if unset:
        raise ValueError(f"{path}: tracker_store needs the environment variable(s) {', '.join(unset)}")
    config = EndpointConfig.from_dict(section)
    options: Dict[str, Any] = dict(config.kwargs)
    dialect = options.get("dialect", "sqlite")
    db = options.get("db", "rasa.db")
    if dialect == "sqlite" and not os.path.isabs(db):
        db = str(PROJECT_ROOT / db)
    port = int(options["port"]) if options.get("port") else None
    url = SQLTrackerStore.get_db_url(dialect, config.url, port, db, options.get("username"),
                                     options.get("password"), options.get("login_db"), options.get("query"))
    return create_engine(url, future=True, pool_pre_ping=True)


async def keep_reconciling(every: float, stops: Dict[str, str], stronger: Callable[[Optional[str], str], str]
                           ) -> None:
    """Runs ``reconcile`` every ``every`` seconds for as long as the action server runs."""
    recorder = StopRecorder()
    try:
        engine = tracker_store_engine()
    except (OSError, ValueError) as exc:  # unreadable endpoints file, or an ${ENV} it names is unset
        logger.error("ALERT cannot read the tracker store from the endpoints file (%s), so compliance stops "
                     "said while the database or the action server was down will not be written later", exc)
        return
    if engine is None:
        logger.error("ALERT the tracker store is not SQL, so compliance stops said while the database or the "
                     "action server was down cannot be written later; set an SQL tracker_store in ENDPOINTS")
        return
    logger.info("Writing unwritten compliance stops from %s every %s s", engine.url.render_as_string(), every)
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, reconcile, recorder, engine, stops, stronger)
        except SQLAlchemyError as exc:
            logger.warning("compliance stops not reconciled yet (%s); trying again in %s s",
                           exc.__class__.__name__, every)
        await asyncio.sleep(every)


def run_in_action_server(every: float, stops: Dict[str, str], stronger: Callable[[Optional[str], str], str]) -> None:
    """Starts ``keep_reconciling`` with rasa_sdk's app, when this package is loaded by the action server."""
    from sanic import Sanic
    from sanic.exceptions import SanicException

    try:
        app = Sanic.get_app("rasa_sdk")
    except SanicException:
        return  # imported outside the action server (tests, commands)
    if getattr(app.ctx, "stop_reconciler", False):
        return
    app.ctx.stop_reconciler = True

    async def start(app_, loop):
        app_.add_task(keep_reconciling(every, stops, stronger))

    app.register_listener(start, "after_server_start")
