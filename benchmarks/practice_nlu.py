"""The practice assistant's move classifier on a held-out split of practice/data/nlu (seed 2026, 80/20 per move
and language: English in practice/data/nlu/*.yml, the others in practice/data/nlu/<code>/).

Trains one NLU-only model with practice/config.yml on the 80% of every language, then reads every held-out
message through it and scores the moves it exposes (``moves_from_parse``) as multi-label predictions: an extra
move counts against precision, a missing one against recall. Two sets per language:
  held_out   the held-out single-move examples (the gates: English macro-F1 >= 0.90, tests/test_practice_nlu.py;
             Spanish and Chinese, tests/test_practice_languages.py)
  combined   pairs of held-out examples of different moves in one message, to measure multi-move reading
The English figures are at the top level (held_out, combined); the others under languages.<code>.

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


def language_examples() -> Dict[str, List]:
    """The practice NLU examples by language: English at the top of practice/data/nlu, others in a folder each."""
    from rasa.shared.nlu.training_data.loading import load_data

    from actions.language import DEFAULT, OTHERS

    folder = PRACTICE / "data" / "nlu"
    examples = {DEFAULT: [e for path in sorted(folder.glob("*.yml")) for e in load_data(str(path)).intent_examples]}
    for code in OTHERS:
        if (folder / code).is_dir():
            examples[code] = list(load_data(str(folder / code)).intent_examples)
    return examples


def split(folder: Path, fraction: float = 0.8, seed: int = SEED) -> Tuple[Path, Dict[str, List[Tuple[str, str]]]]:
    """Writes the training 80% to ``folder``/train.yml; returns its path and each language's held-out
    (text, move) pairs."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from actions.practice.moves import MOVES

    train, tests = [], {}
    for language, examples in language_examples().items():
        by_move: Dict[str, List] = defaultdict(list)
        for example in examples:
            by_move[example.get("intent")].append(example)
        rng = random.Random(seed)
        test = []
        for move in sorted(by_move):
            ordered = sorted(by_move[move], key=lambda e: e.get("text"))
            if move not in MOVES:
                train += ordered  # start_scenario: in the data for the validator, ignored by the classifier
                continue
            rng.shuffle(ordered)
            cut = round(len(ordered) * fraction)
            train += ordered[:cut]
            test += [(e.get("text"), move) for e in ordered[cut:]]
        tests[language] = test
    folder.mkdir(parents=True, exist_ok=True)
    train_path = folder / "train.yml"
    train_path.write_text(TrainingData(train).nlu_as_yaml())
    return train_path, tests


def _join(first: str, second: str, language: str) -> str:
    """Two messages run together as people write them in ``language``."""
    if language == "zh":
        return first + second if first.rstrip()[-1:] in "。？！?!" else f"{first}，{second}"
    if first.rstrip()[-1:] in ".?!":
        return f"{first} {second}"
    joiner = ", y " if language == "es" else ", and "
    return f"{first}{joiner}{second[0].lower()}{second[1:]}"


def combine(test: List[Tuple[str, str]], count: int = PAIRS, seed: int = SEED,
            language: str = "en") -> List[Tuple[str, Set[str]]]:
    """Messages made of two held-out examples of different moves, joined as people write them."""
    rng = random.Random(seed)
    combined = []
    while len(combined) < count:
        (first, a), (second, b) = rng.sample(test, 2)
        if a == b:
            continue
        combined.append((_join(first, second, language), {a, b}))
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

    from actions.language import DEFAULT
    from actions.practice.moves import MOVES, moves_from_parse

    work = out / "practice-nlu"
    train_path, tests = split(work / "split")
    subprocess.run([RASA, "train", "nlu", "--config", str(PRACTICE / "config.yml"), "--nlu", str(train_path),
                    "--domain", str(PRACTICE / "domain.yml"), "--out", str(work), "--fixed-model-name", "nlu"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    agent = Agent.load(str(work / "nlu.tar.gz"))

    async def read(texts: List[str]) -> List[Set[str]]:
        return [moves_from_parse(await agent.parse_message(text)) for text in texts]

    labels = list(MOVES)
    figures = {}
    for language, test in tests.items():
        combined = combine(test, language=language)
        held_out_moves = asyncio.run(read([t for t, _ in test]))
        combined_moves = asyncio.run(read([t for t, _ in combined]))
        figures[language] = {
            "held_out": {"messages": len(test),
                         **multilabel_scores([{m} for _, m in test], held_out_moves, labels)},
            "combined": {"messages": len(combined),
                         **multilabel_scores([g for _, g in combined], combined_moves, labels)},
            "errors": [{"text": t, "gold": [m], "moves": sorted(p)} for (t, m), p in zip(test, held_out_moves)
                       if p != {m}],
        }
    result = {**figures[DEFAULT], "languages": {k: v for k, v in figures.items() if k != DEFAULT}}
    (out / "practice-nlu.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.practice_nlu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports")
    args = parser.parse_args()
    result = run(ROOT / args.out)
    for language, figures in [("en", result)] + sorted(result["languages"].items()):
        for name in ("held_out", "combined"):
            r = figures[name]
            print(f"{language} {name}: {r['messages']} messages, macro-F1 {r['macro_f1']}, "
                  f"exact match {r['exact_match']}")
        print(f"{language} weakest moves (held out):",
              sorted(figures["held_out"]["per_move_f1"].items(), key=lambda kv: kv[1])[:4])


if __name__ == "__main__":
    main()
