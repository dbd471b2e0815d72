"""The real action server and the practice Rasa server on free loopback ports, started with the same commands as
`make run` (launcher.components "actions" and "practice"), for the practice tests."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

import requests

from launcher import processes
from launcher.components import Context, component
from launcher.stack import ACTION_TOKEN, TOKEN, endpoints_file, free_port, wait_for


@dataclass
class PracticeServers:
    workdir: Path
    action_port: int = field(default_factory=free_port)
    practice_port: int = field(default_factory=free_port)
    running: List[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.practice_port}"

    def start(self, extra_env: Dict[str, str]) -> "PracticeServers":
        try:
            return self._start(extra_env)
        except BaseException:
            self.stop()
            raise

    def _start(self, extra_env: Dict[str, str]) -> "PracticeServers":
        ports = {"actions": self.action_port, "practice": self.practice_port}
        env = {**os.environ, "ACCOUNTS_DB_URL": f"sqlite:///{self.workdir / 'accounts.db'}",
               "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
               "BIND_HOST": "127.0.0.1", "COLLECTIONS_ENV": "development", "RASA_AUTH_TOKEN": TOKEN,
               "ACTION_SERVER_TOKEN": ACTION_TOKEN, "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
               **extra_env}
        ctx = Context(ports, env, endpoints_file(self.workdir), host="127.0.0.1")
        for name in ("actions", "practice"):
            log = self.workdir / f"{name}.log"
            process = processes.spawn(component(name).command(ctx, ports[name]), env, log)
            process.log = log  # type: ignore[attr-defined]
            self.running.append(process)
        actions, practice = self.running
        wait_for(f"http://127.0.0.1:{self.action_port}/health", actions, actions.log)
        wait_for(f"{self.url}/status?token={TOKEN}", practice, practice.log, timeout=300)
        deadline = time.time() + 240
        while time.time() < deadline:
            status = requests.get(f"{self.url}/status", params={"token": TOKEN}, timeout=5).json()
            if status.get("model_id") or status.get("model_file"):
                return self
            time.sleep(1)
        raise RuntimeError("The practice server did not load its model:\n" + processes.tail(practice.log))

    def stop(self) -> None:
        processes.stop(list(reversed(self.running)))

    # --- the practice contract (brief: practice-contract.md) ----------------------------------------------
    def start_scenario(self, session: str, scenario: str) -> List[str]:
        response = requests.post(f"{self.url}/conversations/{session}/trigger_intent", params={"token": TOKEN},
                                 json={"name": "start_scenario", "entities": {"scenario": scenario}}, timeout=60)
        response.raise_for_status()
        return [m.get("text", "") for m in response.json()["messages"]]

    def say(self, session: str, text: str) -> str:
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": session, "message": text},
                                 timeout=60)
        response.raise_for_status()
        return " ".join(m.get("text", "") for m in response.json())

    def tracker(self, session: str) -> Dict[str, Any]:
        response = requests.get(f"{self.url}/conversations/{session}/tracker", params={"token": TOKEN}, timeout=30)
        response.raise_for_status()
        return response.json()

    def slots(self, session: str) -> Dict[str, Any]:
        return self.tracker(session)["slots"]
