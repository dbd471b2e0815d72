"""Spanish and Chinese dates of birth are extracted by data/nlu/regex.yml's date_of_birth patterns in a model
trained from config.yml and data/ (NLU only, in a temporary folder; models/current.tar.gz is left alone)."""
import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.agent import Agent

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    out = tmp_path_factory.mktemp("dob-model")
    subprocess.run([RASA, "train", "nlu", "--config", str(ROOT / "config.yml"), "--nlu", str(ROOT / "data"),
                    "--out", str(out), "--fixed-model-name", "dob"], cwd=ROOT, check=True, capture_output=True)
    return Agent.load(str(out / "dob.tar.gz"))


@pytest.mark.parametrize("text, expected", [
    ("nací el 12 de abril de 1980", "12 de abril de 1980"),
    ("5 ene 1963", "5 ene 1963"),
    ("我是1980年4月12日出生的", "1980年4月12日"),
    ("1983年6月14号", "1983年6月14号"),
])
def test_date_of_birth_entity_in_spanish_and_chinese(agent, text, expected):
    parsed = asyncio.run(agent.parse_message(text))
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("date_of_birth", expected)]


def test_a_payment_date_without_a_year_is_no_date_of_birth(agent):
    parsed = asyncio.run(agent.parse_message("le pago el 12 de abril"))
    assert not [e for e in parsed["entities"] if e["entity"] == "date_of_birth"]
