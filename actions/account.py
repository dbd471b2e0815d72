"""The debtor's account as the collections logic sees it, and how its facts are written out. No database here."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Optional


@dataclass(frozen=True)
class Account:
    account_id: str
    full_name: str
    date_of_birth: date
    balance: Decimal
    currency: str
    due_date: date
    legal_action_allowed: bool
    broken_promises: int = 0
    language: str = "en"
    email: Optional[str] = None
    phone: Optional[str] = None

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_date).days)


ACCOUNT_FIELDS = [f.name for f in fields(Account)]


def format_money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def format_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def describe_overdue(account: Account, today: date) -> str:
    days = account.days_overdue(today)
    if days == 0:
        return "due today" if account.due_date == today else f"due on {format_date(account.due_date)}"
    return f"{days} day{'s' if days != 1 else ''} overdue"
