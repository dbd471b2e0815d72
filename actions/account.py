"""The debtor's account as the collections logic sees it, and how its facts are written out. No database here."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Optional

from actions import language as language_module


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


# Written in the conversation's language (actions/language.py), or in ``language`` when given.
def format_money(amount: Decimal, currency: str, language: Optional[str] = None) -> str:
    return language_module.money(amount, currency, language)


def format_date(day: date, language: Optional[str] = None) -> str:
    return language_module.long_date(day, language)


def describe_overdue(account: Account, today: date, language: Optional[str] = None) -> str:
    return language_module.overdue(account.days_overdue(today), account.due_date, today, language)
