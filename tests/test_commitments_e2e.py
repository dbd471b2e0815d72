"""Commitments over the real REST webhook, recorded in the real database and exported as CSV."""
import csv
import os
import subprocess
import sys
import uuid

from tests.conftest import ROOT
from tests.test_conversation_e2e import texts


def verified_sender(stack, reference="AC-10023", born="12 April 1980"):
    sender = f"c3-{uuid.uuid4().hex[:12]}"
    stack.say(sender, "hi")
    stack.say(sender, f"my account is {reference}")
    assert "you're verified" in texts(stack.say(sender, born))
    return sender


def export_rows(stack, tmp_path):
    out = tmp_path / "outcomes.csv"
    subprocess.run([sys.executable, "-m", "commands.export_outcomes", str(out)], cwd=ROOT, check=True,
                   env={**os.environ, "ACCOUNTS_DB_URL": stack.db_url})
    with open(out, newline="") as handle:
        return {row["conversation_id"]: row for row in csv.DictReader(handle)}


def test_a_promise_made_in_conversation_is_read_back_recorded_and_exported(stack, tmp_path):
    sender = verified_sender(stack)
    stack.say(sender, "I'll pay next month")
    read_back = texts(stack.say(sender, "I can pay 300 on Friday"))
    assert "So: 300.00 USD on Friday 27 November. Shall I note that?" in read_back
    assert stack.slots(sender)["outcome"] in (None, "NO_COMMITMENT")
    changed = texts(stack.say(sender, "no, make it Monday"))
    assert "300.00 USD on Monday 23 November" in changed
    recorded = texts(stack.say(sender, "yes"))
    assert "I've noted 300.00 USD on Monday 23 November" in recorded
    slots = stack.slots(sender)
    assert (slots["outcome"], slots["promise_date"], slots["promise_amount"]) == ("PROMISE_TO_PAY", "2026-11-23", 300.0)
    row = export_rows(stack, tmp_path)[sender]
    assert (row["account_id"], row["outcome"], row["promise_date"], row["promise_amount"]) == (
        "AC-10023", "PROMISE_TO_PAY", "2026-11-23", "300.00")
    assert row["max_tone"] == "gentle" and row["objections"] == "objection_next_month"


def test_a_promise_beyond_the_limit_gets_a_counter_proposal(stack):
    sender = verified_sender(stack)
    reply = texts(stack.say(sender, "I promise to pay all of it on 20/03/2027"))
    assert "nearest I can offer" in reply and "1,250.00 USD on Tuesday 22 December" in reply


def test_an_instalment_plan_adds_up_and_can_be_lengthened(stack):
    sender = verified_sender(stack)
    plan = texts(stack.say(sender, "can I pay in instalments?"))
    assert "plan over 3 month(s)" in plan and "416.68 USD on Sunday 29 November" in plan
    longer = texts(stack.say(sender, "make it 5 months"))
    assert "plan over 5 month(s)" in longer and longer.count("250.00 USD on") == 5
    assert "Your plan is set up: 5 payments" in texts(stack.say(sender, "yes"))
    assert stack.slots(sender)["outcome"] == "PAYMENT_PLAN"


def test_a_part_payment_then_the_rest(stack):
    sender = verified_sender(stack, "AC-10001", "14/06/1985")
    reply = texts(stack.say(sender, "I can pay 100 now and the rest later"))
    assert "100.00 USD on Sunday 22 November as a part payment" in reply and "remaining 320.00 USD" in reply
    asked = texts(stack.say(sender, "yes"))
    assert "When will the remaining 320.00 USD follow?" in asked
    rest = texts(stack.say(sender, "end of the month"))
    assert "the remaining 320.00 USD on Monday 30 November" in rest
    stack.say(sender, "yes")
    assert stack.slots(sender)["outcome"] == "PARTIAL_PAYMENT"


def test_pay_now_gives_instructions_and_records_it(stack):
    sender = verified_sender(stack, "AC-10003", "29 February 1992")
    reply = texts(stack.say(sender, "ok I'll pay it now"))
    assert "sort code" in reply and "89.99 GBP" in reply
    assert stack.slots(sender)["outcome"] == "PAY_NOW"


def test_each_ending_is_recorded_with_one_code(stack, tmp_path):
    endings = {}
    sender = verified_sender(stack)
    stack.say(sender, "I'm not paying you anything")
    endings[sender] = "REFUSED"
    sender = verified_sender(stack)
    stack.say(sender, "stop contacting me")
    endings[sender] = "CEASE_CONTACT"
    sender = verified_sender(stack)
    stack.say(sender, "I want to talk to a human")
    endings[sender] = "HUMAN_HANDOFF"
    sender = verified_sender(stack)
    stack.say(sender, "thanks, bye")
    endings[sender] = "NO_COMMITMENT"
    sender = f"c3-{uuid.uuid4().hex[:12]}"
    stack.say(sender, "hi")
    stack.say(sender, "AC-10005")
    for wrong in ("01/01/1970", "02/02/1971", "03/03/1972"):
        stack.say(sender, wrong)
    endings[sender] = "VERIFICATION_FAILED"
    rows = export_rows(stack, tmp_path)
    for conversation, code in endings.items():
        assert rows[conversation]["outcome"] == code, conversation
    assert rows[sender]["account_id"] == "AC-10005"
