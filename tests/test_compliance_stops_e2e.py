"""Compliance stops and the send-time check over the real servers (the shared `stack`)."""
import io

from sqlalchemy import select

from actions.ledger import AccountRepository
from actions.models import AccountFlagRow
from commands.import_accounts import import_accounts
from tests.test_commitments_e2e import verified_sender
from tests.test_conversation_e2e import new_sender, texts


def flags_of(stack, sender):
    with AccountRepository(stack.db_url).session() as session:
        return [(f.flag, f.note) for f in session.scalars(
            select(AccountFlagRow).where(AccountFlagRow.conversation_id == sender).order_by(AccountFlagRow.id))]


def pressure_in(replies) -> bool:
    """A counter-script states the amount; negotiation reads terms back; the way forward offers payment buttons."""
    said = texts(replies)
    return ("1,250.00" in said or "Shall I note that?" in said
            or any(b.get("payload") in ("/agree_to_pay", "/promise_to_pay", "/request_installments")
                   for r in replies for b in r.get("buttons") or []))


def test_a_refusal_stops_pressure_instead_of_raising_the_tone(stack):
    sender = verified_sender(stack)
    assert pressure_in(stack.say(sender, "I'll pay you next month"))
    assert stack.slots(sender)["tone"] == "gentle"

    refusal = "I'm not paying you anything"
    reply = texts(stack.say(sender, refusal))
    assert "I won't ask you for payment again in this conversation" in reply
    assert "I've recorded your answer on your account" in reply and "1,250.00" not in reply
    slots = stack.slots(sender)
    assert (slots["pressure_stopped"], slots["stop_recorded"], slots["outcome"]) == (True, True, "REFUSED")
    assert flags_of(stack, sender) == [("REFUSED", refusal)]

    for objection in ("I lost my job last month", "my boss is away this week", "I already paid it",
                      "I can pay 300 on Friday", "can I pay in instalments?"):
        replies = stack.say(sender, objection)
        assert not pressure_in(replies), (objection, replies)
        assert "I won't ask you for payment" in texts(replies), objection
    slots = stack.slots(sender)
    assert slots["tone"] == "gentle" and slots["objections_raised"] == ["objection_next_month:gentle"]


def test_an_unverified_stop_stops_pressure_and_claims_no_record(stack):
    sender = new_sender("stop")
    stack.say(sender, "hello")
    reply = texts(stack.say(sender, "I'm not paying this, forget it"))
    assert "nothing is recorded against an account here" in reply and "I've recorded" not in reply
    assert stack.slots(sender)["pressure_stopped"] is True
    assert flags_of(stack, sender) == []


def test_a_debtor_named_bailiff_is_greeted_by_name_and_nothing_is_blocked(stack):
    """Forbidden terms are whole words outside the names the assistant may say (a message that does name one is
    replaced over the real servers in tests/test_compliance_policy.py)."""
    ledger = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed\n"
              "AC-77001,Morgan Bailiff,1975-03-09,640.00,USD,2026-10-01,false\n")
    import_accounts(io.StringIO(ledger), AccountRepository(stack.db_url))
    sender = new_sender("named")
    stack.say(sender, "hi")
    stack.say(sender, "my account is AC-77001")
    said = texts(stack.say(sender, "9 March 1975"))
    assert "Thank you, Morgan Bailiff" in said and "640.00 USD" in said
    assert "Sorry, I can't give you that answer here" not in said
    script = texts(stack.say(sender, "I'll pay next month"))
    assert "640.00 USD" in script and "Sorry, I can't give you that answer here" not in script
    assert "it named bailiff" not in stack.process("actions").log.read_text()
