"""`make bench` in miniature: the harness runs end to end with --smoke and writes a complete report.

No timing thresholds here: the machine running the tests decides the speed. This only checks that every
figure the report promises is there, so `make bench` does not rot between full runs.
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run([sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return out, completed.stdout


def test_smoke_run_writes_markdown_json_and_plots(smoke_report):
    out, stdout = smoke_report
    markdown = (out / "benchmark.md").read_text()
    for heading in ("# Benchmark", "Machine:", "## Understanding (NLU)", "### Entities",
                    "## Conversation speed and capacity", "## Ledger size", "## How it was measured"):
        assert heading in markdown, heading
    plots = out / "benchmark-plots"
    for name in ("confusion-tfidf.png", "nlu-per-intent-f1.png", "latency.png", "ledger.png"):
        assert (plots / name).stat().st_size > 1000, name
        assert (plots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert "Benchmark (smoke) done" in stdout and "[bench " in stdout


def test_smoke_json_has_every_figure(smoke_report):
    out, _ = smoke_report
    results = json.loads((out / "benchmark.json").read_text())
    assert results["smoke"] is True and results["section_errors"] == {}
    machine = results["machine"]
    assert machine["cpu_model"] and machine["cores"] >= 1 and machine["python"] and machine["rasa"]

    nlu = results["nlu"]
    assert nlu["test_examples"] > 0 and nlu["intents"] > 1
    tfidf = nlu["pipelines"]["tfidf"]["scores"]
    assert 0 <= tfidf["accuracy"] <= 1 and 0 <= tfidf["macro_f1"] <= 1
    assert len(tfidf["per_intent_f1"]) >= 2

    entities = results["entities"]
    assert entities["date"]["examples"] >= 30 and entities["amount"]["examples"] >= 25
    assert _number(entities["date"]["accuracy"]) and _number(entities["amount"]["accuracy"])

    load = results["load"]
    assert [r["concurrency"] for r in load["webhook"]] == [1, 4]
    for row in load["webhook"] + load["parse"]:
        for key in ("p50_ms", "p95_ms", "p99_ms", "messages_per_s"):
            assert _number(row[key]), (row["kind"], row["concurrency"], key)
        assert row["errors"] == 0 and row["messages"] > 0
        assert _number(row["cpu_cores"]["rasa"])
    for row in load["webhook"]:
        assert row["verified_conversations"] == row["conversations"]
        assert row["empty_replies"] == 0
        assert _number(row["cpu_cores"]["actions"])
    assert load["lifetime_peak_rss_mb"]["rasa"] > 0 and load["lifetime_peak_rss_mb"]["actions"] > 0
    assert set(load["webhook_over_parse_p50"]) == {"1", "4"}
    long = load["long"]
    assert long["turns"] >= 20 and long["errors"] == 0 and long["empty_replies"] == 0
    assert _number(long["turn_2_p50_ms"]) and _number(long["turn_20_p50_ms"])
    assert results["turn_20_p50_ms"] == long["turn_20_p50_ms"] and _number(results["rasa_cpu_ms_per_message"])

    ledger = results["ledger"]
    assert [s["rows"] for s in ledger["sizes"]] == [1000]
    size = ledger["sizes"][0]
    assert _number(size["import_s"]) and _number(size["lookup_p50_ms"]) and _number(size["lookup_p95_ms"])
    assert ledger["lookup_uses_primary_key"] is True
