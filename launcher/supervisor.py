"""Keeps every component running: starts them in order, restarts one that dies (with back-off), stops all.

A component that exits before it ever answered is a start-up failure: everything stops and the end of its log is
shown (a configuration mistake does not heal by restarting). After it has answered once, a death is logged and
the component restarted after 1, 2, 4 ... up to MAX_BACKOFF seconds; the others keep serving meanwhile.
"""
from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from launcher import processes
from launcher.components import Component, Context

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # up this long after a restart: the back-off starts again from 1 s


class Stopping(Exception):
    """SIGINT or SIGTERM: stop everything."""


class StartupFailed(Exception):
    pass


@dataclass
class Running:
    component: Component
    process: subprocess.Popen
    started: float
    ready: bool = False
    answered_once: bool = False
    restarts: int = 0
    failures_in_a_row: int = 0
    restart_at: Optional[float] = None


class Supervisor:
    def __init__(self, ctx: Context, components: Sequence[Component], log_dir: Path,
                 say: Callable[[str], None] = print):
        self.ctx, self.components, self.log_dir, self._say = ctx, list(components), log_dir, say
        self.running: Dict[str, Running] = {}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.journal = self.log_dir / "launcher.log"

    def say(self, message: str) -> None:
        self._say(message)
        with open(self.journal, "a") as journal:
            journal.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}\n")

    def log_path(self, component: Component) -> Path:
        return self.log_dir / f"{component.name}.log"

    def _spawn(self, component: Component, append: bool) -> subprocess.Popen:
        return processes.spawn(component.command(self.ctx, self.ctx.ports[component.name]), self.ctx.env,
                               self.log_path(component), append=append,
                               die_with_parent=True)

    def start(self) -> None:
        """Starts every component in order and waits until each answers."""
        for component in self.components:
            self.say(f"Starting the {component.title} on port {self.ctx.ports[component.name]}...")
            self.running[component.name] = Running(component, self._spawn(component, append=False), time.monotonic())
        for entry in self.running.values():
            self._wait_ready(entry)

    def _wait_ready(self, entry: Running) -> None:
        url = self.ctx.url(entry.component.name) + entry.component.ready_path
        deadline = time.monotonic() + entry.component.start_timeout
        while not entry.ready:
            if time.monotonic() > deadline:
                raise StartupFailed(f"The {entry.component.title} did not answer at {url} within "
                                    f"{entry.component.start_timeout:.0f} s; see {self.log_path(entry.component)}.")
            time.sleep(0.5)
            self.check()

    def check(self) -> None:
        """One round of supervision: a ready component that died is restarted after its back-off, and one that
        answers is marked ready. A component that dies before it ever answered stops the start-up."""
        now = time.monotonic()
        for entry in self.running.values():
            component = entry.component
            if entry.restart_at is not None:
                if now >= entry.restart_at:
                    self._restart(entry, now)
            elif entry.process.poll() is not None:
                if not entry.answered_once:
                    raise StartupFailed(
                        f"The {component.title} stopped while starting (exit code "
                        f"{entry.process.returncode}); the end of {self.log_path(component)}:\n"
                        f"{processes.tail(self.log_path(component), 3000)}")
                processes.kill_group(entry.process)  # workers it leaves behind would hold the port
                up_for = now - entry.started
                entry.failures_in_a_row = 1 if up_for > STABLE_AFTER else entry.failures_in_a_row + 1
                delay = min(MAX_BACKOFF, 2.0 ** (entry.failures_in_a_row - 1))
                entry.restart_at, entry.ready = now + delay, False
                self.say(f"The {component.title} exited with code {entry.process.returncode} after {up_for:.0f} s; "
                         f"restarting in {delay:.0f} s (see {self.log_path(component)}).")
            elif not entry.ready and processes.answers(self.ctx.url(component.name) + component.ready_path, 1):
                entry.ready = entry.answered_once = True
                if entry.restarts:
                    self.say(f"The {component.title} is answering again.")

    def _restart(self, entry: Running, now: float) -> None:
        with open(self.log_path(entry.component), "a") as log:
            log.write(f"\n--- restarted by the launcher at {datetime.now():%Y-%m-%d %H:%M:%S} ---\n")
        entry.process = self._spawn(entry.component, append=True)
        entry.started, entry.restart_at = now, None
        entry.restarts += 1
        self.say(f"The {entry.component.title} restarted (pid {entry.process.pid}, restart {entry.restarts}).")

    def supervise(self, until: Callable[[], bool] = lambda: False) -> None:
        while not until():
            self.check()
            time.sleep(0.5)

    def processes(self) -> List[subprocess.Popen]:
        return [entry.process for entry in self.running.values()]

    def stop(self) -> None:
        if self.running:
            self.say("Stopping...")
            processes.stop(self.processes())
            self.running.clear()
            self.say("Stopped.")


def raise_stopping(signum, frame) -> None:
    raise Stopping()


def stop_on_signals() -> None:
    signal.signal(signal.SIGINT, raise_stopping)
    signal.signal(signal.SIGTERM, raise_stopping)


def ignore_signals() -> None:
    """While stopping: a second Ctrl-C must not cut the clean stop short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
