"""`make run`'s launcher with the real assistant: a killed action server is restarted while the debtor page keeps
answering, a second launcher on the same ports is refused, and Ctrl-C leaves nothing running."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from actions.ledger import AccountRepository
from benchmarks.procstat import descendants
from launcher import processes
from launcher.components import COMPONENTS
from tests.conftest import load_demo_ledger
from tests.servers import endpoints_file, free_port
from tests.test_launcher import alive


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _eventually(check, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("launched")
    db_url = f"sqlite:///{workdir / 'accounts.db'}"
    load_demo_ledger(AccountRepository(db_url), workdir)
    ports = {c.port_variable: free_port() for c in COMPONENTS}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "ACCOUNTS_DB_URL": db_url,
           "ENDPOINTS": str(endpoints_file(workdir)), "COLLECTIONS_ENV": "development"}
    for name in ("BIND_HOST", "ACTION_SERVER_URL"):
        env.pop(name, None)
    logs = workdir / "logs"
    launcher = subprocess.Popen([sys.executable, "-m", "launcher", "--log-dir", str(logs)], cwd=processes.ROOT,
                                env=env, stdout=open(workdir / "launcher.out", "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _eventually(lambda: launcher.poll() is not None or "Press Ctrl-C to stop everything." in
                    processes.tail(workdir / "launcher.out"), "the launcher printed its banner")
        assert launcher.poll() is None, processes.tail(workdir / "launcher.out")
        yield launcher, ports, env, workdir
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGINT)
            launcher.wait(timeout=120)


def test_the_banner_prints_where_everything_runs(launched):
    launcher, ports, _, workdir = launched
    out = (workdir / "launcher.out").read_text()
    assert f"Debtor page      http://localhost:{ports['WEB_PORT']}/" in out
    assert f"Rasa server      http://localhost:{ports['RASA_PORT']}/" in out
    assert f"Action server    http://localhost:{ports['ACTION_PORT']}/webhook" in out
    assert "Listening on     127.0.0.1 only" in out and f"Logs             {workdir / 'logs'}/" in out


def test_a_second_launcher_on_the_same_ports_is_refused(launched):
    _, ports, env, workdir = launched
    completed = subprocess.run([sys.executable, "-m", "launcher", "--log-dir", str(workdir / "second")],
                               cwd=processes.ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    for variable, port in ports.items():
        assert f"port {port} ({variable}," in completed.stderr
    assert "is the assistant already running?" in completed.stderr


def test_a_killed_action_server_is_restarted_and_the_page_keeps_answering(launched):
    launcher, ports, _, workdir = launched
    page = f"http://127.0.0.1:{ports['WEB_PORT']}"
    rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
    action_servers = [pid for pid in descendants(launcher.pid) if "launcher.action_server" in _command_line(pid)]
    assert len(action_servers) == 1
    killed = action_servers[0]
    os.kill(killed, signal.SIGKILL)

    assert requests.get(page + "/", timeout=10).status_code == 200
    health = requests.get(page + "/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["rasa"] is True

    journal = workdir / "logs" / "launcher.log"
    _eventually(lambda: "The action server is answering again." in journal.read_text(),
                "the action server answered again")
    assert "The action server exited with code -9" in journal.read_text()
    assert "The action server restarted (pid" in journal.read_text()
    replacement = [pid for pid in descendants(launcher.pid) if "launcher.action_server" in _command_line(pid)]
    assert replacement and killed not in replacement
    assert requests.get(page + "/healthz", timeout=30).json()["actions"] is True

    sender = f"supervised-{uuid.uuid4().hex[:12]}"
    reply = requests.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": "hello"}, timeout=60)
    assert reply.status_code == 200 and any(message.get("text") for message in reply.json())


def test_ctrl_c_stops_everything_and_leaves_nothing_running(launched):
    launcher, ports, _, workdir = launched
    pids = descendants(launcher.pid)
    assert len(pids) > len(COMPONENTS)  # the launcher and every server
    os.killpg(launcher.pid, signal.SIGINT)
    assert launcher.wait(timeout=120) == 0
    _eventually(lambda: not alive(pids), "every process it started is gone", timeout=30)
    assert not any(processes.port_in_use("127.0.0.1", port) for port in ports.values())
    assert (workdir / "launcher.out").read_text().rstrip().endswith("Stopped.")
