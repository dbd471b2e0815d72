"""The practice move classifier on a held-out 20% of practice/data/nlu, per language: the build fails below
macro-F1 0.90 in English and below the levels measured for Spanish and Chinese (one model for the three).

Every move a message exposes counts (multi-label): an extra move is a false positive for that move.
"""
import subprocess
import sys
from pathlib import Path

from benchmarks.practice_nlu import ROOT, run

import pytest

THRESHOLD = 0.90
# Measured on 2026-11-23 (seed 2026): es 0.959 held out / 0.940 combined, zh 0.915 / 0.871.
LANGUAGE_GATES = {"es": (0.92, 0.85), "zh": (0.88, 0.80)}


@pytest.fixture(scope="module")
def result():
    return run(ROOT / "reports")


def test_move_macro_f1_on_held_out_split_is_at_least_090(result):
    held_out = result["held_out"]
    weakest = sorted(held_out["per_move_f1"].items(), key=lambda kv: kv[1])[:5]
    assert held_out["messages"] >= 17 * 12
    assert held_out["macro_f1"] >= THRESHOLD, f"macro-F1 {held_out['macro_f1']}; weakest moves: {weakest}"
    # A message doing two moves must usually show both (measured on pairs of held-out examples).
    assert result["combined"]["macro_f1"] >= 0.80, result["combined"]


@pytest.mark.parametrize("language", sorted(LANGUAGE_GATES))
def test_spanish_and_chinese_moves_are_read_on_their_own_held_out_split(result, language):
    held_out_gate, combined_gate = LANGUAGE_GATES[language]
    figures = result["languages"][language]
    held_out = figures["held_out"]
    weakest = sorted(held_out["per_move_f1"].items(), key=lambda kv: kv[1])[:5]
    assert held_out["messages"] >= 17 * 8  # at least 40 examples per move: 8 held out each
    assert held_out["macro_f1"] >= held_out_gate, f"{language} macro-F1 {held_out['macro_f1']}; weakest: {weakest}"
    assert figures["combined"]["macro_f1"] >= combined_gate, figures["combined"]


def test_practice_data_validates_without_warnings():
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run([rasa, "data", "validate", "--fail-on-warnings", "--domain", "practice/domain.yml",
                             "--data", "practice/data", "--config", "practice/config.yml"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
