"""The real action server, Rasa server and debtor page on free loopback ports, unsupervised, for tests and benchmarks.

They start with the same commands as `make run` (launcher.components) and the shipped endpoints.yml (only the
tracker database moves into ``workdir``), so the action server demands the token and Rasa sends it.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests

from launcher import processes
from launcher.components import Context, component
from launcher.processes import ROOT, free_port, wait_for

__all__ = ["Stack", "free_port", "wait_for", "endpoints_file", "TOKEN", "ACTION_TOKEN"]

TOKEN = "test-token"
ACTION_TOKEN = "test-action-token"
SHIPPED_TRACKER = 'db: "var/tracker.db"'


def endpoints_file(workdir: Path, source: Path = ROOT / "endpoints.yml") -> Path:
    """A copy of the shipped endpoints file whose SQLite tracker store lives in ``workdir``."""
    text = source.read_text()
    if SHIPPED_TRACKER not in text:
        raise ValueError(f"{source} no longer holds {SHIPPED_TRACKER}: update launcher.stack.endpoints_file")
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "endpoints.yml"
    copy.write_text(text.replace(SHIPPED_TRACKER, f'db: "{workdir / "tracker.db"}"'))
    return copy


@dataclass
class Stack:
    workdir: Path
    db_url: str
    action_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: List[subprocess.Popen] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)
    named: Dict[str, subprocess.Popen] = field(default_factory=dict)
    # the model the Rasa server loads; STACK_RASA_MODEL points tests and benchmarks at an experimental one
    model: str = field(default_factory=lambda: os.environ.get("STACK_RASA_MODEL") or "models/current.tar.gz")

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def process(self, name: str) -> subprocess.Popen:
        """The running process of component ``name`` ("actions", "rasa" or "web")."""
        return self.named[name]

    def _spawn(self, name: str, ctx: Context) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        args = component(name).command(ctx, ctx.ports[name])
        if name == "rasa":
            args[args.index("--model") + 1] = self.model
        process = processes.spawn(args, self.env, log)
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        self.named[name] = process
        return process

    def start(self, web: bool = True, extra_env: Optional[Dict[str, str]] = None) -> "Stack":
        try:
            return self._start(web, extra_env)
        except BaseException:
            self.stop()
            raise

    def _start(self, web: bool, extra_env: Optional[Dict[str, str]]) -> "Stack":
        ports = {"actions": self.action_port, "rasa": self.rasa_port, "web": self.web_port}
        ctx = Context(ports, {}, endpoints_file(self.workdir), host="127.0.0.1")
        self.env = {**os.environ, "ACCOUNTS_DB_URL": self.db_url, "RASA_TELEMETRY_ENABLED": "false",
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "BIND_HOST": ctx.host,
                    "COLLECTIONS_ENV": "development", "RASA_AUTH_TOKEN": TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN,
                    "ACTION_SERVER_URL": f"{self.action_url}/webhook", "ENDPOINTS": str(ctx.endpoints),
                    **(extra_env or {})}
        ctx.env = self.env
        actions = self._spawn("actions", ctx)
        rasa = self._spawn("rasa", ctx)
        wait_for(f"{self.action_url}/health", actions, actions.log)
        if web:
            page = self._spawn("web", ctx)
            wait_for(f"{self.web_url}/healthz", page, page.log)
        wait_for(f"{self.rasa_url}/status?token={TOKEN}", rasa, rasa.log,
                 timeout=component("rasa").start_timeout)
        deadline = time.time() + 240
        while time.time() < deadline:
            status = requests.get(f"{self.rasa_url}/status", params={"token": TOKEN}, timeout=5).json()
            if status.get("model_id") or status.get("model_file"):
                return self
            time.sleep(1)
        raise RuntimeError("Rasa server did not load the model:\n" + processes.tail(rasa.log))

    def stop_process(self, process: subprocess.Popen) -> None:
        processes.stop([process])

    def stop(self) -> None:
        processes.stop(list(reversed(self.processes)))

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
