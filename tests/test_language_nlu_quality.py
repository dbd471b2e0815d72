"""Intent quality per language: one model trained on every language's training split (as models/current.tar.gz
is), scored on each language's own held-out 20% (benchmarks/nlu_languages.py, also used by `make bench`)."""
import json

from benchmarks.nlu import ROOT
from benchmarks.nlu_languages import per_language_scores

# macro-F1 each language's held-out split must reach. Issue 12 targets 0.92 for every language; measured on
# 2026-11-23 (C=20, 12,000 examples): en 0.921, es 0.925, zh 0.901. Chinese is gated just under its figure, so
# any regression fails the build; raise it to 0.92 when its data gets there.
THRESHOLDS = {"en": 0.92, "es": 0.92, "zh": 0.89}


def test_each_language_reaches_its_macro_f1_on_its_own_held_out_split():
    out = ROOT / "reports" / "nlu-languages"
    scores = per_language_scores(out)
    (out / "summary.json").write_text(json.dumps(scores, indent=2, ensure_ascii=False))
    assert set(scores) == set(THRESHOLDS)
    failures = {language: (figures["macro_f1"], sorted(figures["per_intent_f1"].items(), key=lambda kv: kv[1])[:5])
                for language, figures in scores.items() if figures["macro_f1"] < THRESHOLDS[language]}
    assert not failures, failures
