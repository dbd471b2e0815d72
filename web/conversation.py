"""Who a page request belongs to: a conversation secret in an HttpOnly, SameSite=Strict cookie.

The Rasa sender id is an HMAC of that secret with WEB_SECRET_KEY, so the id that appears in the tracker
store, exports, flags and logs cannot be turned back into the cookie, and holding the id opens no history.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Iterable, Optional
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "conversation"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
SENDER_PREFIX = "web-"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_from(request: web.Request) -> Optional[str]:
    value = request.cookies.get(COOKIE, "")
    return value if SECRET_RE.match(value) else None


def sender_for(secret: str, key: str) -> str:
    digest = hmac.new(key.encode("utf-8"), secret.encode("ascii"), hashlib.sha256).hexdigest()
    return SENDER_PREFIX + digest[:40]


def is_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, secret: str) -> None:
    # A session cookie: closing the browser also ends it.
    response.set_cookie(COOKIE, secret, path="/", httponly=True, samesite="Strict", secure=is_https(request))


def clear_cookie(response: web.StreamResponse, request: web.Request) -> None:
    response.set_cookie(COOKIE, "", path="/", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT",
                        httponly=True, samesite="Strict", secure=is_https(request))


def is_cross_site(request: web.Request, public_origins: Iterable[str] = ()) -> bool:
    """A browser request sent by another site (Sec-Fetch-Site, else Origin). Non-browser clients send neither."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin.rstrip("/") in public_origins:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower()
