"""Intent quality per language: each language's own stratified held-out split, one model trained on all
training splits together (as models/current.tar.gz is), scored separately on each language's test split.

``per_language_scores(out)`` is the hook for `make bench` and the quality gate (tests/test_language_nlu_quality.py).
"""
from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Dict, List

import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from benchmarks.nlu import RASA, ROOT, scores_from_predictions, split_examples

NLU_DIR = ROOT / "data" / "nlu"


def languages() -> List[str]:
    with open(ROOT / "policy" / "languages.yml", encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["languages"])


def language_data(language: str) -> TrainingData:
    """The default language's data is data/nlu/*.yml; every other language's is data/nlu/<code>/."""
    default = languages()[0]
    if language == default:
        return TrainingData().merge(*[load_data(str(p)) for p in sorted(NLU_DIR.glob("*.yml"))])
    return load_data(str(NLU_DIR / language))


def per_language_scores(out: Path, config: Path = ROOT / "config.yml") -> Dict[str, Dict]:
    """{language: {macro_f1, accuracy, per_intent_f1, test_examples}} for the project's pipeline."""
    out.mkdir(parents=True, exist_ok=True)
    train_all, tests, regexes = [], {}, load_data(str(NLU_DIR / "regex.yml")).regex_features
    for language in languages():
        train, tests[language] = split_examples(language_data(language))
        train_all += train
    train_path = out / "train.yml"
    train_path.write_text(TrainingData(train_all, regex_features=regexes).nlu_as_yaml())
    subprocess.run([RASA, "train", "nlu", "--config", str(config), "--nlu", str(train_path), "--out", str(out),
                    "--fixed-model-name", "nlu-languages"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    predicted = asyncio.run(_predict(out / "nlu-languages.tar.gz",
                                     {lang: [e.get("text") for e in examples] for lang, examples in tests.items()}))
    scores = {}
    for language, examples in tests.items():
        figures = scores_from_predictions([e.get("intent") for e in examples], predicted[language])
        scores[language] = {**figures, "test_examples": len(examples)}
    (out / "per-language.json").write_text(json.dumps(scores, indent=2, ensure_ascii=False))
    return scores


async def _predict(model: Path, texts: Dict[str, List[str]]) -> Dict[str, List[str]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    result = {}
    for language, batch in texts.items():
        result[language] = [((await agent.parse_message(t)).get("intent") or {}).get("name") or "none"
                            for t in batch]
    return result
