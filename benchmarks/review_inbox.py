"""The review inbox with many stored conversations: index time, then inbox latency over HTTP from the real staff
console (the first page, filtered views, text search, a deep page).

    python -m benchmarks.review_inbox [--conversations 10000] [--repeats 20]

Conversations are written straight into a SQLite tracker store in Rasa's own ``events`` layout (varied accounts,
tones, objections, stops and confidences over 60 days), so the figure does not depend on the speed of the bot.
``run(conversations, repeats, workdir) -> dict`` is the hook for benchmarks/run.py.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from actions.conversation_index import ConversationIndex  # noqa: E402
from launcher.processes import free_port, wait_for  # noqa: E402
from web.staff.store import StaffStore  # noqa: E402

VIEWS = {"first page": {}, "legal tone": {"tone": "legal"}, "disputes": {"flag": "DISPUTE"},
         "low confidence + unreviewed": {"confidence_below": "0.5", "status": "unreviewed"},
         "intent + date range": {"intent": "objection_no_job", "from": "2026-10-01", "to": "2026-11-15"},
         "text search": {"q": "boss is away"}, "page 40": {"page": "40"}}
OBJECTIONS = [("I'll pay next month", "objection_next_month"), ("I lost my job", "objection_no_job"),
              ("my boss is away", "objection_boss_absent"), ("the goods were faulty", "objection_product_defect")]
STOPS = [("I dispute this debt", "dispute_debt", "DISPUTE"), ("stop contacting me", "request_stop_contact",
                                                                "CEASE_CONTACT"), ("I can't afford food", "hardship",
                                                                                   "HARDSHIP")]
TONES = ["gentle", "firm", "legal"]


def _events(sender: str, start: float, rng: random.Random) -> List[tuple]:
    """One conversation's events as Rasa's SQL tracker store writes them: (sender, type, time, intent, action, data)."""
    out, clock = [], [start]

    def add(kind: str, data: Dict[str, Any], intent=None, action=None):
        clock[0] += rng.uniform(0.5, 20)
        data = {"event": kind, "timestamp": clock[0], **data}
        out.append((sender, kind, clock[0], intent, action, json.dumps(data)))

    def user(words: str, intent: str, confidence: float):
        ranking = [{"name": intent, "confidence": confidence}, {"name": "out_of_scope", "confidence": 0.05},
                   {"name": "affirm", "confidence": 0.01}]
        add("user", {"text": words, "parse_data": {"intent": ranking[0], "entities": [], "text": words,
                                                   "intent_ranking": ranking}}, intent=intent)

    def act(name: str, *said: str, **slots):
        add("action", {"name": name}, action=name)
        for words in said:
            add("bot", {"text": words, "data": {}, "metadata": {}})
        for slot, value in slots.items():
            add("slot", {"name": slot, "value": value}, action=slot)

    act("action_session_start")
    add("session_started", {})
    act("action_listen")
    user("hello", "greet", rng.uniform(0.8, 1))
    act("action_greet", "Hello, I'm the payments assistant. What is your account reference?")
    account = f"AC-{rng.randint(10001, 99999)}"
    user(f"my account is {account}", "provide_account", rng.uniform(0.7, 1))
    act("action_verify_identity", "Thank you. What is your date of birth?", awaiting="date_of_birth")
    if rng.random() < 0.1:
        user("no idea", "out_of_scope", rng.uniform(0.1, 0.3))
        act("action_default_fallback", "Sorry, I didn't quite understand that.")
        return out
    user("born 12 April 1980", "provide_dob", rng.uniform(0.7, 1))
    act("action_verify_identity", "Thank you, you're verified.", verified=True, account_id=account)
    tone, raised = rng.choice(TONES[:2]), []
    for _ in range(rng.randint(0, 3)):
        words, objection = rng.choice(OBJECTIONS)
        user(words, objection, rng.uniform(0.3, 1))
        tone = TONES[min(TONES.index(tone) + 1, 2 if rng.random() < 0.5 else 1)] if raised else tone
        raised.append(f"{objection}:{tone}")
        act("action_counter_objection", f"I understand. The balance is overdue ({tone}).", tone=tone,
            objection=objection, objections_raised=list(raised))
    ending = rng.random()
    if ending < 0.25:
        words, intent, flag = rng.choice(STOPS)
        user(words, intent, rng.uniform(0.6, 1))
        act("action_compliance_stop", "Understood; I have paused all requests.", pressure_stopped=True,
            compliance_flag=flag, outcome=flag)
    elif ending < 0.6:
        user("I can pay 300 on Friday", "promise_to_pay", rng.uniform(0.6, 1))
        act("action_negotiate_commitment", "So that's 300 on Friday?", commitment="promise")
        user("yes", "affirm", rng.uniform(0.8, 1))
        act("action_affirm", "Thank you, recorded.", outcome="PROMISE_TO_PAY", commitment=None)
    elif ending < 0.7:
        user("I want to speak to a person", "request_human", rng.uniform(0.7, 1))
        act("action_request_human", "A colleague will contact you.", outcome="HUMAN_HANDOFF")
    return out


def fill_tracker(url: str, conversations: int, seed: int = 2026) -> int:
    engine = create_engine(url, future=True)
    rng = random.Random(seed)
    newest = time.mktime((2026, 11, 22, 12, 0, 0, 0, 0, 0))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) "
                                "NOT NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name "
                                "VARCHAR(255), action_name VARCHAR(255), data TEXT)"))
        connection.execute(text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)"))
        rows = []
        for n in range(conversations):
            rows += _events(f"bench-{n:06d}", newest - rng.uniform(0, 60 * 86400), rng)
        connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
                                "data) VALUES (:s, :k, :t, :i, :a, :d)"),
                           [dict(zip(("s", "k", "t", "i", "a", "d"), r)) for r in rows])
    return len(rows)


def run(conversations: int = 10000, repeats: int = 20, workdir: Path = None) -> Dict[str, Any]:
    """Fills, indexes and measures in ``workdir`` (a temporary folder, removed afterwards, when None)."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="review-bench-") as temporary:
            return run(conversations, repeats, Path(temporary))
    workdir = Path(workdir)
    tracker_url, accounts_url = f"sqlite:///{workdir / 'tracker.db'}", f"sqlite:///{workdir / 'accounts.db'}"
    started = time.perf_counter()
    events = fill_tracker(tracker_url, conversations)
    fill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ConversationIndex(tracker_url, accounts_url).refresh()
    index_seconds = time.perf_counter() - started

    store = StaffStore(accounts_url)
    store.create_user("bench-supervisor", "supervisor", "bench-password-123")
    token = store.issue_token("bench-supervisor", "benchmark")
    port = free_port()
    env = {**os.environ, "ACCOUNTS_DB_URL": accounts_url, "TRACKER_DB_URL": tracker_url,
           "STAFF_SECRET_KEY": "review-benchmark-secret-0123456789abcdef"}
    log = workdir / "console.log"
    process = subprocess.Popen([sys.executable, "-m", "web.staff", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    results: Dict[str, Any] = {}
    try:
        wait_for(f"{url}/healthz", process, log)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for name, params in VIEWS.items():
            for path in ("/api/conversations", "/review"):
                session.get(url + path, params=params, timeout=60).raise_for_status()  # warm-up
                times = []
                for _ in range(repeats):
                    begin = time.perf_counter()
                    response = session.get(url + path, params=params, timeout=60)
                    times.append((time.perf_counter() - begin) * 1000)
                    response.raise_for_status()
                total = response.json()["total"] if path.startswith("/api") else None
                results[f"{path} {name}"] = {"p50_ms": round(statistics.median(times), 1),
                                             "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 1),
                                             **({"total": total} if total is not None else {})}
    finally:
        process.terminate()
        process.wait(timeout=20)
    worst = max(v["p50_ms"] for v in results.values())
    return {"conversations": conversations, "events": events, "fill_s": round(fill_seconds, 1),
            "index_s": round(index_seconds, 1), "views": results, "worst_p50_ms": worst,
            "within_300ms": worst <= 300}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.review_inbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    result = run(args.conversations, args.repeats)
    print(f"{result['conversations']} conversations ({result['events']} events): indexed in {result['index_s']} s")
    for name, figures in result["views"].items():
        print(f"  {name:45} p50 {figures['p50_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms")
    print(f"worst inbox p50 {result['worst_p50_ms']} ms ({'within' if result['within_300ms'] else 'over'} 300 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
