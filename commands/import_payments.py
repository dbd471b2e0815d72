"""CSV import of payments received (account_id, amount, paid_on): validated whole, all or nothing.

    python -m commands.import_payments path/to/payments.csv
"""
from __future__ import annotations

import sys
from typing import Dict, Optional, Sequence, TextIO

from actions.clock import today
from actions.account_reference import AccountReferenceFormat
from actions.creditor import load_creditor
from actions.outcome_store import OutcomeStore, Payment
from commands.csv_records import LedgerImportError, parse_account_id, parse_iso_date, parse_money, read_csv_records

REQUIRED_COLUMNS = ["account_id", "amount", "paid_on"]


def parse_payment(record: Dict[str, str], references: AccountReferenceFormat) -> Payment:
    for column in REQUIRED_COLUMNS:
        if not record.get(column):
            raise ValueError(f"{column} is empty")
    amount = parse_money(record["amount"], "amount")
    if amount == 0:
        raise ValueError("amount must be above 0")
    paid_on = parse_iso_date(record["paid_on"], "paid_on")
    if paid_on > today():
        raise ValueError(f"paid_on {paid_on.isoformat()} is in the future")
    return Payment(parse_account_id(record["account_id"], references), amount, paid_on)


def import_payments(handle: TextIO, store: OutcomeStore) -> int:
    references = load_creditor().account_reference
    payments = read_csv_records(handle, REQUIRED_COLUMNS, {}, lambda record: parse_payment(record, references))
    try:
        return store.import_payments(payments, today())
    except ValueError as exc:
        raise LedgerImportError([f"{exc}; nothing imported"]) from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m commands.import_payments PAYMENTS.csv", file=sys.stderr)
        return 2
    try:
        with open(args[0], newline="", encoding="utf-8-sig") as handle:
            count = import_payments(handle, OutcomeStore())
    except FileNotFoundError:
        print(f"{args[0]}: no such file", file=sys.stderr)
        return 1
    except (LedgerImportError, UnicodeDecodeError) as exc:
        print(f"{args[0]}: {exc}", file=sys.stderr)
        return 1
    print(f"{args[0]}: {count} payments recorded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
