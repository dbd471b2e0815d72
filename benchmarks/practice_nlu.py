"""The practice assistant's move classifier on a held-out split of practice/data/nlu (seed 2026, 80/20 per move).

Trains an NLU-only model with practice/config.yml on the 80%, then reads every held-out message through it and
scores the moves it exposes (``moves_from_parse``) as multi-label predictions: an extra move counts against
precision, a missing one against recall. Two sets:
  held_out   the held-out single-move examples (the gate: macro-F1 >= 0.90, tests/test_practice_nlu.py)
  combined   pairs of held-out examples of different moves in one message, to measure multi-move reading

    python -m benchmarks.practice_nlu [--out reports]   writes <out>/practice-nlu.json and prints a summary
    benchmarks.practice_nlu.run(out: Path) -> dict     the same, for `make bench`
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RASA = str(Path(sys.executable).parent / "rasa")
SEED = 2026
PAIRS = 300
PRACTICE = ROOT / "practice"


def split(folder: Path, fraction: float = 0.8, seed: int = SEED) -> Tuple[Path, List[Tuple[str, str]]]:
    """Writes the training 80% to ``folder``/train.yml; returns its path and the held-out (text, move) pairs."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from actions.practice.moves import MOVES

    data = load_data(str(PRACTICE / "data" / "nlu"))
    by_move: Dict[str, List] = defaultdict(list)
    for example in data.intent_examples:
        by_move[example.get("intent")].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for move in sorted(by_move):
        examples = sorted(by_move[move], key=lambda e: e.get("text"))
        if move not in MOVES:
            train += examples  # start_scenario: in the data for the validator, ignored by the classifier
            continue
        rng.shuffle(examples)
        cut = round(len(examples) * fraction)
        train += examples[:cut]
        test += [(e.get("text"), move) for e in examples[cut:]]
    folder.mkdir(parents=True, exist_ok=True)
    train_path = folder / "train.yml"
    train_path.write_text(TrainingData(train).nlu_as_yaml())
    return train_path, test


def combine(test: List[Tuple[str, str]], count: int = PAIRS, seed: int = SEED) -> List[Tuple[str, Set[str]]]:
    """Messages made of two held-out examples of different moves, joined as people write them."""
    rng = random.Random(seed)
    combined = []
    while len(combined) < count:
        (first, a), (second, b) = rng.sample(test, 2)
        if a == b:
            continue
        if first.rstrip()[-1:] in ".?!":
            text = f"{first} {second}"
        else:
            text = f"{first}, and {second[0].lower()}{second[1:]}"
        combined.append((text, {a, b}))
    return combined


def multilabel_scores(gold: List[Set[str]], predicted: List[Set[str]], labels: List[str]) -> Dict:
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer(classes=labels)
    y_true, y_pred = binarizer.fit_transform(gold), binarizer.transform(predicted)
    per_move = f1_score(y_true, y_pred, average=None, zero_division=0)
    return {"macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
            "exact_match": round(sum(g == p for g, p in zip(gold, predicted)) / len(gold), 4),
            "per_move_f1": {m: round(float(f), 4) for m, f in zip(labels, per_move)}}


def run(out: Path) -> Dict:
    from rasa.core.agent import Agent

    from actions.practice.moves import MOVES, moves_from_parse

    work = out / "practice-nlu"
    train_path, test = split(work / "split")
    subprocess.run([RASA, "train", "nlu", "--config", str(PRACTICE / "config.yml"), "--nlu", str(train_path),
                    "--domain", str(PRACTICE / "domain.yml"), "--out", str(work), "--fixed-model-name", "nlu"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    agent = Agent.load(str(work / "nlu.tar.gz"))
    combined = combine(test)

    async def read(texts: List[str]) -> List[Set[str]]:
        return [moves_from_parse(await agent.parse_message(text)) for text in texts]

    held_out_moves = asyncio.run(read([t for t, _ in test]))
    combined_moves = asyncio.run(read([t for t, _ in combined]))
    labels = list(MOVES)
    result = {
        "held_out": {"messages": len(test),
                     **multilabel_scores([{m} for _, m in test], held_out_moves, labels)},
        "combined": {"messages": len(combined),
                     **multilabel_scores([g for _, g in combined], combined_moves, labels)},
        "errors": [{"text": t, "gold": [m], "moves": sorted(p)} for (t, m), p in zip(test, held_out_moves)
                   if p != {m}],
    }
    (out / "practice-nlu.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.practice_nlu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports")
    args = parser.parse_args()
    result = run(ROOT / args.out)
    for name in ("held_out", "combined"):
        r = result[name]
        print(f"{name}: {r['messages']} messages, macro-F1 {r['macro_f1']}, exact match {r['exact_match']}")
    print("weakest moves (held out):", sorted(result["held_out"]["per_move_f1"].items(), key=lambda kv: kv[1])[:4])


if __name__ == "__main__":
    main()
