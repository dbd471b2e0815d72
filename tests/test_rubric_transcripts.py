"""Transcripts of collectors' chats scored with the real models, loaded in this process: the practice model
(models/practice.tar.gz) reads the collector's moves, the main model (models/current.tar.gz) the debtor's intents.

tests/data/transcripts/expected.yml says, for each transcript, which criteria fail and whether it passes."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from actions.move_readers import MAIN_MODEL, PRACTICE_MODEL, InProcessReaders
from actions.rubric import load_rubric, score_transcript

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests" / "data" / "transcripts"
EXPECTED = yaml.safe_load((FOLDER / "expected.yml").read_text())
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def readers() -> InProcessReaders:
    for model in (PRACTICE_MODEL, MAIN_MODEL):
        if not model.is_file():
            pytest.fail(f"{model} is missing: run make practice-model / make train")
    return InProcessReaders()


def test_every_transcript_has_an_expectation_and_every_criterion_fails_alone_somewhere():
    files = sorted(p.name for p in FOLDER.glob("*.json"))
    assert sorted(EXPECTED) == files and len(files) >= 10
    alone = {e["fails"][0] for e in EXPECTED.values() if len(e["fails"]) == 1}
    assert alone == {c.id for c in load_rubric().criteria}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_transcript_scores_as_expected(readers, name):
    card = score_transcript(json.loads((FOLDER / name).read_text()), readers, TODAY)
    expected = EXPECTED[name]
    failing = [c["id"] for c in card["criteria"] if not c["passed"]]
    assert failing == expected["fails"], json.dumps(card, indent=1)
    assert card["passed"] is expected["passed"]
    auto = {c.id for c in load_rubric().criteria if c.auto_fail}
    assert card["auto_fail"] == [f for f in failing if f in auto]
    assert card["score"] == round(100 * sum(c["weight"] for c in card["criteria"] if c["passed"])
                                  / sum(c["weight"] for c in card["criteria"]))
    for criterion in card["criteria"]:
        if not criterion["passed"] and criterion["evidence"] is not None:
            collector = [t["text"] for t in json.loads((FOLDER / name).read_text())["turns"]
                         if t["speaker"] == "collector"]
            assert criterion["evidence"] in collector  # the collector's own words


def test_the_command_prints_the_scorecard_in_the_transcripts_language(tmp_path):
    transcript = {**json.loads((FOLDER / "arrest_threat.json").read_text()), "language": "es"}
    (tmp_path / "arrest_threat.json").write_text(json.dumps(transcript))
    result = subprocess.run([sys.executable, "-m", "commands.score_transcript", str(tmp_path / "arrest_threat.json")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    card = json.loads(result.stdout)
    assert card["auto_fail"] == ["lawful_consequences_only"] and card["passed"] is False
    threat = next(c for c in card["criteria"] if c["id"] == "lawful_consequences_only")
    assert "arrested" in threat["evidence"] and threat["title"] == "Solo menciona consecuencias lícitas"
