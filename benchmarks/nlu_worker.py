"""Trains NLU-only Rasa models and predicts the held-out examples, all in one process.

Training and predicting in one process saves the TensorFlow start-up of separate `rasa train nlu` and
`rasa test nlu` calls, which matters on a 2-core machine with a 10-minute budget. benchmarks/run.py runs
one worker per pipeline, side by side, and reads the CPU seconds each one used (less disturbed by the
other than wall-clock seconds). Usage:

    python -m benchmarks.nlu_worker --train train.yml --test test.yml --out DIR NAME=CONFIG [NAME=CONFIG ...]

Writes DIR/NAME/predictions.json: training and prediction seconds (wall clock and CPU of this process,
all threads) and (text, gold, predicted) triples.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from pathlib import Path

from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.nlu.classifiers import fallback_classifier
from rasa.shared.nlu.training_data.loading import load_data


async def predict(agent: Agent, texts):
    """Top intent per text as `rasa test nlu` scores it: a FallbackClassifier prediction is undone (the
    intent under it counts), and whether it fell back is returned alongside."""
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        fell_back = fallback_classifier.is_fallback_classifier_prediction(parsed)
        if fell_back:
            parsed = fallback_classifier.undo_fallback_prediction(parsed)
        results.append((((parsed.get("intent") or {}).get("name")) or "None", fell_back))
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("pipelines", nargs="+", help="NAME=CONFIG")
    args = parser.parse_args()
    logging.getLogger("rasa").setLevel(logging.WARNING)
    test = load_data(args.test)
    examples = [(e.get("text"), e.get("intent")) for e in test.intent_examples]
    for item in args.pipelines:
        name, config = item.split("=", 1)
        out = Path(args.out) / name
        out.mkdir(parents=True, exist_ok=True)
        print(f"[nlu-worker] training {name} ({config})", flush=True)
        started, cpu_started = time.perf_counter(), time.process_time()
        model = train_nlu(config, args.train, str(out), fixed_model_name="nlu")
        train_seconds, train_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if not model:
            raise SystemExit(f"training {name} failed")
        agent = Agent.load(model)
        started, cpu_started = time.perf_counter(), time.process_time()
        predicted = asyncio.run(predict(agent, [t for t, _ in examples]))
        predict_seconds, predict_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"[nlu-worker] {name}: trained in {train_seconds:.0f} s ({train_cpu:.0f} CPU s), "
              f"{len(examples)} predictions in {predict_seconds:.1f} s", flush=True)
        (out / "predictions.json").write_text(json.dumps({
            "train_s": round(train_seconds, 2), "train_cpu_s": round(train_cpu, 2),
            "predict_s": round(predict_seconds, 3), "predict_cpu_s": round(predict_cpu, 3),
            "fallbacks": sum(f for _, f in predicted),
            "examples": [[t, g, p] for (t, g), (p, _) in zip(examples, predicted)]}, indent=1))
        Path(model).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
