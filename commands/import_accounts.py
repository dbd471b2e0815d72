"""CSV import of the accounts ledger: validated whole, then applied in one transaction.

    python -m commands.import_accounts path/to/ledger.csv
"""
from __future__ import annotations

import sys
from typing import Dict, Optional, Sequence, TextIO

from actions.account import Account
from actions.account_reference import AccountReferenceFormat
from actions.creditor import load_creditor
from actions.ledger import AccountRepository
from commands.csv_records import (
    LedgerImportError, parse_account_id, parse_bool, parse_iso_date, parse_money, read_csv_records,
)

REQUIRED_COLUMNS = ["account_id", "full_name", "date_of_birth", "balance", "currency", "due_date",
                    "legal_action_allowed"]
OPTIONAL_COLUMNS = {"broken_promises": "0", "language": "en", "email": "", "phone": ""}


def parse_account(record: Dict[str, str], references: AccountReferenceFormat) -> Account:
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
        account_id=parse_account_id(record["account_id"], references),
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


def import_accounts(handle: TextIO, repository: AccountRepository,
                    references: Optional[AccountReferenceFormat] = None) -> Dict[str, int]:
    """Validates the whole file (ids against ``policy/creditor.yml`` unless ``references`` is given), then upserts."""
    references = references or load_creditor().account_reference
    accounts = read_csv_records(handle, REQUIRED_COLUMNS, OPTIONAL_COLUMNS,
                                lambda record: parse_account(record, references), key="account_id")
    with repository.session() as session, session.begin():
        changed = repository.upsert_many(accounts, session)
    return {"rows": len(accounts), "changed": changed}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m commands.import_accounts LEDGER.csv", file=sys.stderr)
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
