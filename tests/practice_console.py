"""Everything a practice session needs, real and on free loopback ports: the action server and the main Rasa server
(launcher.stack.Stack), the practice Rasa server (launcher component "practice", same action server) and the staff
console (tests.staff_console), all over one SQLite database. For the practice API and browser tests."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import requests

from launcher import processes
from launcher.components import Context, component
from launcher.stack import TOKEN, Stack, endpoints_file, free_port, wait_for
from tests.staff_console import StaffConsole

TODAY = "2026-11-22"


@dataclass
class PracticeConsole:
    workdir: Path
    practice_port: int = field(default_factory=free_port)
    stack: Optional[Stack] = None
    console: Optional[StaffConsole] = None
    practice: Optional[object] = None

    @property
    def practice_url(self) -> str:
        return f"http://127.0.0.1:{self.practice_port}"

    def start(self) -> "PracticeConsole":
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "PracticeConsole":
        db_url = f"sqlite:///{self.workdir / 'accounts.db'}"
        self.stack = Stack(self.workdir / "stack", db_url)
        self.stack.start(web=False, extra_env={"COLLECTIONS_TODAY": TODAY})
        ctx = Context({"practice": self.practice_port}, self.stack.env,
                      endpoints_file(self.workdir / "practice"), host="127.0.0.1")
        log = self.workdir / "practice.log"
        self.practice = processes.spawn(component("practice").command(ctx, self.practice_port), self.stack.env, log)
        wait_for(f"{self.practice_url}/status?token={TOKEN}", self.practice, log, timeout=300)
        deadline = time.time() + 240
        while not requests.get(f"{self.practice_url}/status", params={"token": TOKEN}, timeout=5).json().get(
                "model_file"):
            if time.time() > deadline:
                raise RuntimeError("the practice server did not load its model:\n" + processes.tail(log))
            time.sleep(1)
        self.console = StaffConsole(self.workdir / "console", db_url).start({
            "PRACTICE_RASA_URL": self.practice_url, "RASA_URL": self.stack.rasa_url, "RASA_AUTH_TOKEN": TOKEN,
            "COLLECTIONS_TODAY": TODAY})
        return self

    def stop(self) -> None:
        if self.console is not None:
            self.console.stop()
        if self.practice is not None:
            processes.stop([self.practice])
        if self.stack is not None:
            self.stack.stop()
