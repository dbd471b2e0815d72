"""Console progress for the long benchmark steps."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Callable, List, Tuple

BAR = re.compile(r"(Epochs:\s+\d+%\|[^|]*\|\s*\d+/\d+)")


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[bench {int(elapsed // 60):02d}:{int(elapsed % 60):02d}] {message}", flush=True)


class _Tail:
    """Reads what a child process appended to its log since the last call."""

    def __init__(self, path: Path):
        self.path, self.offset, self.partial, self.recent = path, 0, "", ""

    def new_marked_lines(self) -> List[str]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read().decode("utf-8", errors="replace")
            self.offset = handle.tell()
        self.recent = (self.recent + chunk)[-4000:]
        *complete, self.partial = (self.partial + chunk).split("\n")
        self.partial = self.partial[-4000:]
        # progress bars redraw with carriage returns: a marked line may follow one on the same line
        return [seg for line in complete for seg in line.split("\r") if seg.startswith("[nlu-worker]")]

    def last_bar(self) -> str:
        bars = BAR.findall(self.recent)
        return bars[-1].split("|")[0] + bars[-1].split("|")[-1] if bars else "working"


def follow_all(jobs: List[Tuple[subprocess.Popen, Path, str]], log: Callable[[str], None], timeout_s: float,
               every_s: float = 20.0) -> List[int]:
    """Waits for every (process, log file, label) at most ``timeout_s``, echoing their `[nlu-worker]` lines
    and, every ``every_s`` seconds, the last training-progress bar of each one still running."""
    deadline = time.monotonic() + timeout_s
    next_report = time.monotonic() + every_s
    tails = [_Tail(path) for _, path, _ in jobs]
    while any(process.poll() is None for process, _, _ in jobs):
        if time.monotonic() > deadline:
            for process, _, _ in jobs:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            raise TimeoutError(f"{', '.join(label for _, _, label in jobs)} took longer than {timeout_s:.0f} s")
        time.sleep(1)
        for tail in tails:
            for line in tail.new_marked_lines():
                log("    " + line)
        if time.monotonic() >= next_report:
            next_report = time.monotonic() + every_s
            running = [f"{label}: {tail.last_bar()}" for (process, _, label), tail in zip(jobs, tails)
                       if process.poll() is None]
            if running:
                log("    ... " + "; ".join(running))
    for tail in tails:
        for line in tail.new_marked_lines() + ([tail.partial] if tail.partial.startswith("[nlu-worker]") else []):
            log("    " + line)
    return [process.returncode for process, _, _ in jobs]


def follow(process: subprocess.Popen, log_path: Path, log: Callable[[str], None], label: str,
           timeout_s: float, every_s: float = 20.0) -> int:
    return follow_all([(process, log_path, label)], log, timeout_s, every_s)[0]
