"""Writes reports/benchmark.md, reports/benchmark.json and the PNG plots; prints the console summary."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional

PLOTS = "benchmark-plots"


def _fmt(value, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def _pct(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


# --- plots -------------------------------------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_per_intent_f1(nlu: Dict, path: Path) -> Path:
    plt = _plt()
    import numpy as np

    names = [n for n in nlu["pipelines"] if nlu["pipelines"][n].get("scores")]
    intents = sorted(nlu["pipelines"][names[0]]["scores"]["per_intent_f1"],
                     key=lambda i: nlu["pipelines"][names[0]]["scores"]["per_intent_f1"][i])
    fig, ax = plt.subplots(figsize=(9, max(4, 0.28 * len(intents) + 1.5)))
    height = 0.8 / len(names)
    y = np.arange(len(intents))
    for k, name in enumerate(names):
        f1 = nlu["pipelines"][name]["scores"]["per_intent_f1"]
        ax.barh(y + k * height, [f1.get(i, 0) for i in intents], height=height,
                label=nlu["pipelines"][name]["label"])
    ax.set_yticks(y + height * (len(names) - 1) / 2)
    ax.set_yticklabels(intents, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 on the held-out 20%")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Per-intent F1 by pipeline", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(load: Dict, path: Path) -> Path:
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for series, style in (("webhook", "-o"), ("parse", "--s")):
        rows = load.get(series) or []
        if not rows:
            continue
        xs = [r["concurrency"] for r in rows]
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            left.plot(xs, [r[key] for r in rows], style, label=f"{series} {key[:3]}")
        right.plot(xs, [r["messages_per_s"] for r in rows], style, label=series)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent conversations")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    left.set_yscale("log")
    left.set_ylabel("latency per message (ms)")
    left.set_title("Latency (median of repeats)", fontsize=10)
    right.set_ylabel("messages (requests) per second")
    right.set_title("Throughput", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_ledger(ledger: Dict, path: Path) -> Path:
    plt = _plt()
    sizes = ledger["sizes"]
    xs = [s["rows"] for s in sizes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(xs, [s["lookup_p50_ms"] for s in sizes], "-o", label="p50")
    left.plot(xs, [s["lookup_p95_ms"] for s in sizes], "-s", label="p95")
    left.set_ylim(bottom=0)
    left.set_ylabel("AccountRepository.get (ms)")
    left.set_title("Look-up latency vs ledger size", fontsize=10)
    right.plot(xs, [s["import_s"] for s in sizes], "-o")
    right.set_yscale("log")
    right.set_ylabel("import time (s, log scale)")
    right.set_title("CSV import time vs ledger size", fontsize=10)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("accounts")
        ax.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- markdown ----------------------------------------------------------------------------------------------

def markdown(results: Dict) -> str:
    m = results["machine"]
    lines: List[str] = [
        "# Benchmark" + (" (SMOKE run: tiny sizes, not figures to quote)" if results["smoke"] else ""),
        "",
        f"Run {results['started_at']} with `{results['command']}`; wall time {_fmt(results['wall_s'], 0)} s.",
        f"Machine: {m['cpu_model']}, {m['cores']} cores, {_fmt(m['ram_gb'])} GB RAM, {m['os']}; "
        f"Python {m['python']}, Rasa {m['rasa']}, Rasa SDK {m['rasa_sdk']}.",
        f"Load average at start {results['loadavg_start']}, at end {results['loadavg_end']} "
        "(the machine may be shared: `machine busy cores` below counts every process on it).",
        "",
    ]
    for rerun in results.get("reruns", []):
        lines += [f"Section(s) {', '.join(rerun['sections'])} rerun on their own {rerun['started_at']} with "
                  f"`{rerun['command']}` ({_fmt(rerun['wall_s'], 0)} s; load average {rerun['loadavg_start']}); "
                  "their figures come from that run, the rest from the run above.", ""]
    lines += _headline_md(results)
    if results.get("section_errors"):
        lines += ["**Sections that failed:**", ""] + [f"- {k}: `{v}`" for k, v in results["section_errors"].items()] + [""]
    lines += _nlu_md(results.get("nlu"), results.get("entities"))
    lines += _load_md(results.get("load"))
    lines += _baselines_md(results)
    lines += _ledger_md(results.get("ledger"))
    lines += _startup_md(results.get("startup"), results.get("training"), results.get("model"))
    lines += ["## How it was measured", ""] + [f"- {note}" for note in results["notes"]] + [""]
    return "\n".join(lines)


def _headline_md(results: Dict) -> List[str]:
    """The few figures worth quoting (e.g. in the README), each with where it comes from."""
    rows: List[str] = []
    nlu = results.get("nlu") or {}
    for name, p in (nlu.get("pipelines") or {}).items():
        if p.get("scores"):
            rows.append(f"| Intent accuracy / macro-F1 on the held-out 20%: {p['label']} | "
                        f"{_pct(p['scores']['accuracy'])} / {p['scores']['macro_f1']:.3f} | 1 |")
    for key, value in (nlu.get("ratios") or {}).items():
        rows.append(f"| {key} (same split, same run) | {value:.3f} | 1 |")
    ent = results.get("entities")
    if ent:
        rows.append(f"| Payment dates / amounts understood (labelled examples) | "
                    f"{_pct(ent['date']['accuracy'])} of {ent['date']['examples']} / "
                    f"{_pct(ent['amount']['accuracy'])} of {ent['amount']['examples']} | - |")
    load = results.get("load")
    if load:
        for r in load["webhook"]:
            rows.append(f"| Webhook reply, {r['concurrency']} concurrent conversation(s): p50 / p95 / p99 | "
                        f"{_fmt(r['p50_ms'], 0)} / {_fmt(r['p95_ms'], 0)} / {_fmt(r['p99_ms'], 0)} ms, "
                        f"{_fmt(r['messages_per_s'])} msg/s, {r['errors']} errors | {r['repeats']} |")
        for r in load["parse"]:
            ratio = load["webhook_over_parse_p50"].get(str(r["concurrency"]))
            rows.append(f"| NLU only (/model/parse), {r['concurrency']} concurrent: p50; webhook/parse p50 | "
                        f"{_fmt(r['p50_ms'], 0)} ms; {_fmt(ratio, 1)}x | {r['repeats']} |")
        peak = load["lifetime_peak_rss_mb"]
        rows.append(f"| Peak memory (VmHWM): Rasa server / action server | {_fmt(peak['rasa'], 0)} / "
                    f"{_fmt(peak['actions'], 0)} MB | - |")
    if results.get("turn_cost_ratio_vs_rasa_init") is not None:
        rows.append(f"| Turn cost: webhook p50 at 1 conversation / bare `rasa init` bot's | "
                    f"{_fmt(results['turn_cost_ratio_vs_rasa_init'], 2)}x | same run |")
    if results.get("turn_20_over_turn_2_p50") is not None:
        rows.append(f"| Long conversations: p50 at turn 2 / turn 20 | {_fmt(results['turn_2_p50_ms'], 0)} / "
                    f"{_fmt(results['turn_20_p50_ms'], 0)} ms ({_fmt(results['turn_20_over_turn_2_p50'], 2)}x) | 1 |")
    ledger = results.get("ledger")
    if ledger:
        for s in ledger["sizes"]:
            rows.append(f"| Ledger of {s['rows']:,} accounts: import; look-up p50 / p95 | {_fmt(s['import_s'])} s; "
                        f"{_fmt(s['lookup_p50_ms'], 2)} / {_fmt(s['lookup_p95_ms'], 2)} ms | 1; "
                        f"{s['rounds']} |")
    if results.get("startup"):
        rows.append(f"| Start-up to first answer (python -m launcher) | {_fmt(results['startup']['first_answer_s'])} s | 1 |")
    if results.get("training"):
        rows.append(f"| Full training (`rasa train --force`) | {_fmt(results['training']['train_s'])} s | 1 |")
    if results.get("model"):
        rows.append(f"| Model size ({results['model']['path']}) | {_fmt(results['model']['mb'])} MB | - |")
    if not rows:
        return []
    return ["## Headline figures", "", "| Figure | Value | Runs (median of) |", "|---|---|---|"] + rows + [""]


def _nlu_md(nlu: Optional[Dict], entities: Optional[Dict]) -> List[str]:
    lines = ["## Understanding (NLU)", ""]
    if nlu:
        lines += [
            f"Held-out split: {nlu['train_examples']} training / {nlu['test_examples']} test examples of "
            f"{nlu['intents']} intents (80/20 stratified by intent, seed {nlu['seed']}; "
            "`benchmarks/nlu.py stratified_split`). Every pipeline is trained on the same 80% and scored on the "
            "same 20% (single run each: training is the expensive part of the budget). The two Rasa pipelines "
            "train side by side (one process each, TF-IDF in the meantime), so their wall-clock seconds include "
            "waiting for each other; CPU seconds (all threads) are the fairer cost comparison. Scored like `rasa test nlu`: "
            "when the FallbackClassifier fires, the intent under it is scored; the share of held-out messages "
            "that fell below the fallback threshold is shown separately.",
            "",
            "| Pipeline | Accuracy | Macro-F1 | Below fallback threshold | Training: CPU s (wall s) | Prediction (ms/example) | Notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, p in nlu["pipelines"].items():
            s = p.get("scores")
            if not s:
                lines.append(f"| {p['label']} | n/a | n/a | n/a | n/a | n/a | {p.get('note', '')} |")
                continue
            lines.append(f"| {p['label']} | {_pct(s['accuracy'])} | {s['macro_f1']:.3f} | "
                         f"{_pct(p.get('fallback_share')) if p.get('fallback_share') is not None else '-'} | "
                         f"{_fmt(p.get('train_cpu_s'), 0)} ({_fmt(p['train_s'], 0)}) | "
                         f"{_fmt(p['predict_ms_per_example'], 2)} | {p.get('note', '')} |")
        lines.append("")
        if nlu.get("ratios"):
            lines += ["Ratios (same split, same run): " + "; ".join(
                f"{k} = {_fmt(v, 3)}" for k, v in nlu["ratios"].items()), ""]
        names = [n for n, p in nlu["pipelines"].items() if p.get("scores")]
        if names:
            first = nlu["pipelines"][names[0]]["scores"]["per_intent_f1"]
            lines += ["<details><summary>Per-intent F1</summary>", "",
                      "| Intent | " + " | ".join(nlu["pipelines"][n]["label"] for n in names) + " |",
                      "|---|" + "---|" * len(names)]
            for intent in sorted(first, key=lambda i: first[i]):
                lines.append(f"| {intent} | " + " | ".join(
                    _fmt(nlu["pipelines"][n]["scores"]["per_intent_f1"].get(intent), 2) for n in names) + " |")
            lines += ["", "</details>", ""]
        plots = [f"![{p['label']} confusion matrix]({p['confusion_png']})" for p in nlu["pipelines"].values()
                 if p.get("confusion_png")]
        if nlu.get("f1_png"):
            plots.insert(0, f"![Per-intent F1]({nlu['f1_png']})")
        lines += ["Plots: " + ", ".join(f"`{p.split('(')[-1].rstrip(')')}`" for p in plots), ""] if plots else []
    if entities:
        d, a = entities["date"], entities["amount"]
        lines += [
            f"### Entities (dates and amounts, `{entities['source']}`; today {entities['today']}, "
            f"balance {entities['balance']})", "",
            "| Entity | Examples | Correct | Accuracy |", "|---|---|---|---|",
            f"| Payment date (`parse_payment_date`) | {d['examples']} | {d['correct']} | {_pct(d['accuracy'])} |",
            f"| Amount (`parse_amount`) | {a['examples']} | {a['correct']} | {_pct(a['accuracy'])} |", "",
            f"{_fmt(entities['ms_per_example'], 2)} ms per example. Misses:", "",
        ]
        for kind, block in (("date", d), ("amount", a)):
            for err in block["errors"]:
                lines.append(f"- {kind}: \"{err['text']}\" expected `{err['expected']}`, got `{err['got']}`")
        lines.append("")
    return lines


def _load_md(load: Optional[Dict]) -> List[str]:
    if not load:
        return []
    lines = [
        "## Conversation speed and capacity", "",
        "Through the real REST webhook (`POST /webhooks/rest/webhook`), with the action server and the SQLite "
        "accounts ledger behind it. One conversation = greet, account reference, date of birth, 3 objections "
        "(6 messages), fresh sender id each. Latency, throughput and CPU are medians of the repeats of a level "
        "(Repeats column; 1 = a single run); message, error and verified counts are totals over the repeats; "
        "peak RSS is the highest sample. CPU = cores used on average during the level "
        "(1.0 = one full core) by each server and its children.", "",
        "| Concurrent | Repeats | Conversations | Messages | p50 (ms) | p95 (ms) | p99 (ms) | Messages/s | Errors | "
        "Verified | Rasa CPU | Actions CPU | Machine busy cores | Peak RSS Rasa / actions (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in load["webhook"]:
        lines.append(
            f"| {r['concurrency']} | {r['repeats']} | {r['conversations']} | {r['messages']} | {_fmt(r['p50_ms'])} | "
            f"{_fmt(r['p95_ms'])} | {_fmt(r['p99_ms'])} | {_fmt(r['messages_per_s'], 1)} | {r['errors']} | "
            f"{r['verified_conversations']}/{r['conversations']} | {_fmt(r['cpu_cores']['rasa'], 2)} | "
            f"{_fmt(r['cpu_cores']['actions'], 2)} | {_fmt(r['machine_busy_cores'], 2)} | "
            f"{_fmt(r['peak_rss_mb_sampled']['rasa'], 0)} / {_fmt(r['peak_rss_mb_sampled']['actions'], 0)} |")
    lines += ["", "Ceiling: `POST /model/parse` alone (NLU only, no dialogue policies, actions or database), "
              "the same messages:", "",
              "| Concurrent | Repeats | Requests | p50 (ms) | p95 (ms) | p99 (ms) | Requests/s | Errors | Rasa CPU | "
              "Webhook p50 / parse p50 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in load["parse"]:
        ratio = load["webhook_over_parse_p50"].get(str(r["concurrency"]))
        lines.append(f"| {r['concurrency']} | {r['repeats']} | {r['messages']} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | "
                     f"{_fmt(r['p99_ms'])} | {_fmt(r['messages_per_s'], 1)} | {r['errors']} | "
                     f"{_fmt(r['cpu_cores']['rasa'], 2)} | {_fmt(ratio, 2)} |")
    w1 = next((r for r in load["webhook"] if r["concurrency"] == 1), None)
    p1 = next((r for r in load["parse"] if r["concurrency"] == 1), None)
    if w1 and p1 and w1.get("cpu_ms_per_message"):
        lines += ["", f"CPU per message at 1 concurrent conversation: Rasa server "
                  f"{_fmt(w1['cpu_ms_per_message']['rasa'])} ms and action server "
                  f"{_fmt(w1['cpu_ms_per_message']['actions'])} ms through the webhook, against "
                  f"{_fmt(p1['cpu_ms_per_message']['rasa'])} ms of Rasa CPU for /model/parse alone. The Rasa "
                  "server runs one event loop, so about one core of it bounds the messages per second."]
    loaded = load.get("model_loaded") or {}
    if loaded.get("modified"):
        lines += ["", f"Model loaded by the servers: `{loaded['path']}` trained {loaded['modified']} "
                  f"({_fmt(loaded['mb'])} MB{'; OLDER than the current training data' if loaded.get('stale') else ''})."]
    peak = load["lifetime_peak_rss_mb"]
    lines += ["", f"Peak RSS over the servers' whole life (VmHWM, incl. children): Rasa {_fmt(peak['rasa'], 0)} MB, "
              f"action server {_fmt(peak['actions'], 0)} MB.", ""]
    lines += _long_md(load.get("long"))
    if load.get("latency_png"):
        lines += [f"Plot: `{load['latency_png']}`", ""]
    return lines


def _long_md(long: Optional[Dict]) -> List[str]:
    if not long:
        return []
    turns = long["p50_ms_by_turn"]
    return [f"Long conversations ({long['conversations']} x {long['turns']} messages, {long['concurrency']} at a "
            f"time): p50 at turn 2 {_fmt(long['turn_2_p50_ms'])} ms, at turn 20 {_fmt(long['turn_20_p50_ms'])} ms "
            f"({_fmt(long['turn_20_over_turn_2_p50'], 2)}x). By turn: "
            + ", ".join(f"{turn}: {_fmt(p50, 0)}" for turn, p50 in turns.items()) + " ms.", ""]


def _baselines_md(results: Dict) -> List[str]:
    baselines = results.get("baselines")
    if not baselines:
        return []
    project = {r["concurrency"]: r for r in (results.get("load") or {}).get("webhook", [])}
    lines = ["## Against Rasa's own bots", "",
             "The same REST load (same messages, levels and repeats) on the reference bots of benchmarks/baselines/.",
             "", "| Bot | Concurrent | Repeats | p50 (ms) | p95 (ms) | Messages/s | Rasa CPU per message (ms) | "
             "Errors | Project p50 / this p50 |", "|---|---|---|---|---|---|---|---|---|"]
    for name, bot in baselines.items():
        for r in bot["webhook"]:
            mine = (project.get(r["concurrency"]) or {}).get("p50_ms")
            ratio = round(mine / r["p50_ms"], 2) if mine and r["p50_ms"] else None
            lines.append(f"| {bot['label']} | {r['concurrency']} | {r['repeats']} | {_fmt(r['p50_ms'])} | "
                         f"{_fmt(r['p95_ms'])} | {_fmt(r['messages_per_s'])} | "
                         f"{_fmt(r['cpu_ms_per_message'].get('rasa'))} | {r['errors']} | {_fmt(ratio, 2)} |")
    lines += [""]
    for name, bot in baselines.items():
        lines += [f"{bot['label']}: " + _long_md(bot.get("long"))[0], ""] if bot.get("long") else []
    lines += [f"**turn_cost_ratio_vs_rasa_init** (project p50 / bare bot p50, 1 conversation): "
              f"{_fmt(results.get('turn_cost_ratio_vs_rasa_init'), 2)}", ""]
    return lines


def _ledger_md(ledger: Optional[Dict]) -> List[str]:
    if not ledger:
        return []
    lines = ["## Ledger size", "",
             "`commands.import_accounts.import_accounts` of a synthetic CSV into a fresh SQLite file, then "
             f"`AccountRepository.get` of random existing ids ({ledger['sizes'][0]['lookups_per_round']:,} per "
             f"round, median of {ledger['sizes'][0]['rounds']} rounds). Import is a single run per size.", "",
             "| Accounts | CSV written (s) | Import (s) | Rows/s | DB size (MB) | Peak RSS of the importing process (MB) | Look-up p50 (ms) | Look-up p95 (ms) |",
             "|---|---|---|---|---|---|---|---|"]
    for s in ledger["sizes"]:
        lines.append(f"| {s['rows']:,} | {_fmt(s['csv_generation_s'], 2)} | {_fmt(s['import_s'], 2)} | "
                     f"{_fmt(s['import_rows_per_s'])} | {_fmt(s['db_size_mb'])} | "
                     f"{_fmt(s.get('peak_rss_after_import_mb'), 0)} ({_fmt(s.get('rss_before_import_mb'), 0)} before) | "
                     f"{_fmt(s['lookup_p50_ms'], 3)} | "
                     f"{_fmt(s['lookup_p95_ms'], 3)} |")
    lines += ["", "Peak RSS is the benchmark process's high-water mark after each import (`import_accounts` reads "
              "and validates the whole file into memory before writing, so it grows with the file).", "",
              f"Look-up p50 ratio largest/smallest ledger: {_fmt(ledger['lookup_p50_ratio_largest_smallest'], 2)}; "
              f"query plan: `{ledger['sizes'][-1]['query_plan']}` (primary-key index: "
              f"{'yes' if ledger['lookup_uses_primary_key'] else 'NO'}).", ""]
    if ledger.get("plot_png"):
        lines += [f"Plot: `{ledger['plot_png']}`", ""]
    return lines


def _startup_md(startup: Optional[Dict], training: Optional[Dict], model: Optional[Dict]) -> List[str]:
    if not (startup or training or model):
        return []
    lines = ["## Start-up, training and model size", "", "| Figure | Value | Runs |", "|---|---|---|"]
    if startup:
        lines.append(f"| `python -m launcher` (what `make run` starts once set up) to the first answer on the REST "
                     f"webhook | {_fmt(startup['first_answer_s'])} s | 1 |")
        lines.append(f"| Stop after SIGINT to its process group | {_fmt(startup['stop_s'])} s; "
                     f"{startup['processes_running_at_stop']} processes were running under the launcher, "
                     f"{startup['leftover_processes_after_sigint']} left over | 1 |")
    if training:
        lines.append(f"| `rasa train --force` of the full project (NLU + dialogue, empty cache) | "
                     f"{_fmt(training['train_s'])} s (exit {training['exit_code']}) | 1 |")
    if model:
        lines.append(f"| Model size (`{model['path']}`, trained {model.get('modified')}) | {_fmt(model['mb'], 1)} MB | - |")
    lines.append("")
    if model and model.get("stale"):
        lines += [f"**Note:** the model the servers loaded is older than {', '.join(model['newer_training_files'][:5])}: "
                  "the conversation figures are for that model, not for the current training data.", ""]
    return lines


# --- console summary ---------------------------------------------------------------------------------------

def summary(results: Dict) -> str:
    out = [f"Benchmark {'(smoke) ' if results['smoke'] else ''}done in {results['wall_s']:.0f} s on "
           f"{results['machine']['cpu_model']} x{results['machine']['cores']}"]
    nlu = results.get("nlu")
    if nlu:
        for p in nlu["pipelines"].values():
            if p.get("scores"):
                out.append(f"  NLU {p['label']:<34} accuracy {_pct(p['scores']['accuracy']):>6}  "
                           f"macro-F1 {p['scores']['macro_f1']:.3f}")
        for k, v in (nlu.get("ratios") or {}).items():
            out.append(f"  {k}: {v:.3f}")
    ent = results.get("entities")
    if ent:
        out.append(f"  Entities: dates {_pct(ent['date']['accuracy'])} ({ent['date']['correct']}/"
                   f"{ent['date']['examples']}), amounts {_pct(ent['amount']['accuracy'])} "
                   f"({ent['amount']['correct']}/{ent['amount']['examples']})")
    load = results.get("load")
    if load:
        for r in load["webhook"]:
            out.append(f"  Webhook c={r['concurrency']:<3} p50 {_fmt(r['p50_ms'])} ms  p95 {_fmt(r['p95_ms'])} ms  "
                       f"p99 {_fmt(r['p99_ms'])} ms  {_fmt(r['messages_per_s'])} msg/s  errors {r['errors']}")
        for r in load["parse"]:
            out.append(f"  Parse   c={r['concurrency']:<3} p50 {_fmt(r['p50_ms'])} ms  "
                       f"{_fmt(r['messages_per_s'])} req/s  (webhook/parse p50 "
                       f"{_fmt(load['webhook_over_parse_p50'].get(str(r['concurrency'])), 2)})")
    if load and load.get("long"):
        out.append(f"  Long conversations: p50 turn 2 {_fmt(load['long']['turn_2_p50_ms'])} ms, turn 20 "
                   f"{_fmt(load['long']['turn_20_p50_ms'])} ms")
    for name, bot in (results.get("baselines") or {}).items():
        for r in bot["webhook"]:
            out.append(f"  {bot['label']} c={r['concurrency']:<3} p50 {_fmt(r['p50_ms'])} ms  "
                       f"{_fmt(r['messages_per_s'])} msg/s  errors {r['errors']}")
    if results.get("turn_cost_ratio_vs_rasa_init") is not None:
        out.append(f"  turn_cost_ratio_vs_rasa_init: {_fmt(results['turn_cost_ratio_vs_rasa_init'], 2)}")
    ledger = results.get("ledger")
    if ledger:
        for s in ledger["sizes"]:
            out.append(f"  Ledger {s['rows']:>9,}: import {s['import_s']:.1f} s, look-up p50 {s['lookup_p50_ms']:.3f} ms")
    if results.get("startup"):
        out.append(f"  Start-up to first answer: {_fmt(results['startup']['first_answer_s'])} s")
    if results.get("training"):
        out.append(f"  Full training: {_fmt(results['training']['train_s'])} s")
    if results.get("model"):
        out.append(f"  Model size: {_fmt(results['model']['mb'])} MB")
    if results.get("section_errors"):
        out.append(f"  FAILED sections: {', '.join(results['section_errors'])}")
    return "\n".join(out)


def write(results: Dict, out: Path) -> Dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "benchmark.md", out / "benchmark.json"
    md.write_text(markdown(results))
    js.write_text(json.dumps(results, indent=2, default=str))
    return {"markdown": md, "json": js}
