"""TRUSTED_PROXIES over HTTP: the debtor page's rate limit and the staff console's sign-in throttling count the
client named in X-Forwarded-For only when the request comes from a trusted proxy; anyone else's header is ignored."""
from __future__ import annotations

import time

import pytest
import requests

from tests.page_server import page_server
from tests.staff_console import StaffConsole
from web.proxies import TrustedProxies

LIMIT = {"WEB_RATE_LIMIT": "2", "WEB_RATE_WINDOW": "600"}


def post(url: str, forwarded_for: str) -> int:
    """One message from a new conversation, as relayed by a proxy that says it came from ``forwarded_for``."""
    return requests.post(f"{url}/api/message", json={"message": "hello"},
                         headers={"X-Forwarded-For": forwarded_for}, timeout=60).status_code


def test_a_forged_header_from_an_untrusted_address_is_ignored(stack, tmp_path):
    # The tests connect from 127.0.0.1, which is not in the trusted network here.
    with page_server(stack, tmp_path, {**LIMIT, "TRUSTED_PROXIES": "10.0.0.0/8"}) as url:
        answers = [post(url, address) for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3")]
    assert answers == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(stack, tmp_path):
    with page_server(stack, tmp_path, {**LIMIT, "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}) as url:
        first = [post(url, "198.51.100.1"), post(url, "198.51.100.1"), post(url, "198.51.100.1")]
        # A client cannot escape its limit by writing another address to the left of its own.
        second = [post(url, "198.51.100.2"), post(url, "203.0.113.50, 198.51.100.2"), post(url, "198.51.100.2")]
        # Through a second trusted proxy (10.0.0.7) the client is still the right-most untrusted address.
        third = [post(url, "198.51.100.3, 10.0.0.7"), post(url, "198.51.100.3")]
    assert first == [200, 200, 429]
    assert second == [200, 200, 429]
    assert third == [200, 200]


def test_a_malformed_trusted_proxies_stops_the_page_with_a_clear_message(stack, tmp_path):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or network"):
        with page_server(stack, tmp_path, {"TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/33"}):
            pass


THROTTLE = {"STAFF_LOGIN_ADDRESS_SLOW_AFTER": "1", "STAFF_LOGIN_ADDRESS_LOCK_AFTER": "2",
            "STAFF_LOGIN_DELAY_SECONDS": "0.05"}


def fail_twice(console: StaffConsole, forwarded_for: str) -> None:
    for guess in ("guess-a", "guess-b"):
        session = requests.Session()
        session.headers["X-Forwarded-For"] = forwarded_for
        assert console.try_sign_in(session, guess, "some password").status_code == 401
        time.sleep(0.2)  # past the slow-down, so the second failure counts and locks


def sign_in_status(console: StaffConsole, forwarded_for: str) -> int:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = forwarded_for
    return console.try_sign_in(session, "rita").status_code


def test_staff_sign_in_throttling_counts_each_client_behind_a_trusted_proxy(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}").start(
        {**THROTTLE, "TRUSTED_PROXIES": "127.0.0.1"})
    try:
        console.add_user("rita", "collector")
        fail_twice(console, "198.51.100.1")
        assert sign_in_status(console, "198.51.100.1") == 429
        assert sign_in_status(console, "198.51.100.2") == 303
    finally:
        console.stop()


def test_staff_sign_in_throttling_ignores_a_forged_header_from_an_untrusted_address(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}").start(THROTTLE)
    try:
        console.add_user("rita", "collector")
        fail_twice(console, "198.51.100.1")
        assert sign_in_status(console, "198.51.100.2") == 429
    finally:
        console.stop()


@pytest.mark.parametrize("remote, header, client", [
    ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["203.0.113.9, 198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["203.0.113.9", "198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["198.51.100.1, 10.0.0.7"], "198.51.100.1"),
    ("127.0.0.1", ["198.51.100.1:4711"], "198.51.100.1"),
    ("::ffff:127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("127.0.0.1", ["not-an-address, 10.0.0.7"], "10.0.0.7"),
    ("127.0.0.1", ["10.0.0.7"], "10.0.0.7"),
    ("127.0.0.1", [], "127.0.0.1"),
    ("192.0.2.1", ["198.51.100.1"], "192.0.2.1"),
])
def test_the_client_is_the_right_most_untrusted_forwarded_address(remote, header, client):
    assert TrustedProxies.parse("127.0.0.1, 10.0.0.0/8").client_of(remote, header) == client


def test_no_proxy_is_trusted_by_default():
    assert TrustedProxies.from_environment({}).client_of("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"
