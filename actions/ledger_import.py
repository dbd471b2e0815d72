"""CSV import of the accounts ledger: validated whole, then applied in one transaction.

    python -m actions.ledger_import path/to/ledger.csv
"""
from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Callable, Dict, Iterator, List, Optional, Sequence, TextIO

from actions.ledger import Account, AccountRepository

REQUIRED_COLUMNS = ["account_id", "full_name", "date_of_birth", "balance", "currency", "due_date",
                    "legal_action_allowed"]
OPTIONAL_COLUMNS = {"broken_promises": "0", "language": "en", "email": "", "phone": ""}
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0"}


class LedgerImportError(ValueError):
    """The file was rejected; nothing was imported. ``problems`` lists each 'line N: ...' message."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:20]
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__("file rejected, nothing imported:\n" + "\n".join(shown) + more)


def parse_iso_date(text: str, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} '{text}' is not a date in YYYY-MM-DD form") from None


def parse_money(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} '{text}' is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{column} '{text}' must be a number of 0 or more")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{column} '{text}' has more than 2 decimal places")
    return value.quantize(Decimal("0.01"))


def parse_bool(text: str, column: str) -> bool:
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError(f"{column} '{text}' must be true or false")


def parse_account(record: Dict[str, str]) -> Account:
    for column in REQUIRED_COLUMNS:
        if not record.get(column):
            raise ValueError(f"{column} is empty")
    currency = record["currency"].upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"currency '{record['currency']}' must be a 3-letter code such as USD")
    try:
        broken = int(record["broken_promises"] or 0)
    except ValueError:
        raise ValueError(f"broken_promises '{record['broken_promises']}' is not a whole number") from None
    if broken < 0:
        raise ValueError("broken_promises must not be negative")
    return Account(
        account_id=record["account_id"].upper(),
        full_name=record["full_name"],
        date_of_birth=parse_iso_date(record["date_of_birth"], "date_of_birth"),
        balance=parse_money(record["balance"], "balance"),
        currency=currency,
        due_date=parse_iso_date(record["due_date"], "due_date"),
        legal_action_allowed=parse_bool(record["legal_action_allowed"], "legal_action_allowed"),
        broken_promises=broken,
        language=record["language"] or "en",
        email=record["email"] or None,
        phone=record["phone"] or None,
    )


def read_csv_records(handle: TextIO, required: Sequence[str], optional: Dict[str, str],
                     parse: Callable[[Dict[str, str]], object], key: Optional[str] = None) -> List:
    """Parses every row or raises ``LedgerImportError`` listing each bad line. Shared by every CSV import."""
    reader = csv.reader(handle)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise LedgerImportError(["line 1: the file is empty; expected a header row"]) from None
    except csv.Error as exc:
        raise LedgerImportError([f"line 1: unreadable CSV: {exc}"]) from None
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    problems = []
    if missing:
        problems.append(f"line 1: missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"line 1: unknown column(s): {', '.join(unknown)}")
    if problems:
        raise LedgerImportError(problems)
    parsed, seen = [], {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append(f"line {line}: expected {len(header)} fields, found {len(values)}")
                continue
            record = {**optional, **{h: v.strip() for h, v in zip(header, values)}}
            try:
                item = parse(record)
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            if key:
                ident = getattr(item, key)
                if ident in seen:
                    problems.append(f"line {line}: {key} {ident} already appears on line {seen[ident]}")
                    continue
                seen[ident] = line
            parsed.append(item)
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: unreadable CSV: {exc}")
    if problems:
        raise LedgerImportError(problems)
    return parsed


def import_accounts(handle: TextIO, repository: AccountRepository) -> Dict[str, int]:
    accounts = read_csv_records(handle, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, parse_account, key="account_id")
    with repository.session() as session, session.begin():
        changed = repository.upsert_many(accounts, session)
    return {"rows": len(accounts), "changed": changed}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m actions.ledger_import LEDGER.csv", file=sys.stderr)
        return 2
    repository = AccountRepository()
    try:
        with open(args[0], newline="", encoding="utf-8-sig") as handle:
            result = import_accounts(handle, repository)
    except FileNotFoundError:
        print(f"{args[0]}: no such file", file=sys.stderr)
        return 1
    except UnicodeDecodeError as exc:
        print(f"{args[0]}: file rejected, nothing imported: not UTF-8 text ({exc.reason})", file=sys.stderr)
        return 1
    except LedgerImportError as exc:
        print(f"{args[0]}: {exc}", file=sys.stderr)
        return 1
    print(f"{args[0]}: {result['rows']} accounts read, {result['changed']} added or changed "
          f"({repository.count()} in the ledger at {repository.engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
