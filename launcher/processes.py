"""Starting server processes in their own process group, waiting for them to answer, and stopping them whole."""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``port`` (servers set SO_REUSEADDR, so TIME_WAIT does not count)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return error.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def _own_group_dying_with_parent() -> None:
    """In the child before exec: its own process group, and SIGTERM when the thread that started it ends
    (so only for processes started from a long-lived main thread)."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: List[str], env: Dict[str, str], log: Path, append: bool = False,
          die_with_parent: bool = False) -> subprocess.Popen:
    """Starts ``args`` from the project root in its own process group, stdout and stderr going to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a" if append else "w") as output:
        if die_with_parent:
            return subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, preexec_fn=_own_group_dying_with_parent)
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def answers(url: str, timeout: float = 2) -> bool:
    """True when ``url`` answers with anything below 500."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def tail(log: Path, characters: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-characters:]
    except OSError:
        return ""


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    """Waits until ``url`` answers; raises with the end of the log if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}:\n{tail(log)}")
        if answers(url):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s:\n{tail(log)}")


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(processes: List[subprocess.Popen], grace: float = 20) -> None:
    """SIGTERM to every process group, then SIGKILL to whatever is still there after ``grace`` seconds."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        kill_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:  # also children a dead leader left behind in its group
        kill_group(process)
        if process.poll() is None:
            process.wait()

