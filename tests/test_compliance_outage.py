"""A compliance stop said while the accounts database or the action server is down, over the real servers:
pressure stops at once, the debtor is told it is not recorded yet, and it is written once when things are back."""
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.ledger import AccountRepository
from actions.models import AccountFlagRow
from actions.stop_recorder import StopRecorder
from tests.conftest import ROOT, TODAY, load_demo_ledger
from tests.servers import Stack, wait_for
from tests.test_commitments_e2e import verified_sender
from tests.test_conversation_e2e import texts


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory):
    """Its own servers, over its own SQLite ledger, with the reconciler retrying every second."""
    workdir = tmp_path_factory.mktemp("outage")
    db_url = f"sqlite:///{workdir / 'accounts.db'}"
    load_demo_ledger(AccountRepository(db_url), workdir)
    policy = workdir / "policy"
    shutil.copytree(ROOT / "policy", policy)
    compliance = policy / "compliance.yml"
    compliance.write_text(re.sub(r"(?m)^recording_retry_seconds: .*$", "recording_retry_seconds: 1",
                                 compliance.read_text()))
    running = Stack(workdir, db_url)
    try:
        running.start(web=False, extra_env={"COLLECTIONS_TODAY": TODAY.isoformat(), "POLICY_DIR": str(policy),
                                            "ENDPOINTS": str(workdir / "endpoints.yml")})
        yield running
    finally:
        running.stop()


@contextmanager
def database_down(db_file: Path):
    """A real outage: the ledger file holds garbage until the block ends, then its own bytes again."""
    saved = db_file.read_bytes()
    db_file.write_bytes(b"this is not a database, the disk was swapped " * 400)
    try:
        yield
    finally:
        db_file.write_bytes(saved)


def wait_until(check, what: str, seconds: float = 90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


def flags_of(stack, sender):
    with AccountRepository(stack.db_url).session() as session:
        return [(f.flag, f.note) for f in session.scalars(
            select(AccountFlagRow).where(AccountFlagRow.conversation_id == sender).order_by(AccountFlagRow.id))]


def exported(stack, tmp_path):
    out = tmp_path / "outcomes.csv"
    subprocess.run([sys.executable, "-m", "commands.export_outcomes", str(out)], cwd=ROOT, check=True,
                   env={**os.environ, "ACCOUNTS_DB_URL": stack.db_url}, capture_output=True)
    with open(out, newline="") as handle:
        return {row["conversation_id"]: row for row in csv.DictReader(handle)}


def test_a_dispute_during_a_database_outage_stops_pressure_tells_the_truth_and_is_written_later(outage_stack,
                                                                                                   tmp_path):
    stack = outage_stack
    recorder = StopRecorder(stack.db_url)
    sender = verified_sender(stack)
    dispute = "I dispute this debt, it isn't mine"

    with database_down(Path(stack.db_url[len("sqlite:///"):])):
        with pytest.raises(SQLAlchemyError):
            recorder.is_recorded("any")  # the outage is real
        reply = texts(stack.say(sender, dispute))
        assert "I couldn't record the dispute on your account just now" in reply
        assert "we will record it as soon as our records are available" in reply
        assert "I've recorded" not in reply
        slots = stack.slots(sender)
        assert slots["pressure_stopped"] is True and slots["stop_recorded"] is False
        later = stack.say(sender, "I'll pay you next month")
        assert "1,250.00" not in texts(later) and not any(r.get("buttons") for r in later)

    stops = wait_until(lambda: recorder.stops(sender), "the dispute to be written once the database is back")
    assert [(s.flag, s.account_id, s.recorded_by) for s in stops] == [("DISPUTE", "AC-10023", "reconciler")]
    assert flags_of(stack, sender) == [("DISPUTE", dispute)]

    after = stack.say(sender, "I'll pay you next month")
    assert "I won't ask you for payment" in texts(after) and "1,250.00" not in texts(after)
    assert not any(r.get("buttons") for r in after)

    passes = recorder.progress()[1]
    wait_until(lambda: recorder.progress()[1] >= passes + 2, "two more reconciler passes")
    assert len(recorder.stops(sender)) == 1 and flags_of(stack, sender) == [("DISPUTE", dispute)]
    row = exported(stack, tmp_path)[sender]
    assert row["outcome"] == "DISPUTE" and row["flags"] == "DISPUTE"


def test_a_stop_said_while_the_action_server_is_down_is_written_when_it_is_back(outage_stack):
    stack = outage_stack
    recorder = StopRecorder(stack.db_url)
    sender = verified_sender(stack)
    actions = stack.process("actions")
    stack.stop_process(actions)
    try:
        replies = stack.say(sender, "stop contacting me")
        reply = texts(replies)
        assert "I couldn't record your request on your account just now" in reply
        assert "I've recorded" not in reply and "Would you like a colleague to contact you?" in reply
        assert stack.slots(sender)["pressure_stopped"] is True
        assert recorder.stops(sender) == []
    finally:
        log = stack.workdir / "actions-restarted.log"
        restarted = subprocess.Popen(actions.args, cwd=ROOT, env=stack.env, stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        stack.processes.append(restarted)
        wait_for(f"{stack.action_url}/health", restarted, log)

    stops = wait_until(lambda: recorder.stops(sender), "the stop to be written once the action server is back")
    assert [(s.flag, s.recorded_by) for s in stops] == [("CEASE_CONTACT", "reconciler")]
    assert flags_of(stack, sender) == [("CEASE_CONTACT", "stop contacting me")]
    assert "I won't ask you for payment" in texts(stack.say(sender, "my boss is away this week"))
