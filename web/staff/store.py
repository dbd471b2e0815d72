"""Staff users, passwords, API tokens, sign-in sessions, failed-login throttling and the audit log.

Plain functions over the tables in actions/models.py; no web framework here, so the commands
(``commands.staff_user``, ``commands.staff_token``) and the console share one set of rules.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update

from actions.models import (
    StaffApiTokenRow, StaffAuditRow, StaffLoginAttemptRow, StaffSessionRow, StaffUserRow, database_url,
    sessions_for, utc_now,
)

ROLES = ("collector", "supervisor", "admin")  # each role includes every role before it
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
TOKEN_PREFIX = "stf_"
ATTEMPTS_KEPT_DAYS = 30  # sign-in attempts older than this are pruned; the audit log keeps sign-ins for good

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a staff password")


class StaffError(ValueError):
    """A request about staff users that cannot be done, with a message for the person who asked."""


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: str

    def has_role(self, *roles: str) -> bool:
        return has_role(self.role, *roles)


@dataclass(frozen=True)
class StaffUserInfo:
    username: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: Optional[datetime]

    def as_json(self) -> Dict[str, Any]:
        return {"username": self.username, "role": self.role, "disabled": self.disabled,
                "created_at": _iso(self.created_at), "last_login_at": _iso(self.last_login_at)}


@dataclass(frozen=True)
class LoginPolicy:
    """How failed sign-ins are slowed, then locked (environment variables, defaults in brackets)."""
    slow_after: int = 3             # STAFF_LOGIN_SLOW_AFTER: failures per username before each retry must wait
    lock_after: int = 6             # STAFF_LOGIN_LOCK_AFTER: failures per username that lock it
    address_slow_after: int = 10    # STAFF_LOGIN_ADDRESS_SLOW_AFTER: the same, per client address
    address_lock_after: int = 20    # STAFF_LOGIN_ADDRESS_LOCK_AFTER
    delay_seconds: float = 2.0      # STAFF_LOGIN_DELAY_SECONDS: first wait; doubles with each further failure
    max_delay_seconds: float = 60.0  # STAFF_LOGIN_MAX_DELAY_SECONDS
    lock_minutes: float = 15.0      # STAFF_LOGIN_LOCK_MINUTES: how long failures count, so how long a lock lasts

    @classmethod
    def from_environment(cls) -> "LoginPolicy":
        values = {}
        for name, field in cls.__dataclass_fields__.items():
            variable = f"STAFF_LOGIN_{name.upper()}"
            raw = os.environ.get(variable)
            if raw is None or raw == "":
                continue
            kind = int if field.type in ("int", int) else float
            try:
                value = kind(raw)
            except ValueError:
                raise StaffError(f"{variable}={raw!r} is not a {'whole ' if kind is int else ''}number") from None
            if value <= 0:
                raise StaffError(f"{variable} must be greater than 0")
            values[name] = value
        policy = cls(**values)
        if policy.slow_after >= policy.lock_after or policy.address_slow_after >= policy.address_lock_after:
            raise StaffError("STAFF_LOGIN_SLOW_AFTER must be below STAFF_LOGIN_LOCK_AFTER (and the same for "
                             "the ADDRESS_ settings): failures are slowed first, then locked")
        return policy


@dataclass(frozen=True)
class LoginBlock:
    """Why a sign-in is refused before the password is even checked."""
    locked: bool            # True: locked until `until`; False: slowed, retry after `retry_after` seconds
    by_address: bool
    until: datetime
    retry_after: int

    @property
    def message(self) -> str:
        who = "your network address" if self.by_address else "this username"
        if self.locked:
            minutes = max(1, round(self.retry_after / 60))
            unlock = "" if self.by_address else " An admin can unlock it by resetting the password."
            return (f"Too many failed sign-ins for {who}: it is locked until {self.until:%H:%M} UTC "
                    f"(about {minutes} minute{'s' if minutes != 1 else ''}).{unlock}")
        return (f"Too many failed sign-ins for {who}: wait {self.retry_after} second"
                f"{'s' if self.retry_after != 1 else ''} before trying again.")


def has_role(role: str, *wanted: str) -> bool:
    """True if ``role`` is, or includes, any of ``wanted`` (admin ⊇ supervisor ⊇ collector).

    With no ``wanted`` roles, any staff role will do."""
    if role not in ROLES:
        return False
    return not wanted or any(w in ROLES and ROLES.index(role) >= ROLES.index(w) for w in wanted)


def normalise_username(username: Any) -> str:
    if not isinstance(username, str) or not username.strip():
        raise StaffError("a username is required")
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise StaffError(f"username {username.strip()[:70]!r} must be 2-64 characters: letters, digits and . _ @ -, "
                         "starting with a letter or digit")
    return name


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise StaffError(f"role {str(role)[:30]!r} is not one of: {', '.join(ROLES)}")
    return role


def check_password(password: Any, username: str = "") -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    if username and password.strip().lower() == username.lower():
        raise StaffError("the password must not be the username")
    return password


def token_hash(token: str) -> str:
    """API tokens are 256-bit random, so a plain SHA-256 is a safe way to store them."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


class StaffStore:
    def __init__(self, url: Optional[str] = None, session_key: str = ""):
        self.url = url or database_url()
        self._sessions = sessions_for(self.url)
        self._session_key = session_key.encode("utf-8")

    # ------------------------------------------------------------ users

    def save_user(self, username: str, role: str, password: Optional[str]) -> Tuple[StaffUser, bool]:
        """Creates the user, or updates its role (and password when given). Returns (user, created)."""
        name, role = normalise_username(username), check_role(role)
        with self._sessions.begin() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == name)).scalar_one_or_none()
            created = row is None
            if created:
                if password is None:
                    raise StaffError(f"{name} is a new user: a password is required")
                row = StaffUserRow(username=name, role=role, password_hash=_hasher.hash(check_password(password, name)))
                db.add(row)
            else:
                if row.role == "admin" and role != "admin":
                    self._keep_an_admin(db, row)
                row.role = role
                if password is not None:
                    row.password_hash = _hasher.hash(check_password(password, name))
                    self._sign_out_everywhere(db, row)
            db.flush()
            return StaffUser(row.id, row.username, row.role), created

    def create_user(self, username: str, role: str, password: str) -> StaffUser:
        name = normalise_username(username)
        if self.user_info(name) is not None:
            raise StaffError(f"a staff user named {name} already exists")
        return self.save_user(name, role, password)[0]

    def set_role(self, username: str, role: str) -> None:
        self.save_user(self._existing(username), role, None)

    def set_password(self, username: str, password: str) -> None:
        """An admin's password reset: also signs the user out everywhere and clears their failed sign-ins."""
        name = self._existing(username)
        with self._sessions.begin() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == name)).scalar_one()
            row.password_hash = _hasher.hash(check_password(password, name))
            self._sign_out_everywhere(db, row)
            db.execute(delete(StaffLoginAttemptRow).where(StaffLoginAttemptRow.username == name,
                                                          StaffLoginAttemptRow.succeeded.is_(False)))

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disabling signs the user out and revokes their API tokens; enabling lets them sign in again."""
        name = self._existing(username)
        with self._sessions.begin() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == name)).scalar_one()
            if disabled and not row.disabled:
                if row.role == "admin":
                    self._keep_an_admin(db, row)
                self._sign_out_everywhere(db, row)
                db.execute(update(StaffApiTokenRow).where(StaffApiTokenRow.user_id == row.id,
                                                          StaffApiTokenRow.revoked_at.is_(None))
                           .values(revoked_at=utc_now()))
            row.disabled = disabled

    def user_info(self, username: str) -> Optional[StaffUserInfo]:
        with self._sessions() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == username)).scalar_one_or_none()
            return None if row is None else self._info(row)

    def list_users(self) -> List[StaffUserInfo]:
        with self._sessions() as db:
            rows = db.execute(select(StaffUserRow).order_by(StaffUserRow.username)).scalars()
            return [self._info(row) for row in rows]

    def authenticate(self, username: str, password: str) -> Tuple[Optional[StaffUser], bool]:
        """(user, disabled) for a right username and password; (None, False) otherwise."""
        with self._sessions.begin() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == username)).scalar_one_or_none()
            if row is None:
                _verify(_DUMMY_HASH, password)
                return None, False
            if not _verify(row.password_hash, password):
                return None, False
            if row.disabled:
                return None, True
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            row.last_login_at = utc_now()
            return StaffUser(row.id, row.username, row.role), False

    def _existing(self, username: str) -> str:
        name = normalise_username(username)
        if self.user_info(name) is None:
            raise StaffError(f"there is no staff user named {name}")
        return name

    @staticmethod
    def _keep_an_admin(db, row: StaffUserRow) -> None:
        others = db.execute(select(func.count()).select_from(StaffUserRow).where(
            StaffUserRow.role == "admin", StaffUserRow.disabled.is_(False), StaffUserRow.id != row.id)).scalar_one()
        if not others:
            raise StaffError(f"{row.username} is the only enabled admin: make another admin first")

    @staticmethod
    def _sign_out_everywhere(db, row: StaffUserRow) -> None:
        db.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == row.id))

    @staticmethod
    def _info(row: StaffUserRow) -> StaffUserInfo:
        return StaffUserInfo(row.username, row.role, bool(row.disabled), row.created_at, row.last_login_at)

    # ------------------------------------------------------------ API tokens

    def issue_token(self, username: str, label: str = "") -> str:
        name = self._existing(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as db:
            row = db.execute(select(StaffUserRow).where(StaffUserRow.username == name)).scalar_one()
            if row.disabled:
                raise StaffError(f"{name} is disabled: enable the user before issuing a token")
            db.add(StaffApiTokenRow(user_id=row.id, token_hash=token_hash(token), label=label[:100]))
        return token

    def revoke_tokens(self, username: str) -> int:
        """Revokes every API token of the user; returns how many were live."""
        name = self._existing(username)
        with self._sessions.begin() as db:
            user_id = db.execute(select(StaffUserRow.id).where(StaffUserRow.username == name)).scalar_one()
            return db.execute(update(StaffApiTokenRow).where(StaffApiTokenRow.user_id == user_id,
                                                             StaffApiTokenRow.revoked_at.is_(None))
                              .values(revoked_at=utc_now())).rowcount

    def user_for_token(self, token: str) -> Optional[StaffUser]:
        with self._sessions.begin() as db:
            found = db.execute(
                select(StaffApiTokenRow, StaffUserRow).join(StaffUserRow, StaffUserRow.id == StaffApiTokenRow.user_id)
                .where(StaffApiTokenRow.token_hash == token_hash(token), StaffApiTokenRow.revoked_at.is_(None),
                       StaffUserRow.disabled.is_(False))).first()
            if found is None:
                return None
            token_row, user = found
            token_row.last_used_at = utc_now()
            return StaffUser(user.id, user.username, user.role)

    # ------------------------------------------------------------ browser sessions

    def _session_id_hash(self, session_id: str) -> str:
        return hmac.new(self._session_key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def open_session(self, user: StaffUser, client_address: str, hours: float) -> Tuple[str, str]:
        """A new session for a user who just signed in: (cookie value, CSRF token)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utc_now()
        with self._sessions.begin() as db:
            db.execute(delete(StaffSessionRow).where(StaffSessionRow.expires_at < now))
            db.add(StaffSessionRow(id_hash=self._session_id_hash(session_id), user_id=user.id, csrf_token=csrf,
                                   client_address=client_address[:64], created_at=now, last_seen_at=now,
                                   expires_at=now + timedelta(hours=hours)))
        return session_id, csrf

    def session_user(self, session_id: str) -> Optional[Tuple[StaffUser, str]]:
        """(user, CSRF token) of a live session of an enabled user, or None."""
        with self._sessions() as db:
            found = db.execute(
                select(StaffSessionRow, StaffUserRow).join(StaffUserRow, StaffUserRow.id == StaffSessionRow.user_id)
                .where(StaffSessionRow.id_hash == self._session_id_hash(session_id),
                       StaffSessionRow.expires_at > utc_now(), StaffUserRow.disabled.is_(False))).first()
            if found is None:
                return None
            session, user = found
            return StaffUser(user.id, user.username, user.role), session.csrf_token

    def close_session(self, session_id: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(StaffSessionRow).where(StaffSessionRow.id_hash == self._session_id_hash(session_id)))

    # ------------------------------------------------------------ failed sign-ins

    def record_attempt(self, username: str, client_address: str, succeeded: bool) -> None:
        with self._sessions.begin() as db:
            if succeeded:
                db.execute(delete(StaffLoginAttemptRow).where(
                    StaffLoginAttemptRow.attempted_at < utc_now() - timedelta(days=ATTEMPTS_KEPT_DAYS)))
            db.add(StaffLoginAttemptRow(username=username[:64], client_address=client_address[:64],
                                        succeeded=succeeded))

    def login_block(self, username: str, client_address: str, policy: LoginPolicy) -> Optional[LoginBlock]:
        """Whether a sign-in must be refused now because of recent failures for the username or the address.

        Failures count for ``lock_minutes``; for a username, only those since its last successful sign-in."""
        now = utc_now()
        since = now - timedelta(minutes=policy.lock_minutes)
        with self._sessions() as db:
            last_success = db.execute(select(func.max(StaffLoginAttemptRow.attempted_at)).where(
                StaffLoginAttemptRow.username == username, StaffLoginAttemptRow.succeeded.is_(True))).scalar()
            by_user = self._failures(db, StaffLoginAttemptRow.username == username, max(since, last_success or since))
            by_address = self._failures(db, StaffLoginAttemptRow.client_address == client_address, since)
        blocks = [_block(by_user, policy.slow_after, policy.lock_after, policy, now, by_address=False),
                  _block(by_address, policy.address_slow_after, policy.address_lock_after, policy, now,
                         by_address=True)]
        blocks = [block for block in blocks if block is not None]
        return max(blocks, key=lambda block: (block.locked, block.until)) if blocks else None

    @staticmethod
    def _failures(db, condition, since: datetime) -> List[datetime]:
        """Times of failed attempts since ``since``, newest first."""
        return list(db.execute(select(StaffLoginAttemptRow.attempted_at).where(
            condition, StaffLoginAttemptRow.succeeded.is_(False), StaffLoginAttemptRow.attempted_at > since)
            .order_by(StaffLoginAttemptRow.attempted_at.desc())).scalars())

    # ------------------------------------------------------------ audit log

    def write_audit(self, user: Optional[StaffUser], action: str, target: str = "", detail: Any = None,
                    client_address: str = "") -> None:
        if detail is None:
            text = ""
        elif isinstance(detail, str):
            text = detail
        else:
            text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        with self._sessions.begin() as db:
            db.add(StaffAuditRow(user_id=user.id if user else None, username=user.username if user else None,
                                 action=action[:64], target=str(target)[:200], detail=text[:20000],
                                 client_address=client_address[:64] or None))

    def audit_entries(self, page: int = 1, per_page: int = 50, action: str = "",
                      username: str = "") -> Tuple[int, List[Dict[str, Any]]]:
        conditions = []
        if action:
            conditions.append(StaffAuditRow.action == action)
        if username:
            conditions.append(StaffAuditRow.username == username)
        with self._sessions() as db:
            total = db.execute(select(func.count()).select_from(StaffAuditRow).where(*conditions)).scalar_one()
            rows = db.execute(select(StaffAuditRow).where(*conditions)
                              .order_by(StaffAuditRow.at.desc(), StaffAuditRow.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).scalars()
            return total, [{"at": _iso(row.at), "username": row.username, "action": row.action,
                            "target": row.target, "detail": row.detail, "client_address": row.client_address}
                           for row in rows]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _block(failures: List[datetime], slow_after: int, lock_after: int, policy: LoginPolicy, now: datetime,
           by_address: bool) -> Optional[LoginBlock]:
    count = len(failures)
    if count >= lock_after:
        # Locked until the lock_after-th newest failure stops counting.
        until = failures[lock_after - 1] + timedelta(minutes=policy.lock_minutes)
    elif count >= slow_after:
        wait = min(policy.delay_seconds * 2 ** (count - slow_after), policy.max_delay_seconds)
        until = failures[0] + timedelta(seconds=wait)
    else:
        return None
    if until <= now:
        return None
    return LoginBlock(locked=count >= lock_after, by_address=by_address, until=until,
                      retry_after=max(1, int((until - now).total_seconds() + 0.999)))
