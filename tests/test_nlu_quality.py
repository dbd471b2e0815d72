"""Intent quality on a held-out 20% of our NLU data: the build fails below macro-F1 0.90."""
import json

from benchmarks.nlu import ROOT, rasa_pipeline_scores, stratified_split

THRESHOLD = 0.90


def test_intent_macro_f1_on_held_out_split_is_at_least_090():
    out = ROOT / "reports" / "nlu-evaluation"
    train, test = stratified_split(out / "split")
    scores = rasa_pipeline_scores(ROOT / "config.yml", train, test, out)
    (out / "summary.json").write_text(json.dumps(scores, indent=2))
    weakest = sorted(scores["per_intent_f1"].items(), key=lambda kv: kv[1])[:5]
    assert scores["macro_f1"] >= THRESHOLD, f"macro-F1 {scores['macro_f1']}; weakest intents: {weakest}"
