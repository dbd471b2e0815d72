"""Writes the demo ledger CSV with due dates relative to today, for ``make demo-ledger``.

``demo/accounts.csv`` says how many days overdue each fictional account is; this turns that into a
``due_date`` so that "barely late" stays barely late whenever the demo is run.
"""
import csv
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from actions.clock import today  # noqa: E402

TEMPLATE = Path(__file__).with_name("accounts.csv")


def write_demo_ledger(out_path: str, today: date) -> int:
    with open(TEMPLATE, newline="") as src, open(out_path, "w", newline="") as dst:
        reader = csv.DictReader(src)
        fields = [f if f != "days_overdue" else "due_date" for f in reader.fieldnames]
        writer = csv.DictWriter(dst, fieldnames=fields)
        writer.writeheader()
        rows = 0
        for row in reader:
            row["due_date"] = (today - timedelta(days=int(row.pop("days_overdue")))).isoformat()
            writer.writerow(row)
            rows += 1
    return rows


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "var/demo-ledger.csv"
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    print(f"{out}: {write_demo_ledger(out, today())} demo accounts")
