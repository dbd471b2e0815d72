"""The demo ledger for ``make run`` / ``make demo-ledger``: 20 fictional accounts, due dates relative to today.

``demo/accounts.csv`` says how many days overdue each fictional account is; this turns that into a
``due_date`` so that "barely late" stays barely late whenever the demo is run.

The accounts go only into the default SQLite ledger (``ACCOUNTS_DB_URL`` unset), or into the database named
explicitly by ``DEMO_DB_URL``; with any other ``ACCOUNTS_DB_URL`` nothing is imported, and it says so.

    python -m demo.demo_ledger [CSV_OUT]
"""
import csv
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sqlalchemy.engine import make_url  # noqa: E402

from actions.clock import today  # noqa: E402
from actions.models import DEFAULT_DB_URL  # noqa: E402

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


def demo_target(environ: Dict[str, str]) -> Optional[str]:
    """Where the demo accounts may go: DEMO_DB_URL if given, the default ledger, or nowhere (None)."""
    explicit = environ.get("DEMO_DB_URL", "").strip()
    if explicit:
        return explicit
    configured = environ.get("ACCOUNTS_DB_URL", "").strip()
    return DEFAULT_DB_URL if configured in ("", DEFAULT_DB_URL) else None


def main(argv=None, environ=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    environ = dict(os.environ if environ is None else environ)
    out = args[0] if args else "var/demo-ledger.csv"
    target = demo_target(environ)
    if target is None:
        shown = make_url(environ["ACCOUNTS_DB_URL"]).render_as_string(hide_password=True)
        print(f"Demo ledger skipped: ACCOUNTS_DB_URL names another database ({shown}), so the 20 fictional "
              f"demo accounts are not loaded into it. To load them somewhere on purpose: "
              f"make demo-ledger DEMO_DB_URL=<url>")
        return 0
    from actions.ledger import AccountRepository
    from commands.import_accounts import main as import_main
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    print(f"{out}: {write_demo_ledger(out, today())} demo accounts")
    os.environ["ACCOUNTS_DB_URL"] = AccountRepository(target).url
    return import_main([out])


if __name__ == "__main__":
    sys.exit(main())
