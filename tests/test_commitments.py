import copy
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from actions.commitments import CommitmentPolicy, Instalment
from commands.csv_records import LedgerImportError
from actions.negotiation import Draft, next_step
from actions.outcome_store import ConversationOutcome, OutcomeStore
from commands.import_payments import import_payments
from actions.policy_files import PolicyError, load_policy

TODAY = date(2026, 11, 22)
POLICY = CommitmentPolicy.from_yaml()


def test_a_promise_within_the_limits_is_kept_as_asked():
    checked = POLICY.check_promise(Decimal("300"), TODAY + timedelta(days=5), Decimal("1250"), TODAY)
    assert (checked.amount, checked.due, checked.adjusted) == (Decimal("300.00"), TODAY + timedelta(days=5), ())


def test_a_promise_too_far_ahead_gets_the_latest_allowed_date():
    checked = POLICY.check_promise(Decimal("300"), TODAY + timedelta(days=90), Decimal("1250"), TODAY)
    assert checked.due == TODAY + timedelta(days=POLICY.max_days_ahead) and checked.adjusted == ("date",)


def test_a_promise_too_small_gets_the_minimum_amount():
    checked = POLICY.check_promise(Decimal("5"), TODAY + timedelta(days=3), Decimal("1250"), TODAY)
    assert checked.amount == Decimal("250.00") and checked.adjusted == ("amount",)
    assert POLICY.minimum_amount(Decimal("30")) == Decimal("10.00")
    assert POLICY.minimum_amount(Decimal("8")) == Decimal("8")


def test_a_counter_proposal_is_read_back_never_a_refusal():
    step = next_step(Draft(due=TODAY + timedelta(days=60), amount=Decimal("300")), POLICY, Decimal("1250"), "USD", TODAY)
    keys = [m["key"] for m in step.messages]
    assert keys == ["promise_adjusted", "promise_read_back"] and step.ready
    assert step.messages[1]["date"] == "Tuesday 22 December" and step.messages[1]["amount"] == "300.00 USD"


@pytest.mark.parametrize("balance, months", [
    ("1250.00", 3), ("100.00", 3), ("1000.01", 6), ("99.99", 4), ("0.07", 1), ("12345.67", 6), ("10.00", 1)])
def test_plan_instalments_add_up_to_the_balance_exactly(balance, months):
    balance = Decimal(balance)
    schedule = POLICY.plan_schedule(balance, months, TODAY)
    assert len(schedule) == months
    assert sum(i.amount for i in schedule) == balance
    assert max(i.amount for i in schedule) - min(i.amount for i in schedule) < Decimal("0.01") * months + Decimal("0.01")


def test_plan_dates_start_within_the_first_payment_window_and_go_monthly():
    schedule = POLICY.plan_schedule(Decimal("1250"), 3, TODAY)
    assert [i.due for i in schedule] == [date(2026, 11, 29), date(2026, 12, 29), date(2027, 1, 29)]


def test_plan_months_stay_within_the_limits():
    assert POLICY.plan_months(None, Decimal("1250")) == POLICY.default_months
    assert POLICY.plan_months(24, Decimal("1250")) == POLICY.max_months
    assert POLICY.plan_months(6, Decimal("60")) == 2  # minimum instalment 25.00
    assert POLICY.plan_months(0, Decimal("1250")) == 1


def test_outcome_precedence_keeps_the_strongest_code():
    assert POLICY.stronger(None, "NO_COMMITMENT") == "NO_COMMITMENT"
    assert POLICY.stronger("PROMISE_TO_PAY", "HUMAN_HANDOFF") == "PROMISE_TO_PAY"
    assert POLICY.stronger("PROMISE_TO_PAY", "DISPUTE") == "DISPUTE"
    assert POLICY.stronger("REFUSED", "PAYMENT_PLAN") == "PAYMENT_PLAN"


def test_mistakes_in_the_commitment_policy_fail_loudly():
    data = copy.deepcopy(load_policy("commitments.yml"))
    data["outcome_precedence"].remove("PAY_NOW")
    with pytest.raises(PolicyError, match="outcome_precedence lacks the code.*PAY_NOW"):
        CommitmentPolicy.from_yaml(data)
    data = copy.deepcopy(load_policy("commitments.yml"))
    data["outcome_precedence"].append("DISPUTE")
    with pytest.raises(PolicyError, match="outcome_precedence must list each outcome code once"):
        CommitmentPolicy.from_yaml(data)
    data = copy.deepcopy(load_policy("commitments.yml"))
    del data["instalment_plan"]["max_months"]
    with pytest.raises(PolicyError, match="missing or malformed"):
        CommitmentPolicy.from_yaml(data)


@pytest.fixture
def store(demo_repository, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_TODAY", TODAY.isoformat())
    return OutcomeStore(demo_repository.url)


def test_payments_import_lowers_the_balance_and_is_all_or_nothing(store, demo_repository):
    text = "account_id,amount,paid_on\nAC-10023,250.00,2026-11-20\nac-10001,20,2026-11-21\n"
    assert import_payments(io.StringIO(text), store) == 2
    assert demo_repository.get("AC-10023").balance == Decimal("1000.00")
    bad = "account_id,amount,paid_on\nAC-10023,1.00,2026-11-20\nAC-10023,abc,2026-11-20\n"
    with pytest.raises(LedgerImportError, match="line 3: amount 'abc' is not a number"):
        import_payments(io.StringIO(bad), store)
    unknown = "account_id,amount,paid_on\nAC-10023,1.00,2026-11-20\nAC-55555,1.00,2026-11-20\n"
    with pytest.raises(LedgerImportError, match="unknown account.*AC-55555"):
        import_payments(io.StringIO(unknown), store)
    future = "account_id,amount,paid_on\nAC-10023,1.00,2027-01-01\n"
    with pytest.raises(LedgerImportError, match="in the future"):
        import_payments(io.StringIO(future), store)
    assert demo_repository.get("AC-10023").balance == Decimal("1000.00")


def test_a_promise_past_its_date_without_enough_payment_becomes_broken(store, demo_repository):
    made = TODAY - timedelta(days=10)
    store.record_promises("AC-10001", "c1", "promise", [Instalment(TODAY - timedelta(days=2), Decimal("100"))], made)
    store.record_promises("AC-10002", "c2", "promise", [Instalment(TODAY - timedelta(days=2), Decimal("100"))], made)
    text = "account_id,amount,paid_on\nAC-10002,100.00,2026-11-19\nAC-10001,40.00,2026-11-19\n"
    import_payments(io.StringIO(text), store)
    assert [p.status for p in store.promises("AC-10001")] == ["broken"]
    assert [p.status for p in store.promises("AC-10002")] == ["kept"]
    assert demo_repository.get("AC-10001").broken_promises == 1
    assert demo_repository.get("AC-10002").broken_promises == 0
    assert store.settle_promises("AC-10001", TODAY) == 0  # counted once
    assert demo_repository.get("AC-10001").broken_promises == 1


def test_a_promise_still_in_the_future_stays_open(store):
    store.record_promises("AC-10003", "c3", "promise", [Instalment(TODAY + timedelta(days=3), Decimal("50"))], TODAY)
    assert store.settle_promises("AC-10003", TODAY) == 0
    assert [p.status for p in store.promises("AC-10003")] == ["open"]


def test_payments_are_thanked_for_once(store):
    import_payments(io.StringIO("account_id,amount,paid_on\nAC-10013,39.90,2026-11-21\n"), store)
    thanked = store.payments_to_thank("AC-10013")
    assert [(p.amount, p.paid_on) for p in thanked] == [(Decimal("39.90"), date(2026, 11, 21))]
    assert store.payments_to_thank("AC-10013") == []


def test_an_account_that_keeps_asking_for_time_is_flagged_once(store, demo_repository):
    for n in range(3):
        store.record_outcome(ConversationOutcome(f"w{n}", "AC-10018", "PROMISE_TO_PAY", TODAY, Decimal("10"),
                                                 "gentle", ["objection_next_month"]))
    assert store.check_warning_sign("AC-10018", TODAY, 3, 90) is True
    assert store.check_warning_sign("AC-10018", TODAY, 3, 90) is False
    assert demo_repository.flags("AC-10018") == ["WARNING_SIGN"]


def test_export_writes_the_agreed_columns(store):
    store.record_outcome(ConversationOutcome("conv-1", "AC-10023", "PROMISE_TO_PAY", date(2026, 11, 27),
                                             Decimal("300"), "firm", ["objection_next_month", "objection_no_job"]))
    out = io.StringIO()
    assert store.export_outcomes(out) == 1
    header, row = out.getvalue().splitlines()
    assert header == "conversation_id,account_id,outcome,promise_date,promise_amount,max_tone,objections,recorded_at,flags"
    assert row.startswith("conv-1,AC-10023,PROMISE_TO_PAY,2026-11-27,300.00,firm,objection_next_month;objection_no_job,")
