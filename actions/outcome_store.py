"""Outcomes, promises and payments received: the repository over those tables of ``actions.models``."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, Iterable, List, Optional, Sequence, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.commitments import Instalment
from actions.models import (
    AccountFlagRow, AccountRow, OutcomeRow, PaymentRow, PromiseRow, database_url, sessions_for, utc_now,
)

EXPORT_COLUMNS = ["conversation_id", "account_id", "outcome", "promise_date", "promise_amount", "max_tone",
                  "objections", "recorded_at", "flags"]
TIME_REQUESTS = ("PROMISE_TO_PAY", "PAYMENT_PLAN", "PARTIAL_PAYMENT")


@dataclass(frozen=True)
class ConversationOutcome:
    conversation_id: str
    account_id: Optional[str]
    outcome: str
    promise_date: Optional[date]
    promise_amount: Optional[Decimal]
    max_tone: Optional[str]
    objections: Sequence[str]


@dataclass(frozen=True)
class Payment:
    account_id: str
    amount: Decimal
    paid_on: date


class OutcomeStore:
    """Reads and writes conversation outcomes, promises and payments received."""

    def __init__(self, url: Optional[str] = None):
        self.url = url or database_url()
        self._sessions = sessions_for(self.url)

    def session(self) -> Session:
        return self._sessions()

    def record_outcome(self, outcome: ConversationOutcome) -> None:
        with self.session() as session, session.begin():
            row = session.get(OutcomeRow, outcome.conversation_id) or OutcomeRow(
                conversation_id=outcome.conversation_id)
            row.account_id = outcome.account_id
            row.outcome = outcome.outcome
            row.promise_date = outcome.promise_date
            row.promise_amount = outcome.promise_amount
            row.max_tone = outcome.max_tone
            row.objections = ";".join(outcome.objections)
            row.recorded_at = utc_now()
            session.add(row)

    def outcome(self, conversation_id: str) -> Optional[OutcomeRow]:
        with self.session() as session:
            return session.get(OutcomeRow, conversation_id)

    def record_promises(self, account_id: str, conversation_id: str, kind: str,
                        instalments: Iterable[Instalment], today: date) -> None:
        with self.session() as session, session.begin():
            for item in instalments:
                session.add(PromiseRow(account_id=account_id, conversation_id=conversation_id, kind=kind,
                                       due_date=item.due, amount=item.amount, made_on=today))

    def promises(self, account_id: str) -> List[PromiseRow]:
        with self.session() as session:
            return list(session.scalars(select(PromiseRow).where(PromiseRow.account_id == account_id)
                                        .order_by(PromiseRow.due_date, PromiseRow.id)))

    def import_payments(self, payments: Sequence[Payment], today: date) -> int:
        """Records payments (all or nothing), lowers balances, then settles the promises they touch."""
        with self.session() as session, session.begin():
            known = set(session.scalars(select(AccountRow.account_id).where(
                AccountRow.account_id.in_({p.account_id for p in payments}))))
            unknown = sorted({p.account_id for p in payments} - known)
            if unknown:
                raise ValueError(f"unknown account(s): {', '.join(unknown[:10])}")
            for payment in payments:
                session.add(PaymentRow(account_id=payment.account_id, amount=payment.amount,
                                       paid_on=payment.paid_on))
                account = session.get(AccountRow, payment.account_id)
                account.balance = max(Decimal(0), account.balance - payment.amount)
            session.flush()
            for account_id in {p.account_id for p in payments}:
                self._settle(session, account_id, today)
        return len(payments)

    def settle_promises(self, account_id: str, today: date) -> int:
        """Marks promises whose date has passed as kept or broken; returns how many broke now."""
        with self.session() as session, session.begin():
            return self._settle(session, account_id, today)

    @staticmethod
    def _settle(session: Session, account_id: str, today: date) -> int:
        promises = list(session.scalars(select(PromiseRow).where(
            PromiseRow.account_id == account_id, PromiseRow.status == "open", PromiseRow.due_date < today)
            .order_by(PromiseRow.due_date, PromiseRow.id)))
        if not promises:
            return 0
        payments = list(session.scalars(select(PaymentRow).where(PaymentRow.account_id == account_id)))
        kept: Dict[str, Decimal] = {}
        for row in session.scalars(select(PromiseRow).where(
                PromiseRow.account_id == account_id, PromiseRow.status == "kept")):
            kept[row.conversation_id] = kept.get(row.conversation_id, Decimal(0)) + row.amount
        broken = 0
        for promise in promises:
            paid = sum((p.amount for p in payments if promise.made_on <= p.paid_on <= promise.due_date), Decimal(0))
            due_so_far = kept.get(promise.conversation_id, Decimal(0)) + promise.amount
            if paid >= due_so_far:
                promise.status, kept[promise.conversation_id] = "kept", due_so_far
            else:
                promise.status = "broken"
                broken += 1
        if broken:
            account = session.get(AccountRow, account_id)
            account.broken_promises = (account.broken_promises or 0) + broken
        return broken

    def payments_to_thank(self, account_id: str) -> List[Payment]:
        """Payments the debtor has not yet been thanked for; marks them thanked."""
        with self.session() as session, session.begin():
            rows = list(session.scalars(select(PaymentRow).where(
                PaymentRow.account_id == account_id, PaymentRow.thanked.is_(False)).order_by(PaymentRow.paid_on)))
            for row in rows:
                row.thanked = True
            return [Payment(r.account_id, r.amount, r.paid_on) for r in rows]

    def check_warning_sign(self, account_id: str, today: date, requests_needed: int, within_days: int) -> bool:
        """Flags, once, an account with no broken promises that keeps asking for more time."""
        since = datetime.combine(today - timedelta(days=within_days), datetime.min.time())
        with self.session() as session, session.begin():
            account = session.get(AccountRow, account_id)
            if account is None or account.broken_promises:
                return False
            already = session.scalar(select(AccountFlagRow.id).where(
                AccountFlagRow.account_id == account_id, AccountFlagRow.flag == "WARNING_SIGN"))
            if already:
                return False
            requests = session.scalars(select(OutcomeRow.conversation_id).where(
                OutcomeRow.account_id == account_id, OutcomeRow.outcome.in_(TIME_REQUESTS),
                OutcomeRow.recorded_at >= since)).all()
            if len(requests) < requests_needed:
                return False
            session.add(AccountFlagRow(account_id=account_id, flag="WARNING_SIGN",
                                       note=f"{len(requests)} requests for more time in {within_days} days "
                                            f"from an account with no broken promises"))
            return True

    def export_outcomes(self, handle: TextIO) -> int:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        count = 0
        with self.session() as session:
            flags: Dict[str, List[str]] = {}  # flags raised in each conversation (stops, complaints, traces)
            for conversation_id, flag in session.execute(select(AccountFlagRow.conversation_id, AccountFlagRow.flag)
                                                         .order_by(AccountFlagRow.id)):
                raised = flags.setdefault(conversation_id, [])
                if flag not in raised:
                    raised.append(flag)
            for row in session.scalars(select(OutcomeRow).order_by(OutcomeRow.recorded_at)):
                writer.writerow([row.conversation_id, row.account_id or "", row.outcome,
                                 row.promise_date.isoformat() if row.promise_date else "",
                                 f"{row.promise_amount:.2f}" if row.promise_amount is not None else "",
                                 row.max_tone or "", row.objections or "",
                                 row.recorded_at.isoformat(timespec="seconds"),
                                 ";".join(flags.get(row.conversation_id, []))])
                count += 1
        return count
