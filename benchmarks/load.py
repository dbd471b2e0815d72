"""Conversation speed and capacity through the real REST webhook, and the NLU-only ceiling (/model/parse).

The load generator is asyncio + aiohttp against 127.0.0.1 only. ``concurrency`` conversations run at
once; each is one debtor typing a message and waiting for the answer before the next one, with a fresh
sender id: greet, account reference, date of birth, then 3 objections (a long conversation goes on with
objections up to LONG_TURNS messages, to show how a turn's cost grows with the conversation). Every loop is
bounded by a count and by a deadline.
"""
from __future__ import annotations

import asyncio
import csv
import statistics
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import aiohttp

from benchmarks import procstat

ROOT = Path(__file__).resolve().parent.parent
OBJECTIONS = [
    "I'll pay next month",
    "I lost my job",
    "the boss is away this week",
    "money is really tight right now",
    "I'm travelling for work, I'll sort it when I'm back",
    "finance only pays suppliers on the 25th",
]
REQUEST_TIMEOUT = 60.0
SHORT_TURNS = 6
LONG_TURNS = 22  # past turn 20, the turn compared with turn 2


def demo_accounts() -> List[Dict[str, str]]:
    with open(ROOT / "demo" / "accounts.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _dob_words(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def conversation_script(index: int, accounts: List[Dict[str, str]],
                        turns: int = SHORT_TURNS) -> Tuple[List[str], str]:
    """The ``turns`` messages of conversation ``index`` and the currency code its verified reply should show."""
    account = accounts[index % len(accounts)]
    objections = [OBJECTIONS[(index + k) % len(OBJECTIONS)] for k in range(max(turns - 3, 0))]
    return (["hello", f"my account is {account['account_id']}",
             f"I was born on {_dob_words(account['date_of_birth'])}", *objections], account["currency"])


def _percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Sampler:
    """Samples the summed RSS of each watched process tree every ``interval`` seconds while running."""

    def __init__(self, roots: Dict[str, int], interval: float = 0.25):
        self.roots, self.interval = roots, interval
        self.peak_rss = {name: 0.0 for name in roots}
        self._task: Optional[asyncio.Task] = None

    async def _run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            for name, pid in self.roots.items():
                self.peak_rss[name] = max(self.peak_rss[name], procstat.memory_mb(pid)["rss_mb"])
            await asyncio.sleep(self.interval)

    def start(self, max_seconds: float) -> None:
        self._task = asyncio.ensure_future(self._run(time.monotonic() + max_seconds))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


async def _post(session: aiohttp.ClientSession, url: str, payload: Dict) -> Tuple[float, Optional[object], str]:
    started = time.perf_counter()
    try:
        async with session.post(url, json=payload) as response:
            body = await response.json(content_type=None)
            elapsed = time.perf_counter() - started
            if response.status != 200:
                return elapsed, None, f"HTTP {response.status}"
            return elapsed, body, ""
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return time.perf_counter() - started, None, type(exc).__name__


async def _count_verified(session: aiohttp.ClientSession, base_url: str, senders: List[str],
                          token: Optional[str]) -> int:
    gate = asyncio.Semaphore(8)

    async def verified(sender: str) -> bool:
        async with gate:
            try:
                async with session.get(f"{base_url}/conversations/{sender}/tracker",
                                       params={"token": token or ""}) as response:
                    body = await response.json(content_type=None)
                    return response.status == 200 and (body.get("slots") or {}).get("verified") is True
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, AttributeError):
                return False

    return sum(await asyncio.gather(*(verified(s) for s in senders)))


async def _run_level(kind: str, base_url: str, concurrency: int, conversations: int, deadline_s: float,
                     accounts: List[Dict[str, str]], offset: int, roots: Dict[str, int],
                     turns: int = SHORT_TURNS) -> Dict:
    url = f"{base_url}/webhooks/rest/webhook" if kind == "webhook" else f"{base_url}/model/parse"
    latencies: List[float] = []
    by_turn: Dict[int, List[float]] = {}
    errors: Dict[str, int] = {}
    state = {"empty": 0, "next": 0, "messages": 0, "timed_out": 0}
    senders: List[str] = []
    deadline = time.monotonic() + deadline_s

    async def one_conversation(session: aiohttp.ClientSession, index: int) -> None:
        script, _ = conversation_script(offset + index, accounts, turns)
        sender = f"bench-{uuid.uuid4().hex[:16]}"
        senders.append(sender)
        for step, text in enumerate(script):
            if time.monotonic() > deadline:
                state["timed_out"] += 1
                return
            payload = {"sender": sender, "message": text} if kind == "webhook" else {"text": text}
            elapsed, body, error = await _post(session, url, payload)
            state["messages"] += 1
            if error:
                errors[error] = errors.get(error, 0) + 1
                continue
            latencies.append(elapsed)
            by_turn.setdefault(step + 1, []).append(elapsed)
            if kind == "webhook":
                replies = " ".join(r.get("text", "") for r in body or [] if isinstance(r, dict))
                if not replies.strip():
                    state["empty"] += 1
            elif not (isinstance(body, dict) and body.get("intent")):
                state["empty"] += 1

    async def worker(session: aiohttp.ClientSession) -> None:
        while state["next"] < conversations and time.monotonic() < deadline:
            index = state["next"]
            state["next"] += 1
            await one_conversation(session, index)

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency + 4)
    params = {"token": roots.get("_token")} if kind == "parse" else None
    sampler = Sampler({k: v for k, v in roots.items() if not k.startswith("_")})
    cpu_before = {name: procstat.cpu_seconds(pid) for name, pid in sampler.roots.items()}
    machine_before = procstat.system_busy()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        if params:
            url = f"{url}?token={params['token']}"
        sampler.start(deadline_s + 5)
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
        await sampler.stop()
        cpu_after = {name: procstat.cpu_seconds(pid) for name, pid in sampler.roots.items()}
        machine_after = procstat.system_busy()
        # after the timed window: did each conversation pass the identity check? (the tracker's slot)
        verified = await _count_verified(session, base_url, senders, roots.get("_token")) \
            if kind == "webhook" else None
    cpu = {name: round((cpu_after[name] - cpu_before[name]) / wall, 2) for name in sampler.roots}
    return {
        "kind": kind, "concurrency": concurrency, "conversations": conversations,
        "messages": state["messages"], "ok": len(latencies), "errors": sum(errors.values()),
        "error_kinds": errors, "empty_replies": state["empty"], "timed_out_conversations": state["timed_out"],
        "verified_conversations": verified,
        "wall_s": round(wall, 3), "messages_per_s": round(len(latencies) / wall, 2) if wall else None,
        "p50_ms": _ms(_percentile(latencies, 50)), "p95_ms": _ms(_percentile(latencies, 95)),
        "p99_ms": _ms(_percentile(latencies, 99)), "mean_ms": _ms(statistics.mean(latencies) if latencies else None),
        "cpu_cores": cpu, "machine_busy_cores": procstat.busy_cores(machine_before, machine_after),
        "peak_rss_mb_sampled": dict(sampler.peak_rss),
        "p50_ms_by_turn": {turn: _ms(_percentile(values, 50)) for turn, values in sorted(by_turn.items())},
    }


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 1)


def _median(values: List[Optional[float]]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def summarise_repeats(runs: List[Dict]) -> Dict:
    """Medians over repeats of one level; counts (messages, errors) are summed over the repeats."""
    first = runs[0]
    summary = {"kind": first["kind"], "concurrency": first["concurrency"],
               "conversations_per_repeat": first["conversations"], "repeats": len(runs),
               "messages": sum(r["messages"] for r in runs), "errors": sum(r["errors"] for r in runs),
               "empty_replies": sum(r["empty_replies"] for r in runs),
               "timed_out_conversations": sum(r["timed_out_conversations"] for r in runs)}
    if first["kind"] == "webhook":
        summary["verified_conversations"] = sum(r["verified_conversations"] or 0 for r in runs)
        summary["conversations"] = sum(r["conversations"] for r in runs)
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "messages_per_s", "machine_busy_cores"):
        summary[key] = _median([r[key] for r in runs])
    summary["cpu_cores"] = {name: _median([r["cpu_cores"][name] for r in runs]) for name in first["cpu_cores"]}
    # CPU time the servers spend per message: cores busy / messages per second
    summary["cpu_ms_per_message"] = {
        name: (round(cores / summary["messages_per_s"] * 1000, 1)
               if cores is not None and summary["messages_per_s"] else None)
        for name, cores in summary["cpu_cores"].items()}
    summary["peak_rss_mb_sampled"] = {name: max(r["peak_rss_mb_sampled"][name] for r in runs)
                                      for name in first["peak_rss_mb_sampled"]}
    summary["runs"] = runs
    return summary


def long_conversations(runs: List[Dict]) -> Dict:
    """p50 per turn over long conversations, and turn 20 against turn 2."""
    summary = summarise_repeats(runs)
    samples: Dict[int, List[float]] = {}
    for r in runs:
        for turn, p50 in r["p50_ms_by_turn"].items():
            samples.setdefault(int(turn), []).append(p50)
    summary["turns"] = max(samples) if samples else 0
    summary["p50_ms_by_turn"] = {turn: _median(values) for turn, values in sorted(samples.items())}
    turn_2, turn_20 = summary["p50_ms_by_turn"].get(2), summary["p50_ms_by_turn"].get(20)
    summary["turn_2_p50_ms"], summary["turn_20_p50_ms"] = turn_2, turn_20
    summary["turn_20_over_turn_2_p50"] = round(turn_20 / turn_2, 2) if turn_2 and turn_20 else None
    return summary


def run(stack, levels: List[Tuple[int, int, int]], parse_levels: List[int],
        log: Callable[[str], None] = print, level_deadline_s: float = 240.0,
        long: Optional[Tuple[int, int, int]] = None) -> Dict:
    """``levels``: (concurrency, conversations per repeat, repeats). ``stack``: a started launcher.stack.Stack
    (or anything with ``named`` processes "rasa" and optionally "actions", and ``rasa_url``).
    The parse ceiling runs the same messages at each of ``parse_levels`` with the same repeats.
    ``long``: (concurrency, conversations, repeats) of LONG_TURNS-message conversations, reported per turn."""
    from launcher.stack import TOKEN

    servers = {name: process for name, process in stack.named.items() if name in ("rasa", "actions")}
    roots = {**{name: process.pid for name, process in servers.items()}, "_token": TOKEN}
    accounts = demo_accounts()
    offset = 0

    async def go() -> Dict:
        nonlocal offset
        log("    warm-up: 2 conversations (not counted)")
        await _run_level("webhook", stack.rasa_url, 2, 2, level_deadline_s, accounts, 10_000, roots)
        await _run_level("parse", stack.rasa_url, 2, 2, level_deadline_s, accounts, 10_000, roots)
        webhook, parse = [], []
        for concurrency, conversations, repeats in levels:
            runs = []
            for repeat in range(repeats):
                result = await _run_level("webhook", stack.rasa_url, concurrency, conversations,
                                          level_deadline_s, accounts, offset, roots)
                offset += conversations
                runs.append(result)
                log(f"    webhook c={concurrency:<3} repeat {repeat + 1}/{repeats}: {result['messages']} msgs, "
                    f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['messages_per_s']} msg/s, "
                    f"errors {result['errors']}")
            webhook.append(summarise_repeats(runs))
        for concurrency in parse_levels:
            conversations, repeats = next(((n, r) for c, n, r in levels if c == concurrency), (concurrency, 1))
            runs = []
            for repeat in range(repeats):
                result = await _run_level("parse", stack.rasa_url, concurrency, conversations,
                                          level_deadline_s, accounts, 0, roots)
                runs.append(result)
            summary = summarise_repeats(runs)
            log(f"    parse   c={concurrency:<3} ({repeats} repeats): p50 {summary['p50_ms']} ms, "
                f"p95 {summary['p95_ms']} ms, {summary['messages_per_s']} req/s")
            parse.append(summary)
        out = {"webhook": webhook, "parse": parse}
        if long:
            concurrency, conversations, repeats = long
            runs = []
            for _ in range(repeats):
                runs.append(await _run_level("webhook", stack.rasa_url, concurrency, conversations,
                                             level_deadline_s, accounts, offset, roots, turns=LONG_TURNS))
                offset += conversations
            out["long"] = long_conversations(runs)
            log(f"    long    c={concurrency:<3} ({conversations} x {LONG_TURNS} messages, {repeats} repeats): "
                f"p50 turn 2 {out['long']['turn_2_p50_ms']} ms, turn 20 {out['long']['turn_20_p50_ms']} ms")
        return out

    results = asyncio.run(go())
    results["lifetime_peak_rss_mb"] = {name: procstat.memory_mb(p.pid)["peak_rss_mb"] for name, p in servers.items()}
    results["rss_after_mb"] = {name: procstat.memory_mb(p.pid)["rss_mb"] for name, p in servers.items()}
    parse_by_c = {p["concurrency"]: p for p in results["parse"]}
    results["webhook_over_parse_p50"] = {
        str(w["concurrency"]): round(w["p50_ms"] / parse_by_c[w["concurrency"]]["p50_ms"], 2)
        for w in results["webhook"]
        if w["concurrency"] in parse_by_c and w["p50_ms"] and parse_by_c[w["concurrency"]]["p50_ms"]}
    return results
