"""Reading CSV files for the import commands: every row validated, every bad line named, all or nothing."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Callable, Dict, List, Optional, Sequence, TextIO

from actions.account_reference import AccountReferenceFormat

TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0"}


class LedgerImportError(ValueError):
    """The file was rejected; nothing was imported. ``problems`` lists each 'line N: ...' message."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:20]
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__("file rejected, nothing imported:\n" + "\n".join(shown) + more)


def parse_account_id(text: str, references: AccountReferenceFormat, column: str = "account_id") -> str:
    """The canonical id ("ac900001" -> "AC-900001"), or a ValueError naming the configured shape."""
    account_id = references.normalise_id(text)
    if account_id is None:
        raise ValueError(f"{column} '{text}' is not an account reference ({references.description}; "
                         f"pattern in policy/creditor.yml)")
    return account_id


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
