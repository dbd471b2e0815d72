"""Exposure: every server of the stack listens on loopback only, and the action server answers only Rasa."""
import ipaddress
import os
import sys
import uuid
from pathlib import Path
from typing import Set, Tuple

import pytest
import requests

from benchmarks.procstat import descendants
from launcher import processes
from tests.servers import ACTION_TOKEN, TOKEN, free_port

# An account no other end-to-end test locks: Maria Lopez, born 14 June 1985, 420.00 USD.
ACCOUNT, BORN, NAME, BALANCE = "AC-10001", "14 June 1985", "Maria Lopez", "420.00"


def _address(hex_address: str) -> str:
    """/proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(hex_address)
    return str(ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))))


def listening(pid: int) -> Set[Tuple[str, int]]:
    """(address, port) of every listening TCP socket held by ``pid`` or any process below it."""
    inodes = set()
    for each in descendants(pid):
        try:
            fds = list(Path(f"/proc/{each}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add((_address(address), int(port, 16)))
    return found


def test_every_server_of_the_stack_listens_on_loopback_only(stack):
    for name, port in (("actions", stack.action_port), ("rasa", stack.rasa_port), ("web", stack.web_port)):
        sockets = listening(stack.process(name).pid)
        assert port in {p for _, p in sockets}, (name, sockets)
        beyond = [(address, p) for address, p in sockets if not ipaddress.ip_address(address).is_loopback]
        assert not beyond, f"{name} listens beyond loopback: {beyond}"


@pytest.fixture(scope="module")
def verified_call(stack):
    """A real action call: the tracker of a conversation verified through Rasa, as Rasa would send it."""
    sender = f"exposure-{uuid.uuid4().hex[:12]}"
    for text in ("hello", f"my account is {ACCOUNT}", f"I was born on {BORN}"):
        stack.say(sender, text)
    tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN},
                           timeout=30).json()
    assert tracker["slots"]["verified"] is True
    domain = requests.get(f"{stack.rasa_url}/domain", params={"token": TOKEN},
                          headers={"Accept": "application/json"}, timeout=30).json()
    return {"next_action": "action_tell_balance", "sender_id": sender, "tracker": tracker, "domain": domain,
            "version": "3.6.21"}


def _discloses(text: str) -> bool:
    return any(secret in text for secret in (ACCOUNT, NAME, BALANCE, "1985"))


@pytest.mark.parametrize("headers, params", [
    ({}, {}),
    ({"Authorization": f"Bearer {ACTION_TOKEN}x"}, {}),
    ({"Authorization": "Bearer dev-action-token-change-me"}, {}),
    ({"Authorization": ACTION_TOKEN}, {}),
    ({}, {"token": ACTION_TOKEN}),
], ids=["no secret", "wrong secret", "public default", "no bearer scheme", "secret in the query"])
def test_a_forged_action_call_without_the_secret_gets_401_and_no_account_data(stack, verified_call, headers, params):
    response = requests.post(f"{stack.action_url}/webhook", json=verified_call, headers=headers, params=params,
                             timeout=30)
    assert response.status_code == 401
    assert not _discloses(response.text), response.text
    listing = requests.get(f"{stack.action_url}/actions", headers=headers, params=params, timeout=30)
    assert listing.status_code == 401 and "action_tell_balance" not in listing.text


def test_the_same_call_with_the_secret_is_answered(stack, verified_call):
    response = requests.post(f"{stack.action_url}/webhook", json=verified_call,
                             headers={"Authorization": f"Bearer {ACTION_TOKEN}"}, timeout=30)
    assert response.status_code == 200
    replies = " ".join(r.get("text") or "" for r in response.json()["responses"])
    assert BALANCE in replies


def test_health_stays_open_and_says_nothing_else(stack):
    response = requests.get(f"{stack.action_url}/health", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_a_failing_call_with_the_secret_does_not_echo_the_tracker(stack, verified_call):
    broken = {**verified_call, "tracker": ["not", "a", "tracker"], "balance_note": f"{NAME} owes {BALANCE}"}
    response = requests.post(f"{stack.action_url}/webhook", json=broken,
                             headers={"Authorization": f"Bearer {ACTION_TOKEN}"}, timeout=30)
    assert response.status_code == 500
    assert response.json() == {"error": "the action failed; see the action server log"}


def test_several_workers_serve_the_same_guarded_calls(stack, verified_call, tmp_path):
    """ACTION_SERVER_SANIC_WORKERS forks workers; each opens its own database connections after the fork."""
    port = free_port()
    env = {**stack.env, "ACTION_SERVER_SANIC_WORKERS": "2"}
    server = processes.spawn([sys.executable, "-m", "launcher.action_server", "--port", str(port)], env,
                             tmp_path / "workers.log")
    try:
        processes.wait_for(f"http://127.0.0.1:{port}/health", server, tmp_path / "workers.log", timeout=180)
        assert len(descendants(server.pid)) >= 3  # the main process and two workers
        for _ in range(6):
            response = requests.post(f"http://127.0.0.1:{port}/webhook", json=verified_call,
                                     headers={"Authorization": f"Bearer {ACTION_TOKEN}"}, timeout=60)
            assert response.status_code == 200, response.text[:500]
            assert BALANCE in " ".join(r.get("text") or "" for r in response.json()["responses"])
        assert requests.post(f"http://127.0.0.1:{port}/webhook", json=verified_call, timeout=30).status_code == 401
        assert all(ipaddress.ip_address(a).is_loopback for a, _ in listening(server.pid))
    finally:
        processes.stop([server])
