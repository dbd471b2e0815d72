"""Start-up (python -m launcher, what `make run` starts, to the first answer), full training time, model size."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import requests

from benchmarks import procstat
from benchmarks.progress import follow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _start_time(pid: int) -> Optional[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2:].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, started: str) -> bool:
    """Still running (not a zombie) and the same process (pid not reused)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = text[text.rindex(")") + 2:].split()
    return fields[0] != "Z" and fields[19] == started


def time_to_first_answer(workdir: Path, db_url: str, env_extra: Dict[str, str],
                         log: Callable[[str], None] = print, timeout_s: float = 300) -> Dict:
    """Starts the launcher on free ports, posts "hello" to the REST webhook every 0.5 s until a reply with
    text arrives, then sends SIGINT to its process group and checks that every process it started is gone."""
    from launcher.stack import endpoints_file, free_port

    ports = {"ACTION_PORT": free_port(), "RASA_PORT": free_port(), "WEB_PORT": free_port()}
    endpoints = endpoints_file(workdir / "startup-stack")
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "ENDPOINTS": str(endpoints),
           "ACCOUNTS_DB_URL": db_url, **env_extra}
    url = f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "launcher", "--log-dir", str(workdir / "startup-logs")],
                               cwd=ROOT, env=env,
                               stdout=open(workdir / "startup-run.log", "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    seen: Dict[int, str] = {}  # every process seen under the launcher
    running: Dict[int, str] = {}  # the ones still running when it is stopped: the servers
    first_answer: Optional[float] = None
    attempts = 0
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            for pid in procstat.descendants(process.pid):
                if pid not in seen and _start_time(pid):
                    seen[pid] = _start_time(pid)
            attempts += 1
            try:
                response = requests.post(url, json={"sender": f"startup-{uuid.uuid4().hex[:12]}",
                                                    "message": "hello"}, timeout=30)
                if response.status_code == 200 and any(r.get("text") for r in response.json()):
                    first_answer = time.perf_counter() - started
                    break
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        for pid in procstat.descendants(process.pid):
            if pid not in seen and _start_time(pid):
                seen[pid] = _start_time(pid)
        running = {pid: start for pid, start in seen.items() if pid != process.pid and _alive(pid, start)}
    finally:
        stop_started = time.perf_counter()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stop_seconds = time.perf_counter() - stop_started
        leftover = _wait_gone(seen, 20)
        for pid in leftover:  # should not happen; do not leave servers behind
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    result = {"first_answer_s": round(first_answer, 2) if first_answer else None, "polls": attempts,
              "processes_running_at_stop": len(running), "leftover_processes_after_sigint": len(leftover),
              "stop_s": round(stop_seconds, 2), "exit_code": process.returncode}
    if first_answer is None:
        output = (workdir / "startup-run.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"no answer from the launcher (exit code {process.returncode}, {attempts} polls):\n"
                           f"{output}")
    log(f"    first answer after {result['first_answer_s']} s; stopped in {result['stop_s']} s; "
        f"{len(running)} processes running under the launcher at stop, {len(leftover)} left over")
    return result


def _wait_gone(seen: Dict[int, str], seconds: float) -> List[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid, start in seen.items() if _alive(pid, start)]
        if not left:
            return []
        time.sleep(0.5)
    return [pid for pid, start in seen.items() if _alive(pid, start)]


def training_time(workdir: Path, log: Callable[[str], None] = print, timeout_s: float = 1200) -> Dict:
    """`rasa train --force` of the whole project into a temporary folder, with an empty training cache."""
    out = workdir / "train-out"
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(workdir / "train-cache"), "RASA_TELEMETRY_ENABLED": "false"}
    log_path = workdir / "train.log"
    started = time.perf_counter()
    with open(log_path, "w") as output:
        process = subprocess.Popen([str(BIN / "rasa"), "train", "--force", "--out", str(out),
                                    "--fixed-model-name", "bench"], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        returncode = follow(process, log_path, log, "rasa train", timeout_s)
    seconds = time.perf_counter() - started
    model = out / "bench.tar.gz"
    if returncode != 0:
        raise RuntimeError(f"rasa train failed (exit {returncode}):\n" + log_path.read_text()[-3000:])
    result = {"train_s": round(seconds, 1), "exit_code": returncode,
              "model_mb": round(model.stat().st_size / 1e6, 2) if model.exists() else None}
    if model.exists():
        model.unlink()
    log(f"    rasa train --force: {result['train_s']} s, model {result['model_mb']} MB")
    return result


def model_size(path: Path) -> Dict:
    """Size and age of the model the servers load; ``stale`` when training files are newer than it."""
    from datetime import datetime, timezone
    if not path.exists():
        return {"path": str(path), "mb": None, "modified": None, "stale": None}
    mtime = path.stat().st_mtime
    training = [ROOT / "config.yml", ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]
    newer = [str(f.relative_to(ROOT)) for f in training if f.exists() and f.stat().st_mtime > mtime]
    return {"path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
            "mb": round(path.stat().st_size / 1e6, 2),
            "modified": datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "stale": bool(newer), "newer_training_files": newer}
