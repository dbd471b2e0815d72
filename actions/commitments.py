"""Commitment policy (``policy/commitments.yml``): limits on promises, and instalment plan arithmetic."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Dict, List, Optional, Tuple

from dateutil.relativedelta import relativedelta

from actions.policy_files import load_policy, require

SOURCE = "policy/commitments.yml"
# The outcome codes the actions themselves record; the stops add their flags (policy/compliance.yml).
# The one list of every code, in precedence order, is outcome_precedence in policy/commitments.yml.
ACTION_OUTCOMES = ("PROMISE_TO_PAY", "PAYMENT_PLAN", "PARTIAL_PAYMENT", "PAY_NOW", "HUMAN_HANDOFF",
                   "VERIFICATION_FAILED", "NO_COMMITMENT")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Instalment:
    due: date
    amount: Decimal


@dataclass(frozen=True)
class PromiseCheck:
    amount: Decimal
    due: date
    adjusted: Tuple[str, ...]  # which terms were moved into the limits: "date", "amount"


class CommitmentPolicy:
    def __init__(self, data: Dict[str, Any]):
        promise, plan = data["promise_to_pay"], data["instalment_plan"]
        self.max_days_ahead = int(promise["max_days_ahead"])
        self.min_percent = Decimal(str(promise["minimum_amount"]["percent_of_balance"]))
        self.min_absolute = Decimal(str(promise["minimum_amount"]["at_least"]))
        self.first_payment_within_days = int(plan["first_payment_within_days"])
        self.default_months = int(plan["default_months"])
        self.max_months = int(plan["max_months"])
        self.minimum_instalment = Decimal(str(plan["minimum_instalment"]))
        self.precedence: List[str] = list(data["outcome_precedence"])
        self.warning_requests = int(data["warning_sign"]["requests_for_time_at_least"])
        self.warning_days = int(data["warning_sign"]["within_days"])

    @classmethod
    def from_yaml(cls, data: Optional[Dict[str, Any]] = None) -> "CommitmentPolicy":
        data = load_policy("commitments.yml") if data is None else data
        try:
            policy = cls(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            require(False, SOURCE, f"missing or malformed setting: {exc}")
        require(policy.max_days_ahead >= 1, SOURCE, "promise_to_pay.max_days_ahead must be 1 or more")
        require(Decimal(0) < policy.min_percent <= 100, SOURCE, "percent_of_balance must be between 0 and 100")
        require(1 <= policy.default_months <= policy.max_months, SOURCE,
                "default_months must be between 1 and max_months")
        require(policy.minimum_instalment > 0, SOURCE, "minimum_instalment must be above 0")
        require(all(isinstance(c, str) and c for c in policy.precedence)
                and len(set(policy.precedence)) == len(policy.precedence), SOURCE,
                "outcome_precedence must list each outcome code once")
        missing = [c for c in ACTION_OUTCOMES if c not in policy.precedence]
        require(not missing, SOURCE, f"outcome_precedence lacks the code(s) the assistant records: {', '.join(missing)}")
        return policy

    def minimum_amount(self, balance: Decimal) -> Decimal:
        floor = max((balance * self.min_percent / 100).quantize(CENT), self.min_absolute)
        return min(floor, balance)

    def latest_date(self, today: date) -> date:
        return today + timedelta(days=self.max_days_ahead)

    def check_promise(self, amount: Decimal, due: date, balance: Decimal, today: date) -> PromiseCheck:
        """The promise moved inside the limits where needed (a counter-proposal), never refused."""
        adjusted = []
        if due > self.latest_date(today):
            due, _ = self.latest_date(today), adjusted.append("date")
        if due < today:
            due, _ = today, adjusted.append("date")
        if amount < self.minimum_amount(balance):
            amount, _ = self.minimum_amount(balance), adjusted.append("amount")
        if amount > balance:
            amount, _ = balance, adjusted.append("amount")
        return PromiseCheck(amount.quantize(CENT), due, tuple(adjusted))

    def plan_months(self, requested: Optional[int], balance: Decimal) -> int:
        """Requested months held within 1..max_months and the minimum instalment."""
        months = self.default_months if requested is None else requested
        affordable = int((balance / self.minimum_instalment).to_integral_value(rounding=ROUND_DOWN)) or 1
        return max(1, min(months, self.max_months, affordable))

    def plan_schedule(self, balance: Decimal, months: int, today: date) -> List[Instalment]:
        """Equal monthly instalments, the first within the policy's days; the cents left over go on the
        first instalment so that the schedule adds up to the balance exactly."""
        cents = int((balance * 100).to_integral_value())
        base, remainder = divmod(cents, months)
        first_due = today + timedelta(days=self.first_payment_within_days)
        return [Instalment(first_due + relativedelta(months=i),
                           (Decimal(base + (remainder if i == 0 else 0)) / 100).quantize(CENT))
                for i in range(months)]

    def stronger(self, current: Optional[str], new: str) -> str:
        """Of two outcome codes, the one the conversation keeps."""
        if current not in self.precedence:
            return new
        return new if self.precedence.index(new) <= self.precedence.index(current) else current


# Every outcome code, in precedence order (policy/commitments.yml outcome_precedence).
OUTCOME_CODES: Tuple[str, ...] = tuple(load_policy("commitments.yml").get("outcome_precedence") or ())
