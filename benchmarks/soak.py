"""`make soak`: the scaled layout under load and faults, with real PostgreSQL and Redis; nothing may be lost.

    python -m benchmarks.soak [--messages 10000] [--concurrency 64] [--replicas 2] [--out reports/soak.json]

``concurrency`` debtors talk at once through HAProxy (loopback only), each conversation a fixed script of 6 to 32
turns (identity check, then objections), until ``messages`` have been sent. Every message carries a soak id in its
metadata; afterwards each id's user event is counted in the PostgreSQL tracker store: none is ``lost`` (an answered
message with no event) and none is stored twice (``duplicates``). In the same run, at set points of the load:

- one Rasa replica is killed (SIGKILL); HAProxy routes around it. Only requests in flight at that moment may fail.
  It is started again later and rejoins.
- the action server is killed (every worker); what debtors get meanwhile is recorded (a polite "try again", not
  silence), then it is started again and answers must come back to normal.
- the load pauses, every Rasa replica is stopped and started again, and each conversation's slots must be the same
  before and after; the conversations then carry on.

Writes ``reports/soak.json``. Every loop is bounded by a count and by a deadline.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp

from benchmarks.load import OBJECTIONS, _dob_words, _percentile, demo_accounts
from launcher.scaled import TOKEN, ScaledStack

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (6, 12, 24, 32)  # turns per conversation, in rotation: long ones show growth with length
REQUEST_TIMEOUT = 150.0  # above Rasa's 60 s conversation lock, which a killed replica may leave behind
FOLLOW_UPS = ["how much do I owe?", "can I pay in instalments?", "what happens if I don't pay?", "ok thanks"]


def script(index: int, accounts: List[Dict[str, str]]) -> List[str]:
    account = accounts[index % len(accounts)]
    turns = LENGTHS[index % len(LENGTHS)]
    talk = ["hello", f"my account is {account['account_id']}",
            f"I was born on {_dob_words(account['date_of_birth'])}"]
    cycle = OBJECTIONS + FOLLOW_UPS
    talk += [cycle[(index + k) % len(cycle)] for k in range(turns - len(talk))]
    return talk


class Soak:
    def __init__(self, stack: ScaledStack, messages: int, concurrency: int, deadline_s: float,
                 no_reply_text: str, log=print):
        self.stack, self.total, self.concurrency, self.log = stack, messages, concurrency, log
        self.no_reply_text = no_reply_text
        self.began = time.monotonic()
        self.deadline = self.began + deadline_s
        self.accounts = demo_accounts()
        self.sent = 0
        self.next_conversation = 0
        self.records: List[Dict[str, Any]] = []  # one per message sent
        self.in_flight: Dict[str, float] = {}
        self.active: Dict[str, int] = {}  # sender -> turns done, for conversations under way
        self.running = asyncio.Event()
        self.running.set()
        self.faults: List[Dict[str, Any]] = []

    async def post(self, session: aiohttp.ClientSession, sender: str, text: str, turn: int) -> Dict[str, Any]:
        soak_id = f"{sender}:{turn}"
        record = {"id": soak_id, "sender": sender, "turn": turn, "start": time.monotonic(), "status": None,
                  "error": None, "texts": []}
        self.in_flight[soak_id] = record["start"]
        try:
            async with session.post(f"{self.stack.rasa_url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text, "metadata": {"soak_id": soak_id}}) as r:
                record["status"] = r.status
                body = await r.json(content_type=None) if r.status == 200 else None
                if isinstance(body, list):
                    record["texts"] = [m.get("text") or "" for m in body if isinstance(m, dict)]
                else:
                    record["error"] = f"HTTP {r.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            record["error"] = type(exc).__name__
        record["end"] = time.monotonic()
        del self.in_flight[soak_id]
        self.records.append(record)
        return record

    async def conversation(self, session: aiohttp.ClientSession, index: int) -> None:
        sender = f"soak-{index:05d}-{uuid.uuid4().hex[:8]}"
        self.active[sender] = 0
        for turn, text in enumerate(script(index, self.accounts), start=1):
            await self.running.wait()
            if self.sent >= self.total or time.monotonic() > self.deadline:
                break
            self.sent += 1
            record = await self.post(session, sender, text, turn)
            self.active[sender] = turn
            if record["error"]:
                await asyncio.sleep(1)  # as the debtor page does, try the next message a moment later
        del self.active[sender]

    async def debtor(self, session: aiohttp.ClientSession) -> None:
        while self.sent < self.total and time.monotonic() < self.deadline:
            index = self.next_conversation
            self.next_conversation += 1
            await self.conversation(session, index)

    async def wait_for_sent(self, count: int) -> None:
        """Until ``count`` messages are sent, or the same share of the time allowed has passed."""
        share_of_time = self.began + (self.deadline - self.began) * count / self.total
        while self.sent < min(count, self.total) and time.monotonic() < min(share_of_time, self.deadline):
            await asyncio.sleep(0.2)

    async def in_thread(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)

    # ------------------------------------------------------------ faults

    async def kill_replica(self, at: int, back_at: int) -> None:
        await self.wait_for_sent(at)
        name = self.stack.replica_names[0]
        killed_at = time.monotonic()
        in_flight = len(self.in_flight)
        await self.in_thread(self.stack.kill, name)
        self.log(f"  killed {name} at message {self.sent} ({in_flight} requests in flight)")
        await self.wait_for_sent(back_at)
        restart_began = time.monotonic()
        await self.in_thread(self.stack.restart, name)
        back = time.monotonic()
        self.log(f"  {name} back after {back - restart_began:.0f} s of start-up, at message {self.sent}")
        during = [r for r in self.records if r["start"] <= killed_at <= r["end"]]
        after = [r for r in self.records if killed_at < r["start"] and r["end"] <= back]
        self.faults.append({
            "fault": f"killed Rasa replica {name} (SIGKILL) mid-run, started it again later",
            "at_message": at, "requests_in_flight": in_flight,
            "errors_in_flight": sum(1 for r in during if r["error"]),
            "messages_while_down": len(after), "errors_while_down": sum(1 for r in after if r["error"]),
            "restarted_at_message": back_at, "restart_s": round(back - restart_began, 1),
            "what_happened": "HAProxy took the killed replica out and sent every later request to the others; only "
                             "requests that were in flight at the kill could fail",
        })

    async def kill_actions(self, at: int, outage_messages: int) -> None:
        await self.wait_for_sent(at)
        killed_at = time.monotonic()
        await self.in_thread(self.stack.kill, "actions")
        self.log(f"  killed the action server at message {self.sent}")
        await self.wait_for_sent(at + outage_messages)
        restart_began = time.monotonic()
        await self.in_thread(self.stack.restart, "actions")
        back = time.monotonic()
        self.log(f"  action server back at message {self.sent}")
        await self.wait_for_sent(self.sent + outage_messages)
        down = [r for r in self.records if r["start"] > killed_at and r["end"] <= restart_began and not r["error"]]
        after = [r for r in self.records if r["start"] > back and not r["error"]]
        polite = sum(1 for r in down if self.no_reply_text in r["texts"])
        silent = sum(1 for r in down if not any(t.strip() for t in r["texts"]))
        examples = Counter(t for r in down for t in r["texts"]).most_common(3)
        self.faults.append({
            "fault": "killed the action server (every worker, SIGKILL), started it again later",
            "at_message": at, "messages_while_down": len(down), "answered_try_again": polite,
            "answered_silence": silent, "most_common_replies_while_down": [text for text, _ in examples],
            "messages_after_return": len(after),
            "try_again_after_return": sum(1 for r in after if self.no_reply_text in r["texts"]),
            "what_happened": f"while it was down {polite} of {len(down)} messages got the polite try-again reply "
                             f"and {silent} got nothing; after it returned "
                             f"{sum(1 for r in after if self.no_reply_text not in r['texts'])} of {len(after)} "
                             f"got normal answers",
        })

    async def restart_rasa(self, session: aiohttp.ClientSession, at: int) -> None:
        await self.wait_for_sent(at)
        self.running.clear()
        while self.in_flight and time.monotonic() < self.deadline:
            await asyncio.sleep(0.1)
        senders = [s for s, turns in self.active.items() if turns > 0]
        before = await self.all_slots(session, senders)
        self.log(f"  restarting every Rasa process at message {self.sent} ({len(senders)} conversations under way)")
        began = time.monotonic()
        await self.in_thread(self.stack.restart_all, self.stack.replica_names)
        restart_s = time.monotonic() - began
        after = await self.all_slots(session, senders)
        differing = [s for s in senders if before.get(s) != after.get(s) or before.get(s) is None]
        self.running.set()
        sent_before = self.sent
        await self.wait_for_sent(sent_before + self.concurrency * 2)
        resumed = [r for r in self.records if r["sender"] in set(senders) and r["start"] > began]
        self.faults.append({
            "fault": "stopped and started every Rasa process (load paused)",
            "at_message": at, "conversations_under_way": len(senders), "restart_s": round(restart_s, 1),
            "slots_same_after_restart": len(senders) - len(differing), "slots_differing": len(differing),
            "verified_conversations": sum(1 for s in senders if (after.get(s) or {}).get("verified") is True),
            "messages_after_restart_in_those_conversations": len(resumed),
            "errors_after_restart_in_those_conversations": sum(1 for r in resumed if r["error"]),
            "what_happened": f"{len(senders) - len(differing)} of {len(senders)} conversations had the same slots "
                             f"after the restart and carried on",
        })

    async def all_slots(self, session: aiohttp.ClientSession, senders: List[str]) -> Dict[str, Optional[Dict]]:
        gate = asyncio.Semaphore(8)

        async def slots(sender: str) -> Optional[Dict]:
            async with gate:
                try:
                    async with session.get(f"{self.stack.rasa_url}/conversations/{sender}/tracker",
                                           params={"token": TOKEN, "include_events": "NONE"}) as r:
                        return (await r.json(content_type=None)).get("slots") if r.status == 200 else None
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, AttributeError):
                    return None

        values = await asyncio.gather(*(slots(s) for s in senders))
        return dict(zip(senders, values))

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout,
                                         connector=aiohttp.TCPConnector(limit=self.concurrency + 8)) as session:
            n = self.total

            async def faults() -> None:  # one after the other: each starts once the one before is over
                await self.kill_replica(n * 25 // 100, n * 35 // 100)
                await self.kill_actions(n * 50 // 100, max(100, n // 50))
                await self.restart_rasa(session, n * 75 // 100)

            await asyncio.gather(faults(), *(self.debtor(session) for _ in range(self.concurrency)))


def stored_user_events(stack: ScaledStack) -> Counter:
    """How many user events the tracker store holds for each soak id."""
    from sqlalchemy import create_engine, text
    env = stack.env
    url = (f"postgresql+psycopg2://{env['TRACKER_DB_USER']}:{env['TRACKER_DB_PASSWORD']}@{env['TRACKER_DB_HOST']}:"
           f"{env['TRACKER_DB_PORT']}/{env['TRACKER_DB_NAME']}")
    engine = create_engine(url)
    counts: Counter = Counter()
    with engine.connect() as conn:
        for (data,) in conn.execute(text("SELECT data FROM events WHERE type_name = 'user'")):
            soak_id = ((json.loads(data).get("metadata") or {}).get("soak_id"))
            if soak_id:
                counts[soak_id] += 1
    engine.dispose()
    return counts


def summarise(soak: Soak, stored: Counter, wall_s: float, stack: ScaledStack) -> Dict[str, Any]:
    answered = [r for r in soak.records if not r["error"]]
    errored = [r for r in soak.records if r["error"]]
    by_turn: Dict[int, List[float]] = {}
    for r in answered:
        by_turn.setdefault(r["turn"], []).append(r["end"] - r["start"])

    def p50_ms(turn: int) -> Optional[float]:
        value = _percentile(by_turn.get(turn, []), 50)
        return None if value is None else round(value * 1000, 1)

    return {
        "messages_sent": len(soak.records),
        "errors": len(errored),
        "error_kinds": dict(Counter(r["error"] for r in errored)),
        "user_events_stored": sum(stored[r["id"]] for r in soak.records),
        "duplicates": sum(1 for r in soak.records if stored[r["id"]] > 1),
        "lost": sum(1 for r in answered if stored[r["id"]] == 0),
        "errored_messages_stored": sum(1 for r in errored if stored[r["id"]] == 1),
        "silent_replies": sum(1 for r in answered if not any(t.strip() for t in r["texts"])),
        "conversations": soak.next_conversation,
        "longest_conversation_turns": max((r["turn"] for r in soak.records), default=0),
        "concurrency": soak.concurrency,
        "rasa_replicas": stack.replicas,
        "action_server_workers": stack.action_workers,
        "wall_s": round(wall_s, 1),
        "messages_per_s": round(len(answered) / wall_s, 2) if wall_s else None,
        "p50_ms_turn_2": p50_ms(2), "p50_ms_turn_20": p50_ms(20),
        "faults": soak.faults,
        "layout": "HAProxy -> Rasa replicas (PostgreSQL tracker store, Redis lock store) -> action server workers; "
                  "accounts in PostgreSQL",
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--action-workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds the load may take at most")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "soak.json")
    args = parser.parse_args(argv)

    from channels.rest import no_reply_text
    (ROOT / "var").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="soak-", dir=ROOT / "var"))
    stack = ScaledStack(workdir, replicas=args.replicas, action_workers=args.action_workers)
    print(f"Starting the scaled layout in {workdir} ({args.replicas} Rasa replicas, PostgreSQL, Redis, HAProxy)...",
          flush=True)
    try:
        stack.start()
        soak = Soak(stack, args.messages, args.concurrency, args.deadline, no_reply_text(),
                    log=lambda m: print(m, flush=True))
        print(f"Sending {args.messages} messages over {args.concurrency} conversations at once...", flush=True)
        began = time.monotonic()
        asyncio.run(soak.run())
        wall = time.monotonic() - began
        report = summarise(soak, stored_user_events(stack), wall, stack)
    finally:
        stack.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "faults"}, indent=2))
    for fault in report["faults"]:
        print(f"- {fault['fault']}: {fault['what_happened']}")
    ok = report["lost"] == 0 and report["duplicates"] == 0 and report["silent_replies"] == 0 and \
        all(f.get("errors_while_down", 0) == 0 and f.get("slots_differing", 0) == 0
            and f.get("answered_silence", 0) == 0 for f in report["faults"])
    print(f"Soak {'passed' if ok else 'FAILED'}; report in {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
