"""Starts the real action server, Rasa server and debtor web page on free ports for tests and benchmarks."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"
TOKEN = "test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass
class Stack:
    workdir: Path
    db_url: str
    action_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: List[subprocess.Popen] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=open(log, "w"),
                                   stderr=subprocess.STDOUT, start_new_session=True)
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def start(self, web: bool = True, extra_env: Optional[Dict[str, str]] = None) -> "Stack":
        try:
            return self._start(web, extra_env)
        except BaseException:
            self.stop()
            raise

    def _start(self, web: bool, extra_env: Optional[Dict[str, str]]) -> "Stack":
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{self.workdir / "tracker.db"}"\n')
        self.env = {**os.environ, "ACCOUNTS_DB_URL": self.db_url, "RASA_TELEMETRY_ENABLED": "false",
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
                    "RASA_AUTH_TOKEN": TOKEN, **(extra_env or {})}
        actions = self._spawn("actions", [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port)])
        rasa = self._spawn("rasa", [
            str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", str(endpoints),
            "--credentials", str(ROOT / "credentials.yml"), "--port", str(self.rasa_port),
            "--enable-api", "--auth-token", TOKEN, "--cors", f"http://127.0.0.1:{self.web_port}"])
        wait_for(f"{self.action_url}/health", actions, actions.log)
        if web:
            web_process = self._spawn("web", [
                str(BIN / "python"), "-m", "web.server", "--port", str(self.web_port),
                "--rasa-url", self.rasa_url, "--token", TOKEN])
            wait_for(f"{self.web_url}/healthz", web_process, web_process.log)
        wait_for(f"{self.rasa_url}/status?token={TOKEN}", rasa, rasa.log)
        deadline = time.time() + 240
        while time.time() < deadline:
            status = requests.get(f"{self.rasa_url}/status", params={"token": TOKEN}, timeout=5).json()
            if status.get("model_id") or status.get("model_file"):
                return self
            time.sleep(1)
        raise RuntimeError("Rasa server did not load the model:\n" + rasa.log.read_text()[-4000:])

    def stop_process(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in reversed(self.processes):
            self.stop_process(process)

    def say(self, sender: str, text: str) -> List[dict]:
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> Dict[str, object]:
        response = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                params={"token": TOKEN}, timeout=30)
        response.raise_for_status()
        return response.json()["slots"]
