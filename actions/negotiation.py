"""Negotiating a commitment: merge what the debtor said into a draft, then decide what to say next.

Pure logic; the Rasa actions keep the draft in slots and send the message this returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Dict, List, Optional

from actions.commitments import CommitmentPolicy, Instalment
from actions.payment_terms import parse_amount, parse_months, parse_payment_date
from actions.account import format_money
from actions.language import schedule_line, weekday_date

KINDS = ("promise", "plan", "partial", "rest")
OUTCOME_FOR_KIND = {"promise": "PROMISE_TO_PAY", "plan": "PAYMENT_PLAN", "partial": "PARTIAL_PAYMENT",
                    "rest": "PARTIAL_PAYMENT"}


def format_day(day: date, today: date) -> str:
    """The weekday and date, in the conversation's language (the year only when it is not this year's)."""
    return weekday_date(day, today)


@dataclass(frozen=True)
class Draft:
    kind: str = "promise"
    due: Optional[date] = None
    amount: Optional[Decimal] = None
    months: Optional[int] = None

    def merged_with(self, text: str, today: date, balance: Decimal) -> "Draft":
        """The draft with whatever date, amount or number of months ``text`` gives."""
        months = parse_months(text) if self.kind == "plan" else None
        due = parse_payment_date(text, today)
        amount = parse_amount(text, balance) if self.kind != "rest" else None
        return replace(self, due=due or self.due, amount=amount or self.amount,
                       months=months or self.months)


@dataclass
class NextStep:
    """What to say (message keys with their values), and the draft to keep for a yes."""
    messages: List[Dict] = field(default_factory=list)
    draft: Optional[Draft] = None
    ready: bool = False  # a read-back is waiting for the debtor's yes
    schedule: List[Instalment] = field(default_factory=list)


def next_step(draft: Draft, policy: CommitmentPolicy, balance: Decimal, currency: str, today: date) -> NextStep:
    money = lambda value: format_money(value, currency)  # noqa: E731
    step = NextStep()
    if draft.kind == "plan":
        months = policy.plan_months(draft.months, balance)
        if draft.months is not None and months != draft.months:
            step.messages.append({"key": "plan_adjusted", "max_months": policy.max_months,
                                  "minimum_instalment": money(policy.minimum_instalment)})
        schedule = policy.plan_schedule(balance, months, today)
        lines = "\n".join(schedule_line(money(i.amount), format_day(i.due, today)) for i in schedule)
        step.messages.append({"key": "plan_read_back", "months": months, "schedule": lines,
                              "balance": money(balance), "max_months": policy.max_months})
        step.draft, step.ready, step.schedule = replace(draft, months=months), True, schedule
        return step

    if draft.kind == "partial":
        if draft.amount is None:
            step.messages.append({"key": "ask_partial_amount", "balance": money(balance)})
            step.draft = draft
            return step
        if draft.amount >= balance:
            return next_step(replace(draft, kind="promise"), policy, balance, currency, today)
        due = draft.due or today
        amount = max(draft.amount, min(policy.min_absolute, balance))
        if due > policy.latest_date(today) or amount != draft.amount:
            due = min(due, policy.latest_date(today))
            step.messages.append({"key": "promise_adjusted", "latest_date": format_day(policy.latest_date(today), today),
                                  "minimum": money(min(policy.min_absolute, balance))})
        step.messages.append({"key": "partial_read_back", "amount": money(amount), "date": format_day(due, today),
                              "rest": money(balance - amount)})
        step.draft, step.ready = replace(draft, due=due, amount=amount), True
        step.schedule = [Instalment(due, amount)]
        return step

    if draft.due is None:
        step.messages.append({"key": "ask_promise_date", "latest_date": format_day(policy.latest_date(today), today)})
        step.draft = draft
        return step
    if draft.kind == "rest":
        amount, due = balance, min(max(draft.due, today), policy.latest_date(today))
        if due != draft.due:
            step.messages.append({"key": "promise_adjusted", "latest_date": format_day(policy.latest_date(today), today),
                                  "minimum": money(balance)})
        step.messages.append({"key": "rest_read_back", "amount": money(amount), "date": format_day(due, today)})
    else:
        checked = policy.check_promise(draft.amount or balance, draft.due, balance, today)
        amount, due = checked.amount, checked.due
        if checked.adjusted:
            step.messages.append({"key": "promise_adjusted", "latest_date": format_day(policy.latest_date(today), today),
                                  "minimum": money(policy.minimum_amount(balance))})
        step.messages.append({"key": "promise_read_back", "amount": money(amount), "date": format_day(due, today)})
    step.draft, step.ready = replace(draft, due=due, amount=amount), True
    step.schedule = [Instalment(due, amount)]
    return step
