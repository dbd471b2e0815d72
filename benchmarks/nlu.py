"""NLU accuracy on a fixed, stratified 80/20 split of the project's own training data.

Used by the NLU quality test (project pipeline only) and by `make bench` (three pipelines compared).
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
SEED = 2026


def stratified_split(folder: Path, fraction: float = 0.8, seed: int = SEED) -> Tuple[Path, Path]:
    """Writes train.yml and test.yml under ``folder``: per intent, ``fraction`` of examples to training."""
    data = load_data(str(ROOT / "data" / "nlu"))
    by_intent: Dict[str, List] = defaultdict(list)
    for example in data.intent_examples:
        by_intent[example.get("intent")].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for intent in sorted(by_intent):
        examples = sorted(by_intent[intent], key=lambda e: e.get("text"))
        rng.shuffle(examples)
        cut = round(len(examples) * fraction)
        train += examples[:cut]
        test += examples[cut:]
    folder.mkdir(parents=True, exist_ok=True)
    train_path, test_path = folder / "train.yml", folder / "test.yml"
    train_path.write_text(TrainingData(train, regex_features=data.regex_features).nlu_as_yaml())
    test_path.write_text(TrainingData(test).nlu_as_yaml())
    return train_path, test_path


def rasa_pipeline_scores(config: Path, train: Path, test: Path, out: Path) -> Dict:
    """Trains an NLU-only model with ``config`` on ``train`` and scores it on ``test`` with `rasa test nlu`."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([RASA, "train", "nlu", "--config", str(config), "--nlu", str(train), "--out", str(out),
                    "--fixed-model-name", "nlu"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run([RASA, "test", "nlu", "--model", str(out / "nlu.tar.gz"), "--nlu", str(test),
                    "--out", str(out / "results")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    report = json.loads((out / "results" / "intent_report.json").read_text())
    return summarise(report)


def summarise(report: Dict) -> Dict:
    per_intent = {k: round(v["f1-score"], 4) for k, v in report.items()
                  if isinstance(v, dict) and "f1-score" in v and k not in ("macro avg", "weighted avg", "micro avg")}
    return {"accuracy": round(report.get("accuracy", report.get("micro avg", {}).get("f1-score", 0.0)), 4),
            "macro_f1": round(report["macro avg"]["f1-score"], 4), "per_intent_f1": per_intent}
