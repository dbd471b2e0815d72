"""The accounts ledger: the repository the actions and the import use over the ``accounts`` tables."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.account import ACCOUNT_FIELDS, Account
from actions.models import AccountFlagRow, AccountRow, database_url, engine_for, sessions_for, utc_now


def account_from_row(row: AccountRow) -> Account:
    return Account(
        account_id=row.account_id, full_name=row.full_name, date_of_birth=row.date_of_birth,
        balance=Decimal(row.balance).quantize(Decimal("0.01")), currency=row.currency,
        due_date=row.due_date, legal_action_allowed=bool(row.legal_action_allowed),
        broken_promises=row.broken_promises or 0, language=row.language or "en",
        email=row.email, phone=row.phone,
    )


class AccountRepository:
    """Reads and writes accounts and their flags."""

    def __init__(self, url: Optional[str] = None):
        self.url = url or database_url()
        self.engine = engine_for(self.url)
        self._sessions = sessions_for(self.url)

    def session(self) -> Session:
        return self._sessions()

    def get(self, account_id: str) -> Optional[Account]:
        with self.session() as session:
            row = session.get(AccountRow, account_id)
            return account_from_row(row) if row else None

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
