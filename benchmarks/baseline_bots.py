"""The benchmark's reference bots (benchmarks/baselines/, see the README there): a bare `rasa init` bot, and the same
plus one custom action. Each is trained at bench time into var/bench-baselines/<name>/ (kept while its files are
unchanged) and served by plain `rasa run` (and `python -m rasa_sdk`) on free loopback ports, for the same REST load
as the project (benchmarks.load)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from launcher import processes
from launcher.processes import ROOT, free_port, wait_for
from launcher.stack import TOKEN

BIN = Path(sys.executable).parent
BASELINES = ROOT / "benchmarks" / "baselines"
RASA_INIT = BASELINES / "rasa_init"
MODELS = ROOT / "var" / "bench-baselines"
# the baseline's own actions package, by full name: a bare "actions" would be the project's (the servers run in ROOT)
ACTIONS_PACKAGE = "benchmarks.baselines.rasa_init_action.actions"


@dataclass(frozen=True)
class Baseline:
    name: str  # its folder under benchmarks/baselines/
    label: str
    data: List[Path]
    with_action: bool = False

    @property
    def folder(self) -> Path:
        return BASELINES / self.name

    @property
    def model(self) -> Path:
        return MODELS / self.name / f"{self.name}.tar.gz"

    def sources(self) -> List[Path]:
        return sorted(p for root in (RASA_INIT, self.folder) for p in root.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)


BASELINE_BOTS = (
    Baseline("rasa_init", "bare `rasa init` bot", [RASA_INIT / "data"]),
    Baseline("rasa_init_action", "`rasa init` bot + one custom action",
             [RASA_INIT / "data" / "nlu.yml", BASELINES / "rasa_init_action" / "data"], with_action=True),
)


def train(baseline: Baseline, log: Callable[[str], None] = print) -> Path:
    """``rasa train`` of the baseline into var/bench-baselines/<name>/, unless its model is newer than its files."""
    model = baseline.model
    if model.exists() and model.stat().st_mtime > max(p.stat().st_mtime for p in baseline.sources()):
        log(f"    {baseline.label}: model up to date ({model.relative_to(ROOT)})")
        return model
    log(f"    {baseline.label}: rasa train (rasa init's default config) into {model.parent.relative_to(ROOT)}/")
    model.parent.mkdir(parents=True, exist_ok=True)
    training_log = model.parent / "train.log"
    config = model.parent / "config.yml"  # a copy: rasa train writes the default pipeline into it, as in rasa init
    shutil.copyfile(RASA_INIT / "config.yml", config)
    with open(training_log, "w") as output:
        result = subprocess.run(
            [str(BIN / "rasa"), "train", "--config", str(config),
             "--domain", str(baseline.folder / "domain.yml"), "--data", *map(str, baseline.data),
             "--out", str(model.parent), "--fixed-model-name", baseline.name],
            cwd=model.parent, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, stdout=output,
            stderr=subprocess.STDOUT)
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"training {baseline.name} failed:\n" + processes.tail(training_log))
    return model


@dataclass
class BaselineStack:
    """A baseline bot's `rasa run` (REST channel, HTTP API behind the same token as the project's) and, with an
    action, a plain rasa_sdk action server; the shape benchmarks.load.run drives."""
    baseline: Baseline
    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    named: Dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> "BaselineStack":
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "BaselineStack":
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
               "BASELINE_ACTION_URL": f"http://127.0.0.1:{self.action_port}/webhook"}
        folder = self.baseline.folder
        if self.baseline.with_action:
            log = self.workdir / "actions.log"
            self.named["actions"] = processes.spawn(
                [sys.executable, "-m", "rasa_sdk", "--actions", ACTIONS_PACKAGE, "--port", str(self.action_port)],
                env, log)
            wait_for(f"http://127.0.0.1:{self.action_port}/health", self.named["actions"], log)
        endpoints = folder / "endpoints.yml"
        log = self.workdir / "rasa.log"
        self.named["rasa"] = processes.spawn(
            [str(BIN / "rasa"), "run", "--model", str(self.baseline.model), "--credentials",
             str(folder / "credentials.yml"), "--endpoints", str(endpoints if endpoints.exists() else
                                                                 RASA_INIT / "endpoints.yml"),
             "--interface", "127.0.0.1", "--port", str(self.rasa_port), "--enable-api", "--auth-token", TOKEN],
            env, log)
        wait_for(f"{self.rasa_url}/status?token={TOKEN}", self.named["rasa"], log, timeout=600)
        return self

    def stop(self) -> None:
        processes.stop(list(reversed(list(self.named.values()))))


def run(levels, log: Callable[[str], None], workdir: Path, long: Optional[tuple] = None) -> Dict:
    """Each baseline trained (if needed), started, put through benchmarks.load at ``levels``, stopped."""
    from benchmarks import load

    results: Dict[str, Dict] = {}
    for baseline in BASELINE_BOTS:
        train(baseline, log)
        stack = BaselineStack(baseline, workdir / baseline.name).start()
        log(f"    {baseline.label}: serving on {stack.rasa_url}")
        try:
            result = load.run(stack, levels, [], log=log, long=long)
        finally:
            stack.stop()
        result["label"] = baseline.label
        results[baseline.name] = result
    return results
