"""The launcher: refusals before anything starts, and supervision of real processes (small HTTP servers here;
tests/test_launcher_supervision.py does the same with the real assistant)."""
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from benchmarks.procstat import descendants
from launcher import processes
from launcher.components import COMPONENTS, Component, Context
from launcher.supervisor import StartupFailed, Supervisor
from tests.servers import free_port

DEFAULTS_REMOVED = ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "WEB_SECRET_KEY", "STAFF_SECRET_KEY", "BIND_HOST",
                    "COLLECTIONS_ENV", "ENDPOINTS")


def launch(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in DEFAULTS_REMOVED}
    ports = {c.port_variable: str(free_port()) for c in COMPONENTS}
    return subprocess.run([sys.executable, "-m", "launcher", "--log-dir", str(tmp_path / "logs"), *args],
                          cwd=processes.ROOT, env={**base, **ports, **env}, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("env, why", [
    ({"COLLECTIONS_ENV": "production"}, "COLLECTIONS_ENV=production"),
    ({"BIND_HOST": "0.0.0.0"}, "it listens on 0.0.0.0, beyond loopback"),
], ids=["production", "beyond loopback"])
def test_the_launcher_refuses_public_default_secrets_and_says_why(tmp_path, env, why):
    for args in ((), ("--shell",)):
        completed = launch(tmp_path, *args, **env)
        assert completed.returncode == 1
        assert completed.stderr.startswith("Refusing to start:")
        for name in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN"):
            assert f"{name} is unset or the public development default, and {why}" in completed.stderr
        assert "Starting" not in completed.stdout
        assert not (tmp_path / "logs" / "actions.log").exists()


def test_the_launcher_refuses_the_defaults_even_when_set_explicitly_and_short_secrets(tmp_path):
    completed = launch(tmp_path, COLLECTIONS_ENV="production", RASA_AUTH_TOKEN="dev-token-change-me",
                       ACTION_SERVER_TOKEN="short", WEB_SECRET_KEY="w" * 40)
    assert completed.returncode == 1
    assert "RASA_AUTH_TOKEN is unset or the public development default" in completed.stderr
    assert "ACTION_SERVER_TOKEN must be at least 16 characters" in completed.stderr
    assert "WEB_SECRET_KEY" not in completed.stderr


def test_an_unknown_collections_env_is_refused_not_taken_for_development(tmp_path):
    completed = launch(tmp_path, COLLECTIONS_ENV="prod")
    assert completed.returncode == 1
    assert completed.stderr.count("COLLECTIONS_ENV='prod' is neither development nor production.") == 1


def test_a_malformed_trusted_proxies_entry_is_named_before_anything_starts(tmp_path):
    completed = launch(tmp_path, TRUSTED_PROXIES="10.0.0.5, haproxy.internal")
    assert completed.returncode == 1
    assert "TRUSTED_PROXIES: 'haproxy.internal' is not an IP address or network" in completed.stderr


def test_the_launcher_names_a_missing_endpoints_file(tmp_path):
    completed = launch(tmp_path, ENDPOINTS=str(tmp_path / "nowhere.yml"))
    assert completed.returncode == 1 and f"the endpoints file {tmp_path / 'nowhere.yml'} does not exist" \
        in completed.stderr


def test_a_held_port_is_refused_clearly(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        completed = launch(tmp_path, WEB_PORT=str(port))
    assert completed.returncode == 1
    assert f"port {port} (WEB_PORT, the debtor page) is already in use: is the assistant already running?" \
        in completed.stderr


def test_the_action_server_on_its_own_refuses_the_default_secret(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in DEFAULTS_REMOVED}
    for env in ({"COLLECTIONS_ENV": "production"}, {"BIND_HOST": "0.0.0.0"}):
        completed = subprocess.run([sys.executable, "-m", "launcher.action_server", "--port", str(free_port())],
                                   cwd=processes.ROOT, env={**base, **env}, capture_output=True, text=True,
                                   timeout=120)
        assert completed.returncode != 0
        assert "Refusing to start: ACTION_SERVER_TOKEN is unset or the public development default" \
            in completed.stderr


# Supervision of real processes: Python's own HTTP server stands in for a component.

def toy(name: str, serve: bool = True) -> Component:
    def command(ctx: Context, port: int):
        if serve:
            return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
        return [sys.executable, "-c", "import sys; print('bad configuration: no ledger'); sys.exit(3)"]
    return Component(name, f"toy {name}", f"TOY_{name.upper()}_PORT", 1, command, "/", start_timeout=60)


@pytest.fixture
def supervised(tmp_path):
    components = [toy("first"), toy("second")]
    ctx = Context({c.name: free_port() for c in components}, dict(os.environ), tmp_path / "endpoints.yml",
                  host="127.0.0.1")
    said = []
    supervisor = Supervisor(ctx, components, tmp_path / "logs", say=said.append)
    yield supervisor, said
    supervisor.stop()


def alive(pids):
    """The pids still running (not zombies)."""
    running = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z":
                running.append(pid)
        except OSError:
            pass
    return running


def test_a_dead_component_is_restarted_with_back_off_while_the_others_keep_serving(supervised):
    supervisor, said = supervised
    supervisor.start()
    first, second = supervisor.running["first"], supervisor.running["second"]
    second_url = supervisor.ctx.url("second") + "/"
    for restart, delay in ((1, 1), (2, 2)):
        killed = first.process.pid
        os.kill(killed, signal.SIGKILL)
        supervisor.supervise(until=lambda: first.restarts == restart and first.ready)
        assert first.process.pid != killed
        assert requests.get(supervisor.ctx.url("first") + "/", timeout=10).status_code == 200
        assert requests.get(second_url, timeout=10).status_code == 200
        assert second.restarts == 0
        assert any(f"The toy first exited with code -9" in line and f"restarting in {delay} s" in line
                   for line in said), said
    assert "--- restarted by the launcher at" in (supervisor.log_dir / "first.log").read_text()
    journal = (supervisor.log_dir / "launcher.log").read_text()
    assert journal.count("The toy first restarted (pid") == 2 and "The toy first is answering again." in journal


def test_stop_leaves_nothing_running(supervised):
    supervisor, said = supervised
    supervisor.start()
    pids = [pid for process in supervisor.processes() for pid in descendants(process.pid)]
    assert len(pids) >= 2
    supervisor.stop()
    assert alive(pids) == []
    assert said[-2:] == ["Stopping...", "Stopped."]


def test_a_component_that_dies_while_starting_stops_the_start_up_with_its_log(tmp_path):
    components = [toy("first"), toy("broken", serve=False)]
    ctx = Context({c.name: free_port() for c in components}, dict(os.environ), tmp_path / "endpoints.yml",
                  host="127.0.0.1")
    supervisor = Supervisor(ctx, components, tmp_path / "logs", say=lambda _: None)
    try:
        with pytest.raises(StartupFailed) as failure:
            supervisor.start()
        assert "The toy broken stopped while starting (exit code 3)" in str(failure.value)
        assert "bad configuration: no ledger" in str(failure.value)
    finally:
        supervisor.stop()
