"""Who is asking, and may they: the staff console's authentication, roles, CSRF and audit helpers.

Route modules (web/staff/practice.py, web/staff/review.py, web/staff/admin.py) use:

    from web.staff.auth import PageError, audit, current_user, json_error, require_api, require_page

    @require_page()                      # any signed-in staff user; anonymous -> 303 to /login?next=...
    async def practice_page(request): ...

    @require_api("supervisor")           # supervisor or admin; anonymous -> 401 JSON, other roles -> 403 JSON
    async def list_conversations(request):
        user = current_user(request)     # StaffUser(id, username, role); user.has_role("supervisor")
        audit(request, "conversation.tag", conversation_id, {"add": ["legal"]})

    raise PageError(404, "No such attempt", "...")   # in a page handler: the console's message page
    return json_error(404, "no such attempt")        # in an API handler: {"error": ...}

Roles: collector, supervisor, admin; each includes the ones before it (admin ⊇ supervisor ⊇ collector), so
``require_api("supervisor")`` admits admins, and no roles at all admits every signed-in staff user.

Every request passes ``auth_middleware`` first, so nothing outside PUBLIC_PATHS answers an anonymous caller, even
a handler that forgot its decorator. A caller is either a browser session (HttpOnly cookie) or an API client
(``Authorization: Bearer <token>`` from ``make staff-token``). Browser requests other than GET/HEAD/OPTIONS must
carry the session's CSRF token: forms in a ``csrf_token`` field (templates: ``{{ csrf_field() }}``), scripts in
the ``X-CSRF-Token`` header (the page's ``<meta name="csrf-token">``; static/console.js ``staff.api`` adds it).
Bearer requests need no CSRF token: browsers never send them on their own.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import quote

from aiohttp import web

from web.proxies import TrustedProxies
from web.staff.store import LoginPolicy, StaffError, StaffStore, StaffUser

SESSION_COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"      # ties the sign-in form to the browser that loaded it (login CSRF)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/login", "/healthz"})
PUBLIC_PREFIXES = ("/static/",)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class StaffSettings:
    """The console's configuration (environment variables in brackets)."""
    secret_key: str                      # STAFF_SECRET_KEY, through launcher.environment.secret
    session_hours: float = 12.0          # STAFF_SESSION_HOURS: a sign-in lasts this long
    secure_cookies: bool = False         # STAFF_SECURE_COOKIES=1 (and always in production): HTTPS-only cookies
    login_policy: LoginPolicy = LoginPolicy()

    @classmethod
    def from_environment(cls, secret_key: str, production: bool = False) -> "StaffSettings":
        raw_hours = os.environ.get("STAFF_SESSION_HOURS") or "12"
        try:
            hours = float(raw_hours)
        except ValueError:
            raise StaffError(f"STAFF_SESSION_HOURS={raw_hours!r} is not a number") from None
        if not 0 < hours <= 24 * 30:
            raise StaffError("STAFF_SESSION_HOURS must be above 0 and at most 720")
        secure = production or os.environ.get("STAFF_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes")
        return cls(secret_key=secret_key, session_hours=hours, secure_cookies=secure,
                   login_policy=LoginPolicy.from_environment())


STORE_KEY = web.AppKey("staff_store", StaffStore)
SETTINGS_KEY = web.AppKey("staff_settings", StaffSettings)
_USER = "staff_user"
_CSRF = "staff_csrf"
_VIA = "staff_via"


# ---------------------------------------------------------------- for route modules

def current_user(request: web.Request) -> Optional[StaffUser]:
    """The signed-in staff user (always set inside a ``require_page`` / ``require_api`` handler)."""
    return request.get(_USER)


def csrf_token(request: web.Request) -> str:
    """The session's CSRF token for forms and scripts ("" for Bearer callers, who need none)."""
    return request.get(_CSRF) or ""


# TRUSTED_PROXIES (web.proxies): behind a load balancer, sign-in throttling and the audit log count each client.
PROXIES = TrustedProxies.from_environment()


def client_address(request: web.Request) -> str:
    return PROXIES.client_address(request)


def audit(request: web.Request, action: str, target: Any = "", detail: Any = None) -> None:
    """Writes who (the current user), when (now, UTC), what (``action`` on ``target``) and ``detail`` (text or
    anything JSON-serialisable) to the audit log. Actions are dotted names, e.g. "conversation.review"."""
    request.app[STORE_KEY].write_audit(current_user(request), action, str(target), detail, client_address(request))


def require_page(*roles: str) -> Callable[[Handler], Handler]:
    """For HTML pages: anonymous -> redirect to /login (then back); signed in without the role -> 403 page."""
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if user is None:
                return login_redirect(request)
            if not user.has_role(*roles):
                return forbidden_page(request, roles)
            return await handler(request)
        return guarded
    return decorate


def require_api(*roles: str) -> Callable[[Handler], Handler]:
    """For the JSON API: anonymous -> 401 JSON; signed in without the role -> 403 JSON."""
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if user is None:
                return unauthenticated_json()
            if not user.has_role(*roles):
                return json_error(403, f"your role ({user.role}) may not do this; it needs "
                                       f"{' or '.join(roles)}")
            return await handler(request)
        return guarded
    return decorate


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


# ---------------------------------------------------------------- responses

def is_api(request: web.Request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def unauthenticated_json() -> web.Response:
    response = json_error(401, "sign in, or send a personal API token as 'Authorization: Bearer <token>'")
    response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
    return response


def safe_next(target: Optional[str]) -> str:
    """Only a path on this console, never another site: no "//host", no backslash, and no whitespace or control
    characters (browsers drop a tab from "/<tab>/host" and go to "//host")."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) <= 0x20 or ord(c) == 0x7f for c in target)):
        return "/"
    return target


def login_redirect(request: web.Request) -> web.StreamResponse:
    target = request.path_qs if request.method in SAFE_METHODS else "/"
    return see_other("/login" if target == "/" else "/login?next=" + quote(target, safe=""))


def see_other(location: str) -> web.Response:
    """303 See Other: where a browser goes after a form post or when it must sign in first."""
    return web.Response(status=303, headers={"Location": location})


class PageError(Exception):
    """Raise from a page handler to answer with the console's message page (status, title, message as text)."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def forbidden_page(request: web.Request, roles) -> web.StreamResponse:
    user = current_user(request)
    raise PageError(403, "Not allowed", f"Your role ({user.role if user else 'none'}) cannot open this page; "
                                        f"it needs {' or '.join(roles)}.")


def csrf_failure(request: web.Request) -> web.StreamResponse:
    if is_api(request) or not _is_form(request):
        return json_error(403, f"missing or wrong CSRF token: send the page's token in the {CSRF_HEADER} header")
    raise PageError(403, "Form expired",
                    "This form expired or came from another page. Go back, reload the page and try again.")


def _is_form(request: web.Request) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


# ---------------------------------------------------------------- the middleware

def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


async def _submitted_csrf(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if _is_form(request):
        try:
            form = await request.post()
        except ValueError:
            return ""
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    store = request.app[STORE_KEY]
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        user = store.user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            response = json_error(401, "the API token is unknown, revoked, or its user is disabled; "
                                       "send 'Authorization: Bearer <token>' from make staff-token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="staff", error="invalid_token"'
            return response
        request[_USER], request[_VIA] = user, "token"
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        found = store.session_user(session_id) if session_id else None
        if found is not None:
            request[_USER], request[_CSRF] = found
            request[_VIA] = "session"
    if _is_public(request.path):
        return await handler(request)
    if current_user(request) is None:
        return unauthenticated_json() if is_api(request) else login_redirect(request)
    if request[_VIA] == "session" and request.method not in SAFE_METHODS:
        if not hmac.compare_digest(await _submitted_csrf(request), request[_CSRF]):
            return csrf_failure(request)
    return await handler(request)


# ---------------------------------------------------------------- sign-in form CSRF (before any session exists)

def login_form_token(settings: StaffSettings, browser_nonce: str) -> str:
    return hmac.new(settings.secret_key.encode("utf-8"), b"login:" + browser_nonce.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def new_browser_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_form_ok(request: web.Request, settings: StaffSettings, submitted: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    return bool(nonce) and hmac.compare_digest(login_form_token(settings, nonce), submitted or "")


def set_cookie(response: web.StreamResponse, settings: StaffSettings, name: str, value: str,
               max_age: Optional[int] = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=settings.secure_cookies)


def sign_in(request: web.Request, response: web.StreamResponse, user: StaffUser) -> None:
    """Opens a fresh session for ``user`` (a new id at every sign-in) and sets its cookie on ``response``."""
    settings, store = request.app[SETTINGS_KEY], request.app[STORE_KEY]
    session_id, csrf = store.open_session(user, client_address(request), settings.session_hours)
    set_cookie(response, settings, SESSION_COOKIE, session_id, max_age=int(settings.session_hours * 3600))
    response.del_cookie(LOGIN_COOKIE, path="/")
    request[_USER], request[_CSRF], request[_VIA] = user, csrf, "session"


def sign_out(request: web.Request, response: web.StreamResponse) -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        request.app[STORE_KEY].close_session(session_id)
    response.del_cookie(SESSION_COOKIE, path="/")
