"""Lock-out per account: failed date-of-birth checks counted in the database across every conversation.

``policy/compliance.yml`` ``verification``: after ``max_failed_attempts`` failures within
``lockout_window_minutes`` the account is locked for that long, for every conversation, or until staff unlock it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.models import AccountLockRow, AccountRow, VerificationAttemptRow, database_url, sessions_for, utc_now
from actions.policy_files import load_policy, require

SOURCE = "policy/compliance.yml"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failed_attempts: int
    window: timedelta

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None) -> "LockoutPolicy":
        data = load_policy("compliance.yml") if data is None else data
        section = data.get("verification")
        require(isinstance(section, dict), SOURCE, "needs a 'verification' mapping")
        attempts, minutes = section.get("max_failed_attempts"), section.get("lockout_window_minutes")
        require(isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 1, SOURCE,
                "verification.max_failed_attempts must be a whole number of 1 or more")
        require(isinstance(minutes, int) and not isinstance(minutes, bool) and minutes >= 1, SOURCE,
                "verification.lockout_window_minutes must be a whole number of minutes, 1 or more")
        return cls(attempts, timedelta(minutes=minutes))


@dataclass(frozen=True)
class CheckResult:
    locked: bool
    attempts_left: int


class VerificationGuard:
    """Counts failed checks per account and keeps the lock-outs (with when each began and ended)."""

    def __init__(self, policy: LockoutPolicy, url: Optional[str] = None):
        self.policy = policy
        self.url = url or database_url()
        self._sessions = sessions_for(self.url)

    def session(self) -> Session:
        return self._sessions()

    def active_lock(self, account_id: str, now: Optional[datetime] = None) -> Optional[AccountLockRow]:
        with self.session() as session:
            return self._active_lock(session, account_id, now or utc_now())

    def is_locked(self, account_id: str) -> bool:
        return self.active_lock(account_id) is not None

    def record_failure(self, account_id: str, now: Optional[datetime] = None) -> CheckResult:
        """Counts one failed check; locks the account when it is the last one allowed."""
        now = now or utc_now()
        with self.session() as session, session.begin():
            # Serialises concurrent checks of one account on databases with row locks (SQLite locks on write).
            session.get(AccountRow, account_id, with_for_update=True)
            session.add(VerificationAttemptRow(account_id=account_id, succeeded=False, attempted_at=now))
            session.flush()
            if self._active_lock(session, account_id, now):
                return CheckResult(locked=True, attempts_left=0)
            failures = self._failures_since_reset(session, account_id, now)
            if failures >= self.policy.max_failed_attempts:
                session.add(AccountLockRow(account_id=account_id, locked_at=now,
                                           locked_until=now + self.policy.window))
                return CheckResult(locked=True, attempts_left=0)
            return CheckResult(locked=False, attempts_left=self.policy.max_failed_attempts - failures)

    def record_success(self, account_id: str, now: Optional[datetime] = None) -> None:
        """A matching check starts the count again."""
        with self.session() as session, session.begin():
            session.add(VerificationAttemptRow(account_id=account_id, succeeded=True, attempted_at=now or utc_now()))

    def unlock(self, account_id: str, by: str, now: Optional[datetime] = None) -> int:
        """Ends every active lock on the account (staff); returns how many were ended."""
        now = now or utc_now()
        with self.session() as session, session.begin():
            locks = list(session.scalars(select(AccountLockRow).where(
                AccountLockRow.account_id == account_id, AccountLockRow.unlocked_at.is_(None),
                AccountLockRow.locked_until > now)))
            for lock in locks:
                lock.unlocked_at, lock.unlocked_by = now, by
            return len(locks)

    def locks(self, account_id: str) -> List[AccountLockRow]:
        with self.session() as session:
            return list(session.scalars(select(AccountLockRow).where(AccountLockRow.account_id == account_id)
                                        .order_by(AccountLockRow.locked_at, AccountLockRow.id)))

    @staticmethod
    def _active_lock(session: Session, account_id: str, now: datetime) -> Optional[AccountLockRow]:
        return session.scalars(select(AccountLockRow).where(
            AccountLockRow.account_id == account_id, AccountLockRow.unlocked_at.is_(None),
            AccountLockRow.locked_until > now).order_by(AccountLockRow.locked_until.desc())).first()

    def _failures_since_reset(self, session: Session, account_id: str, now: datetime) -> int:
        """Failures inside the window and after the last success, lock or unlock of this account."""
        resets = [now - self.policy.window]
        resets.append(session.scalar(select(func.max(VerificationAttemptRow.attempted_at)).where(
            VerificationAttemptRow.account_id == account_id, VerificationAttemptRow.succeeded.is_(True))))
        resets.append(session.scalar(select(func.max(AccountLockRow.locked_until)).where(
            AccountLockRow.account_id == account_id, AccountLockRow.locked_until <= now)))
        resets.append(session.scalar(select(func.max(AccountLockRow.unlocked_at)).where(
            AccountLockRow.account_id == account_id)))
        since = max(r for r in resets if r is not None)
        return session.scalar(select(func.count()).select_from(VerificationAttemptRow).where(
            VerificationAttemptRow.account_id == account_id, VerificationAttemptRow.succeeded.is_(False),
            VerificationAttemptRow.attempted_at > since))
