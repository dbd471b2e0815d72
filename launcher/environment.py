"""Where the servers may listen and which secrets they may start with.

Every server binds to ``BIND_HOST`` (default 127.0.0.1, loopback only). Setting it to another address is the
explicit opt-in to be reachable from other machines. Outside development (``COLLECTIONS_ENV=production``)
and always when bound beyond loopback, a server refuses to start with a missing or public default secret.
"""
from __future__ import annotations

import ipaddress
import os
from typing import Optional

DEFAULT_BIND_HOST = "127.0.0.1"

# The public development defaults: fine on loopback in development, refused anywhere else.
DEFAULT_SECRETS = {
    "RASA_AUTH_TOKEN": "dev-token-change-me",
    "ACTION_SERVER_TOKEN": "dev-action-token-change-me",
    "WEB_SECRET_KEY": "dev-web-secret-change-me",
    "STAFF_SECRET_KEY": "dev-staff-secret-change-me",
}
MIN_SECRET_LENGTH = 16


class UnsafeConfiguration(SystemExit):
    """Raised at start-up when a server would run with a secret anyone can read in this repository."""

    def __init__(self, message: str):
        super().__init__(f"Refusing to start: {message}")


def bind_host() -> str:
    return os.environ.get("BIND_HOST") or DEFAULT_BIND_HOST


ENVIRONMENTS = ("development", "production")


def production() -> bool:
    """COLLECTIONS_ENV=production; anything but the two known values stops start-up (a typo must not mean
    development)."""
    value = os.environ.get("COLLECTIONS_ENV", "development").strip().lower() or "development"
    if value not in ENVIRONMENTS:
        raise UnsafeConfiguration(f"COLLECTIONS_ENV={value!r} is neither development nor production.")
    return value == "production"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secret(name: str, host: Optional[str] = None) -> str:
    """The secret ``name`` from the environment, or its development default where that is allowed."""
    if name not in DEFAULT_SECRETS:
        raise KeyError(f"unknown secret {name}")
    value = os.environ.get(name) or DEFAULT_SECRETS[name]
    host = host or bind_host()
    strict = production() or not is_loopback(host)
    if strict and value == DEFAULT_SECRETS[name]:
        why = "COLLECTIONS_ENV=production" if production() else f"it listens on {host}, beyond loopback"
        raise UnsafeConfiguration(f"{name} is unset or the public development default, and {why}. "
                                  f"Set {name} to a long random value (for example: openssl rand -hex 32).")
    if strict and len(value) < MIN_SECRET_LENGTH:
        raise UnsafeConfiguration(f"{name} must be at least {MIN_SECRET_LENGTH} characters outside development.")
    return value
