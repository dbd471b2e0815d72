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


def split_examples(data: TrainingData, fraction: float = 0.8, seed: int = SEED) -> Tuple[List, List]:
    """Per intent, ``fraction`` of the examples (shuffled with ``seed``) to training, the rest to testing."""
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
    return train, test


def stratified_split(folder: Path, fraction: float = 0.8, seed: int = SEED) -> Tuple[Path, Path]:
    """Writes train.yml and test.yml under ``folder``: per intent, ``fraction`` of examples to training."""
    # The default language's data only (data/nlu/*.yml); Spanish and Chinese are scored on their own splits
    # by benchmarks/nlu_languages.py.
    data = TrainingData().merge(*[load_data(str(p)) for p in sorted((ROOT / "data" / "nlu").glob("*.yml"))])
    train, test = split_examples(data, fraction, seed)
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


# --- used by `make bench` (benchmarks/run.py): the same scoring for every pipeline -----------------------

def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of an NLU YAML file, in file order."""
    return [(e.get("text"), e.get("intent")) for e in load_data(str(path)).intent_examples]


def scores_from_predictions(gold: List[str], predicted: List[str]) -> Dict:
    """The same figures `rasa test nlu` reports (sklearn's classification report over the gold intents,
    as rasa.model_testing.get_evaluation_metrics does), summarised like ``summarise``."""
    from sklearn.metrics import classification_report

    labels = sorted(set(gold))
    report = classification_report(gold, predicted, labels=labels, output_dict=True, zero_division=0)
    report["accuracy"] = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    return summarise(report)


def tfidf_logreg(train: Path, test: Path) -> Dict:
    """Baseline: TF-IDF of word 1-2-grams and character 2-5-grams, then one-vs-rest logistic regression
    (liblinear, C=10: as accurate as multinomial lbfgs here and ~15x faster to train on this CPU)."""
    import time

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    train_examples, test_examples = load_examples(train), load_examples(test)
    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
        LogisticRegression(C=10.0, solver="liblinear"))
    started, cpu_started = time.perf_counter(), time.process_time()
    model.fit([t for t, _ in train_examples], [i for _, i in train_examples])
    train_seconds, train_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    started = time.perf_counter()
    predicted = list(model.predict([t for t, _ in test_examples]))
    predict_seconds = time.perf_counter() - started
    return {"train_s": round(train_seconds, 2), "train_cpu_s": round(train_cpu, 2),
            "predict_s": round(predict_seconds, 3), "examples": [[t, g, p] for (t, g), p in zip(test_examples, predicted)]}


def confusion_png(gold: List[str], predicted: List[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (rows: true intent, columns: predicted) as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold)) + sorted(set(predicted) - set(gold))
    matrix = confusion_matrix(gold, predicted, labels=labels).astype(float)
    counts = matrix.copy()
    matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(6.0, 0.32 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_yticklabels(labels, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=5,
                        color="white" if matrix[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
