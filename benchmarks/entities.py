"""Entity accuracy: payment dates and amounts from the labelled list in tests/data/entity_examples.yml."""
from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import yaml

from actions.payment_terms import parse_amount, parse_payment_date

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "data" / "entity_examples.yml"


def _score(rows: List[Dict]) -> Dict:
    correct = sum(r["ok"] for r in rows)
    return {"examples": len(rows), "correct": correct,
            "accuracy": round(correct / len(rows), 4) if rows else None,
            "errors": [{k: r[k] for k in ("text", "expected", "got")} for r in rows if not r["ok"]]}


def run(path: Path = EXAMPLES) -> Dict:
    spec = yaml.safe_load(path.read_text())
    today = date.fromisoformat(str(spec["today"]))
    balance = Decimal(str(spec["balance"]))
    started = time.perf_counter()
    dates = []
    for item in spec["dates"]:
        got = parse_payment_date(item["text"], today)
        expected = item["expected"]
        got_text = got.isoformat() if got else None
        dates.append({"text": item["text"], "expected": expected, "got": got_text,
                      "ok": got_text == (str(expected) if expected is not None else None)})
    amounts = []
    for item in spec["amounts"]:
        got = parse_amount(item["text"], balance)
        expected = item["expected"]
        ok = (got is None) if expected is None else (got is not None and got == Decimal(str(expected)))
        amounts.append({"text": item["text"], "expected": expected, "got": None if got is None else str(got),
                        "ok": ok})
    elapsed = time.perf_counter() - started
    return {"today": today.isoformat(), "balance": str(balance), "source": str(path.relative_to(ROOT)),
            "date": _score(dates), "amount": _score(amounts),
            "ms_per_example": round(elapsed * 1000 / max(1, len(dates) + len(amounts)), 3)}
