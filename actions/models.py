"""Every SQLAlchemy table of the accounts database, in one place.

SQLite by default; any SQLAlchemy URL through ``ACCOUNTS_DB_URL`` (e.g. PostgreSQL). The repositories
(``ledger``, ``outcome_store``, ...) read and write these tables; plain domain objects never import them.
Other parts append their tables at the end, each in its own headed section.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, create_engine,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base, sessionmaker

from actions.policy_files import PROJECT_ROOT

DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'accounts.db'}"

Base = declarative_base()


class Money(TypeDecorator):
    """An exact amount stored as whole cents, so no database rounds a cent away."""
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def database_url() -> str:
    return os.environ.get("ACCOUNTS_DB_URL") or DEFAULT_DB_URL


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL, with every table below created on first use."""
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url[len("sqlite:///"):]) or ".", exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    return engine


@lru_cache(maxsize=8)
def sessions_for(url: str) -> sessionmaker:
    return sessionmaker(engine_for(url), future=True, expire_on_commit=False)


# ---------------------------------------------------------------- ledger: accounts and their flags

class AccountRow(Base):
    __tablename__ = "accounts"
    account_id = Column(String(32), primary_key=True)
    full_name = Column(String(200), nullable=False)
    date_of_birth = Column(Date, nullable=False)
    balance = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    due_date = Column(Date, nullable=False)
    legal_action_allowed = Column(Boolean, nullable=False, default=False)
    broken_promises = Column(Integer, nullable=False, default=0)
    language = Column(String(8), nullable=False, default="en")
    email = Column(String(200))
    phone = Column(String(50))
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)


class AccountFlagRow(Base):
    """A compliance or attention flag raised on an account (dispute, cease contact, ...)."""
    __tablename__ = "account_flags"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(32), ForeignKey("accounts.account_id"), nullable=False, index=True)
    flag = Column(String(32), nullable=False)
    conversation_id = Column(String(128))
    note = Column(Text)
    raised_at = Column(DateTime, nullable=False, default=utc_now)


# ---------------------------------------------------------------- outcomes, promises, payments

class OutcomeRow(Base):
    __tablename__ = "conversation_outcomes"
    conversation_id = Column(String(128), primary_key=True)
    account_id = Column(String(32), index=True)
    outcome = Column(String(32), nullable=False)
    promise_date = Column(Date)
    promise_amount = Column(Money)
    max_tone = Column(String(16))
    objections = Column(Text, nullable=False, default="")
    recorded_at = Column(DateTime, nullable=False, default=utc_now)


class PromiseRow(Base):
    """One dated amount the debtor committed to: a promise, a part payment, or one instalment of a plan."""
    __tablename__ = "promises"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(32), ForeignKey("accounts.account_id"), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=False)
    kind = Column(String(16), nullable=False)
    due_date = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    made_on = Column(Date, nullable=False)
    status = Column(String(8), nullable=False, default="open")  # open, kept, broken


class PaymentRow(Base):
    __tablename__ = "payments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(32), ForeignKey("accounts.account_id"), nullable=False, index=True)
    amount = Column(Money, nullable=False)
    paid_on = Column(Date, nullable=False)
    thanked = Column(Boolean, nullable=False, default=False)
    imported_at = Column(DateTime, nullable=False, default=utc_now)


# ---------------------------------------------------------------- identity checks: failed attempts and lock-outs

class VerificationAttemptRow(Base):
    """One date-of-birth check against an account reference (which need not exist in the ledger)."""
    __tablename__ = "verification_attempts"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(32), nullable=False, index=True)
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime, nullable=False, default=utc_now, index=True)


class AccountLockRow(Base):
    """An account locked after too many failed checks: until ``locked_until``, or until staff unlock it."""
    __tablename__ = "account_locks"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(32), nullable=False, index=True)
    locked_at = Column(DateTime, nullable=False, default=utc_now)
    locked_until = Column(DateTime, nullable=False)
    unlocked_at = Column(DateTime)
    unlocked_by = Column(String(128))


# ---------------------------------------------------------------- tables of other parts
# Each part appends its tables below this line in its own headed section (staff users, audit, review, practice).


# ---------------------------------------------------------------- staff console: users, sign-in, tokens, audit

class StaffUserRow(Base):
    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)  # collector, supervisor, admin
    password_hash = Column(String(255), nullable=False)
    disabled = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)
    last_login_at = Column(DateTime)


class StaffSessionRow(Base):
    """A signed-in browser: the cookie holds a random id; only its keyed hash is stored, so a row can be revoked."""
    __tablename__ = "staff_sessions"
    id_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    client_address = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=utc_now)
    last_seen_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False)


class StaffApiTokenRow(Base):
    """A personal API token (``Authorization: Bearer``); only its SHA-256 is stored."""
    __tablename__ = "staff_api_tokens"
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    label = Column(String(100), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utc_now)
    last_used_at = Column(DateTime)
    revoked_at = Column(DateTime)


class StaffLoginAttemptRow(Base):
    """Every sign-in attempt, for slowing and locking repeated failures per username and per client address."""
    __tablename__ = "staff_login_attempts"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, index=True)
    client_address = Column(String(64), nullable=False, index=True)
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime, nullable=False, default=utc_now, index=True)


class StaffAuditRow(Base):
    """Who did what to what, and when: every staff action worth answering for."""
    __tablename__ = "staff_audit_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utc_now, index=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), index=True)
    username = Column(String(64))
    action = Column(String(64), nullable=False, index=True)
    target = Column(String(200), nullable=False, default="")
    detail = Column(Text, nullable=False, default="")
    client_address = Column(String(64))


# ---------------------------------------------------------------- supervisor review: conversation index, review work
# Summaries are rebuilt from Rasa's tracker store `events` table by actions/conversation_index.py; the rest is
# what supervisors record. Multi-valued summary columns hold ";a;b;" so one LIKE finds a member.
from sqlalchemy import Float, UniqueConstraint  # noqa: E402


class ReviewIndexStateRow(Base):
    """How far the indexer has read the tracker store's events table."""
    __tablename__ = "review_index_state"
    name = Column(String(32), primary_key=True)
    last_event_id = Column(BigInteger, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)


class ReviewConversationRow(Base):
    """One live conversation (a tracker sender id), summarised for the inbox, filters and dashboard."""
    __tablename__ = "review_conversations"
    conversation_id = Column(String(255), primary_key=True)
    started_at = Column(DateTime, nullable=False, index=True)
    last_event_at = Column(DateTime, nullable=False)
    account_id = Column(String(32), index=True)  # only once verified
    outcome = Column(String(32), nullable=False, index=True)
    max_tone = Column(String(16), index=True)
    objections = Column(Text, nullable=False, default="")
    flags = Column(Text, nullable=False, default="")
    intents = Column(Text, nullable=False, default="")
    turns = Column(Integer, nullable=False, default=0)
    min_confidence = Column(Float)
    fallbacks = Column(Integer, nullable=False, default=0)
    search_text = Column(Text, nullable=False, default="")
    score = Column(Integer)
    review_status = Column(String(16), nullable=False, default="unreviewed", index=True)
    reviewed_by = Column(String(64))
    reviewed_at = Column(DateTime)


class ReviewTagRow(Base):
    __tablename__ = "review_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    tag = Column(String(40), nullable=False, index=True)
    added_by = Column(String(64), nullable=False)
    added_at = Column(DateTime, nullable=False, default=utc_now)


class ReviewNoteRow(Base):
    """A supervisor's private note on a conversation."""
    __tablename__ = "review_notes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    written_at = Column(DateTime, nullable=False, default=utc_now)


class ReviewMessageFlagRow(Base):
    """A message a supervisor flagged; ``event_id`` is the message's id in the tracker store's events table."""
    __tablename__ = "review_message_flags"
    __table_args__ = (UniqueConstraint("conversation_id", "event_id"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    event_id = Column(BigInteger, nullable=False)
    reason = Column(Text, nullable=False, default="")
    flagged_by = Column(String(64), nullable=False)
    flagged_at = Column(DateTime, nullable=False, default=utc_now)


class IntentCorrectionRow(Base):
    """The intent a debtor message should have had; ``make export-annotations`` writes these as NLU data."""
    __tablename__ = "review_intent_corrections"
    __table_args__ = (UniqueConstraint("conversation_id", "event_id"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    event_id = Column(BigInteger, nullable=False)
    text = Column(Text, nullable=False)
    annotated_text = Column(Text, nullable=False)  # with [entity](name) marks, as Rasa NLU YAML writes them
    predicted_intent = Column(String(64))
    corrected_intent = Column(String(64), nullable=False)
    corrected_by = Column(String(64), nullable=False)
    corrected_at = Column(DateTime, nullable=False, default=utc_now, index=True)


class SavedStoryRow(Base):
    """A conversation saved as a Rasa test story (tests/ format); exported by ``make export-test-stories``."""
    __tablename__ = "review_saved_stories"
    conversation_id = Column(String(255), primary_key=True)
    story_yaml = Column(Text, nullable=False)
    saved_by = Column(String(64), nullable=False)
    saved_at = Column(DateTime, nullable=False, default=utc_now)


# ---------------------------------------------------------------- compliance stops: written once, even late

class ComplianceStopRow(Base):
    """A compliance stop written to an account. ``stop_key`` is the id of the debtor's message, so the action
    and the reconciler (for stops said while the database or the action server was down) write it once."""
    __tablename__ = "compliance_stops"
    id = Column(Integer, primary_key=True, autoincrement=True)
    stop_key = Column(String(128), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    account_id = Column(String(32), ForeignKey("accounts.account_id"), nullable=False, index=True)
    flag = Column(String(32), nullable=False)
    said_at = Column(DateTime, nullable=False)
    recorded_at = Column(DateTime, nullable=False, default=utc_now)
    recorded_by = Column(String(16), nullable=False)  # conversation, reconciler


class StopReconcilerRow(Base):
    """How far the reconciler has read the conversation store's events table, and when it last ran."""
    __tablename__ = "stop_reconciler"
    name = Column(String(32), primary_key=True)
    last_event_id = Column(Integer, nullable=False, default=0)
    passes = Column(Integer, nullable=False, default=0)
    last_pass_at = Column(DateTime)


# ---------------------------------------------------------------- practice: sessions, turns, scorecards
# A collector's role-play against the practice assistant (web/staff/practice.py), scored by actions/rubric.py.

class PracticeSessionRow(Base):
    """One attempt at a scenario; the id is also the sender id on the practice Rasa server."""
    __tablename__ = "practice_sessions"
    id = Column(String(36), primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    scenario_id = Column(String(64), nullable=False)
    card = Column(Text, nullable=False)  # JSON: the facts shown to the collector
    started_at = Column(DateTime, nullable=False, default=utc_now, index=True)
    debtor_ended = Column(Boolean, nullable=False, default=False)
    finished_at = Column(DateTime, index=True)
    score = Column(Integer)
    passed = Column(Boolean)


class PracticeTurnRow(Base):
    """One message of a practice session, in order."""
    __tablename__ = "practice_turns"
    id = Column(Integer, primary_key=True, autoincrement=True)
    session_id = Column(String(36), ForeignKey("practice_sessions.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    speaker = Column(String(16), nullable=False)  # collector, debtor
    text = Column(Text, nullable=False)
    said_at = Column(DateTime, nullable=False, default=utc_now)


class PracticeScorecardRow(Base):
    """The scorecard of a finished session, as actions.rubric returned it (JSON)."""
    __tablename__ = "practice_scorecards"
    session_id = Column(String(36), ForeignKey("practice_sessions.id"), primary_key=True)
    scorecard = Column(Text, nullable=False)
    scored_at = Column(DateTime, nullable=False, default=utc_now)


class PracticeCriterionResultRow(Base):
    """One criterion of one scorecard, for trends and pass rates per criterion."""
    __tablename__ = "practice_criterion_results"
    session_id = Column(String(36), ForeignKey("practice_sessions.id"), primary_key=True)
    criterion_id = Column(String(64), primary_key=True)
    passed = Column(Boolean, nullable=False)
