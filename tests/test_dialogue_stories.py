"""Runs `rasa test` on tests/test_stories.yml: each objection, each tone, verification and lock-out,
each compliance stop, each commitment path. Fails on any wrong prediction (NLU or dialogue)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")


def test_all_test_stories_pass():
    out = ROOT / "reports" / "story-test"
    result = subprocess.run(
        [RASA, "test", "core", "--stories", "tests/test_stories.yml", "--model", "models/current.tar.gz",
         "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True)
    failed = out / "failed_test_stories.yml"
    details = failed.read_text()[:6000] if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, details
    assert "None of the test stories failed" in failed.read_text()
