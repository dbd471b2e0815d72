"""The benchmark's reference bots are what they claim: `rasa init`'s own project, and that project plus its example
custom action (benchmarks/baselines/)."""
from pathlib import Path

import rasa
import yaml

from benchmarks.baseline_bots import BASELINE_BOTS, RASA_INIT
from benchmarks.load import LONG_TURNS, conversation_script, demo_accounts

TEMPLATE = Path(rasa.__file__).parent / "cli" / "initial_project"
ACTION = RASA_INIT.parent / "rasa_init_action"


def test_bare_bot_is_rasa_init_unchanged():
    ours = sorted(p.relative_to(RASA_INIT) for p in RASA_INIT.rglob("*") if p.is_file())
    assert ours == [Path(p) for p in ("config.yml", "credentials.yml", "data/nlu.yml", "data/rules.yml",
                                      "data/stories.yml", "domain.yml", "endpoints.yml")]
    for path in ours:
        assert (RASA_INIT / path).read_text() == (TEMPLATE / path).read_text(), path


def test_action_bot_adds_only_the_example_action():
    bare, with_action = (yaml.safe_load((folder / "domain.yml").read_text()) for folder in (RASA_INIT, ACTION))
    assert with_action.pop("actions") == ["action_hello_world"]
    assert with_action == bare
    stories = (ACTION / "data" / "stories.yml").read_text()
    assert stories == (RASA_INIT / "data" / "stories.yml").read_text().replace("utter_greet", "action_hello_world")
    assert (ACTION / "data" / "rules.yml").read_text() == (RASA_INIT / "data" / "rules.yml").read_text()
    assert 'text="Hello World!"' in (ACTION / "actions" / "actions.py").read_text()


def test_every_baseline_trains_on_files_that_exist():
    for baseline in BASELINE_BOTS:
        assert all(path.exists() for path in baseline.data), baseline.name
        assert (baseline.folder / "domain.yml").exists() and (baseline.folder / "credentials.yml").exists()


def test_long_conversations_reach_turn_20_with_objections():
    script, _ = conversation_script(0, demo_accounts(), LONG_TURNS)
    assert len(script) == LONG_TURNS >= 20
    assert script[0] == "hello" and script[1].startswith("my account is")


def test_action_bot_server_runs_its_own_action(tmp_path):
    """The action server the benchmark starts for the baseline serves the baseline's action, not the project's."""
    import sys

    import requests

    from benchmarks.baseline_bots import ACTIONS_PACKAGE
    from launcher import processes

    port = processes.free_port()
    server = processes.spawn([sys.executable, "-m", "rasa_sdk", "--actions", ACTIONS_PACKAGE, "--port", str(port)],
                             {}, tmp_path / "actions.log")
    try:
        processes.wait_for(f"http://127.0.0.1:{port}/health", server, tmp_path / "actions.log")
        names = [a["name"] for a in requests.get(f"http://127.0.0.1:{port}/actions", timeout=10).json()]
        assert names == ["action_hello_world"]
        reply = requests.post(f"http://127.0.0.1:{port}/webhook", timeout=10, json={
            "next_action": "action_hello_world", "sender_id": "bench",
            "tracker": {"sender_id": "bench", "slots": {}, "latest_message": {}, "events": []}, "domain": {}})
        assert reply.json()["responses"][0]["text"] == "Hello World!"
    finally:
        processes.stop([server])
