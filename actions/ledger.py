"""The accounts ledger: SQLAlchemy tables and the repository the actions use.

SQLite by default; any SQLAlchemy URL through ``ACCOUNTS_DB_URL`` (e.g. PostgreSQL).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, List, Optional

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, TypeDecorator,
    create_engine, func, select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

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


@dataclass(frozen=True)
class Account:
    account_id: str
    full_name: str
    date_of_birth: date
    balance: Decimal
    currency: str
    due_date: date
    legal_action_allowed: bool
    broken_promises: int = 0
    language: str = "en"
    email: Optional[str] = None
    phone: Optional[str] = None

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_date).days)

    @classmethod
    def from_row(cls, row: AccountRow) -> "Account":
        return cls(
            account_id=row.account_id, full_name=row.full_name, date_of_birth=row.date_of_birth,
            balance=Decimal(row.balance).quantize(Decimal("0.01")), currency=row.currency,
            due_date=row.due_date, legal_action_allowed=bool(row.legal_action_allowed),
            broken_promises=row.broken_promises or 0, language=row.language or "en",
            email=row.email, phone=row.phone,
        )


ACCOUNT_FIELDS = [c.name for c in AccountRow.__table__.columns if c.name != "updated_at"]


def database_url() -> str:
    return os.environ.get("ACCOUNTS_DB_URL") or DEFAULT_DB_URL


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url[len("sqlite:///"):]) or ".", exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    import actions.outcome_store  # noqa: F401  (registers the outcome tables before they are created)
    Base.metadata.create_all(engine)
    return engine


class AccountRepository:
    """Reads and writes accounts and their flags."""

    def __init__(self, url: Optional[str] = None):
        self.url = url or database_url()
        self.engine = engine_for(self.url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    def get(self, account_id: str) -> Optional[Account]:
        with self.session() as session:
            row = session.get(AccountRow, account_id)
            return Account.from_row(row) if row else None

    def upsert_many(self, accounts: Iterable[Account], session: Session, chunk_size: int = 900) -> int:
        """Insert or update by ``account_id`` inside the caller's transaction; returns rows changed."""
        changed = 0
        chunk: List[Account] = []
        for account in accounts:
            chunk.append(account)
            if len(chunk) >= chunk_size:
                changed += self._upsert_chunk(chunk, session)
                chunk = []
        if chunk:
            changed += self._upsert_chunk(chunk, session)
        return changed

    @staticmethod
    def _upsert_chunk(chunk: List[Account], session: Session) -> int:
        existing = {
            row.account_id: row for row in session.scalars(
                select(AccountRow).where(AccountRow.account_id.in_([a.account_id for a in chunk])))
        }
        inserts, updates = [], []
        for account in chunk:
            values = {f: getattr(account, f) for f in ACCOUNT_FIELDS}
            row = existing.get(account.account_id)
            if row is None:
                inserts.append({**values, "updated_at": utc_now()})
            elif any(_normalised(getattr(row, f)) != _normalised(v) for f, v in values.items()):
                updates.append({**values, "updated_at": utc_now()})
        if inserts:
            session.bulk_insert_mappings(AccountRow, inserts)
        if updates:
            session.bulk_update_mappings(AccountRow, updates)
        return len(inserts) + len(updates)

    def count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(AccountRow))

    def raise_flag(self, account_id: str, flag: str, conversation_id: Optional[str], note: str = "") -> None:
        with self.session() as session, session.begin():
            session.add(AccountFlagRow(account_id=account_id, flag=flag,
                                       conversation_id=conversation_id, note=note))

    def flags(self, account_id: str) -> List[str]:
        with self.session() as session:
            rows = session.scalars(
                select(AccountFlagRow.flag).where(AccountFlagRow.account_id == account_id)
                .order_by(AccountFlagRow.id))
            return list(rows)


def _normalised(value):
    if isinstance(value, (Decimal, float)):
        return Decimal(value).quantize(Decimal("0.01"))
    return value
