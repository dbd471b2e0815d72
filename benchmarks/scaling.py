"""Throughput of 2 Rasa processes against 1 in the scaled layout, and the peak memory of every process there.

    python -m benchmarks.scaling [--out reports/scaling.json]

For 1 and then 2 replicas the scaled layout (launcher.scaled.ScaledStack: HAProxy, PostgreSQL, Redis, action
server workers) takes the same REST load as `make bench` (benchmarks.load: greet, identify, 3 objections, each
debtor waiting for the answer) at ``concurrency`` conversations at once. ``measure()`` returns the dict for
reports/benchmark.json: ``scale_ratio_2_vs_1`` (messages per second, 2 replicas over 1) and ``peak_rss_mb`` per
process in each layout (VmHWM from /proc; the action server's forked workers each on their own).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

from benchmarks import procstat
from benchmarks.load import _run_level, demo_accounts
from launcher.scaled import TOKEN, ScaledStack

ROOT = Path(__file__).resolve().parent.parent


def process_peaks(stack: ScaledStack) -> Dict[str, float]:
    """Peak RSS in MB of each process: every Rasa replica, HAProxy, and each action server process (the parent
    that forks and its workers), plus PostgreSQL and Redis summed over their processes."""
    peaks: Dict[str, float] = {}
    for name, process in stack.named.items():
        pids = procstat.descendants(process.pid)
        if name == "actions":
            for number, pid in enumerate(pids):
                label = "actions (parent)" if number == 0 else f"actions worker {number}"
                peaks[label] = _peak_of(pid)
        else:
            peaks["haproxy" if name == "rasa" else name] = max(_peak_of(pid) for pid in pids)
    for label, process in zip(("postgres (all processes)", "redis"), stack.services.running):
        peaks[label] = procstat.memory_mb(process.pid)["peak_rss_mb"]
    return peaks


def _peak_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def one_layout(replicas: int, concurrency: int, conversations: int, log: Callable[[str], None]) -> Dict:
    (ROOT / "var").mkdir(exist_ok=True)
    stack = ScaledStack(Path(tempfile.mkdtemp(prefix=f"scaling-{replicas}-", dir=ROOT / "var")), replicas=replicas)
    log(f"    scaled layout with {replicas} Rasa process(es): starting...")
    try:
        stack.start()
        roots = {name: stack.process(name).pid for name in [*stack.replica_names, "actions"]}
        accounts = demo_accounts()

        async def go() -> Dict:
            await _run_level("webhook", stack.rasa_url, 2, 2, 240, accounts, 20_000, {**roots, "_token": TOKEN})
            return await _run_level("webhook", stack.rasa_url, concurrency, conversations, 600, accounts, 0,
                                    {**roots, "_token": TOKEN})

        result = asyncio.run(go())
        result["peak_rss_mb"] = process_peaks(stack)
    finally:
        stack.stop()
    log(f"    {replicas} Rasa process(es): {result['messages_per_s']} msg/s, p50 {result['p50_ms']} ms, "
        f"errors {result['errors']}")
    return result


def measure(concurrency: int = 16, conversations: int = 48, log: Callable[[str], None] = print) -> Dict:
    """``{"scale_ratio_2_vs_1": ..., "peak_rss_mb": {"scaled_1_replica": {...}, "scaled_2_replicas": {...}},
    "scaling": {...}}`` for reports/benchmark.json."""
    runs: List[Dict] = [one_layout(n, concurrency, conversations, log) for n in (1, 2)]
    one, two = runs
    ratio = round(two["messages_per_s"] / one["messages_per_s"], 2) \
        if one["messages_per_s"] and two["messages_per_s"] else None
    keep = ("messages", "ok", "errors", "empty_replies", "messages_per_s", "p50_ms", "p95_ms", "cpu_cores",
            "machine_busy_cores", "wall_s")
    return {
        "scale_ratio_2_vs_1": ratio,
        "peak_rss_mb": {"scaled_1_replica": one["peak_rss_mb"], "scaled_2_replicas": two["peak_rss_mb"]},
        "scaling": {"concurrency": concurrency, "conversations": conversations, "cores": procstat.machine()["cores"],
                    "one_replica": {k: one[k] for k in keep}, "two_replicas": {k: two[k] for k in keep}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--conversations", type=int, default=48)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "scaling.json")
    args = parser.parse_args()
    result = measure(args.concurrency, args.conversations)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "scaling"}, indent=2))


if __name__ == "__main__":
    main()
