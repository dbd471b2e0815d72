"""Ledger size: import time of N accounts into a fresh SQLite file, and look-up latency by account id."""
from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Dict, List, Optional

from actions.ledger import AccountRepository
from commands.import_accounts import import_accounts

HEADER = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed,"
          "broken_promises,language,email,phone\n")
FIRST = ["Maria", "James", "Aisha", "Chen", "Peter", "Grace", "Olivia", "Rahul", "Sofia", "Tom", "Hannah",
         "Lucas", "Emma", "Kwame", "Ana", "Daniel", "Fatima", "Liam", "Yuki", "Jordan"]
LAST = ["Lopez", "Oconnor", "Bello", "Wei", "Novak", "Mensah", "Brown", "Mehta", "Rossi", "Fischer",
        "Schmidt", "Martin", "Wilson", "Asante", "Pereira", "Kim", "Haddad", "Walsh", "Tanaka", "Avery"]
CURRENCIES = ["USD", "EUR", "GBP"]


def account_id(n: int) -> str:
    return f"BX-{n:07d}"


def write_ledger_csv(path: Path, rows: int, seed: int = 2026) -> Path:
    """A synthetic ledger of ``rows`` valid accounts, written fast with plain string formatting."""
    rng = random.Random(seed)
    base_dob, base_due = date(1950, 1, 1), date(2026, 11, 22)
    with open(path, "w", newline="") as out:
        out.write(HEADER)
        lines: List[str] = []
        for n in range(rows):
            first, last = FIRST[n % 20], LAST[(n // 20) % 20]
            dob = base_dob + timedelta(days=rng.randrange(18000))
            due = base_due - timedelta(days=rng.randrange(400))
            cents = rng.randrange(1000, 2_000_000)
            lines.append(f"{account_id(n)},{first} {last},{dob.isoformat()},{cents // 100}.{cents % 100:02d},"
                         f"{CURRENCIES[n % 3]},{due.isoformat()},{'true' if n % 4 == 0 else 'false'},"
                         f"{n % 3},en,{first.lower()}.{n}@example.com,\n")
            if len(lines) >= 10_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))
    return path


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def measure_size(rows: int, lookups: int, repeats: int, workdir: Path,
                 log: Callable[[str], None] = print) -> Dict:
    """One import (single run: a fresh 1M-row import is too long to repeat) and ``repeats`` look-up rounds."""
    csv_path = workdir / f"ledger-{rows}.csv"
    started = time.perf_counter()
    write_ledger_csv(csv_path, rows)
    csv_seconds = time.perf_counter() - started
    db_path = workdir / f"accounts-{rows}.db"
    repository = AccountRepository(f"sqlite:///{db_path}")
    rss_before = _self_memory_mb("VmRSS")
    started = time.perf_counter()
    with open(csv_path, newline="") as handle:
        result = import_accounts(handle, repository)
    import_seconds = time.perf_counter() - started
    peak_after = _self_memory_mb("VmHWM")
    assert result["rows"] == rows and repository.count() == rows, result
    log(f"    {rows:>9,} accounts imported in {import_seconds:.1f} s ({rows / import_seconds:,.0f} rows/s)")
    rng = random.Random(rows)
    rounds = []
    for _ in range(repeats):
        ids = [account_id(rng.randrange(rows)) for _ in range(lookups)]
        timings = []
        for ident in ids:
            t0 = time.perf_counter()
            account = repository.get(ident)
            timings.append(time.perf_counter() - t0)
            assert account is not None and account.account_id == ident
        rounds.append({"p50_ms": statistics.median(timings) * 1000, "p95_ms": _percentile(timings, 95) * 1000})
    missing_t0 = time.perf_counter()
    assert repository.get("BX-NOPE") is None
    missing_ms = (time.perf_counter() - missing_t0) * 1000
    plan = _query_plan(repository)
    repository.engine.dispose()
    size_mb = db_path.stat().st_size / 1e6
    csv_path.unlink()
    db_path.unlink()
    figures = {
        "rows": rows, "csv_generation_s": round(csv_seconds, 2), "import_s": round(import_seconds, 2),
        "import_rows_per_s": round(rows / import_seconds), "db_size_mb": round(size_mb, 1),
        "lookups_per_round": lookups, "rounds": repeats,
        "lookup_p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 4),
        "lookup_p95_ms": round(statistics.median(r["p95_ms"] for r in rounds), 4),
        "lookup_rounds": [{k: round(v, 4) for k, v in r.items()} for r in rounds],
        "missing_id_lookup_ms": round(missing_ms, 4), "query_plan": plan,
        # import_accounts validates the whole file in memory first: how far did this process's peak RSS reach?
        "rss_before_import_mb": rss_before, "peak_rss_after_import_mb": peak_after,
    }
    log(f"    look-up p50 {figures['lookup_p50_ms']:.3f} ms, p95 {figures['lookup_p95_ms']:.3f} ms "
        f"(median of {repeats} rounds x {lookups})")
    return figures


def _self_memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _query_plan(repository: AccountRepository) -> str:
    with repository.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM accounts WHERE account_id = 'BX-0000001'").fetchall()
    return "; ".join(str(r[-1]) for r in rows)


def run(sizes: List[int], lookups: int = 2000, repeats: int = 3, log: Callable[[str], None] = print,
        workdir: Optional[Path] = None) -> Dict:
    with tempfile.TemporaryDirectory(prefix="bench-ledger-", dir=workdir) as tmp:
        results = [measure_size(rows, lookups, repeats, Path(tmp), log) for rows in sizes]
    smallest, largest = results[0], results[-1]
    return {
        "sizes": results,
        "lookup_p50_ratio_largest_smallest": round(largest["lookup_p50_ms"] / smallest["lookup_p50_ms"], 3),
        "lookup_uses_primary_key": all("USING INDEX" in r["query_plan"] or "PRIMARY KEY" in r["query_plan"]
                                       for r in results),
    }
