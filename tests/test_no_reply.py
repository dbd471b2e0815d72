"""A debtor never meets silence: with the action server down, the real Rasa server answers through the REST channel
with policy/messages.yml's polite try-again (channels.rest.no_reply_text), and normal answers come back with it."""
import subprocess

import pytest

from actions.ledger import AccountRepository
from channels.rest import no_reply_text
from tests.conftest import ROOT, load_demo_ledger
from tests.servers import Stack, wait_for
from tests.test_commitments_e2e import verified_sender


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("no-reply")
    db_url = f"sqlite:///{workdir / 'accounts.db'}"
    load_demo_ledger(AccountRepository(db_url), workdir)
    running = Stack(workdir, db_url)
    try:
        running.start(web=False)
        yield running
    finally:
        running.stop()


def test_with_the_action_server_down_the_debtor_is_asked_to_try_again_and_answers_return_with_it(stack):
    polite = no_reply_text()
    assert "try again" in polite
    sender = verified_sender(stack)
    actions = stack.process("actions")
    stack.stop_process(actions)
    try:
        assert [r.get("text") for r in stack.say(sender, "I lost my job")] == [polite]
    finally:
        log = stack.workdir / "actions-restarted.log"
        restarted = subprocess.Popen(actions.args, cwd=ROOT, env=stack.env, stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        stack.processes.append(restarted)
        wait_for(f"{stack.action_url}/health", restarted, log)
    replies = [r.get("text") or "" for r in stack.say(sender, "I lost my job")]
    assert replies and polite not in replies
    assert stack.slots(sender)["verified"] is True
