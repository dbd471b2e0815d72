"""Readers of what a conversation's messages do, for the rubric (``actions.rubric``): the collector's moves from
the practice model (``models/practice.tar.gz``), the debtor's intent from the main model (``models/current.tar.gz``).

``HttpReaders`` ask running Rasa servers (``POST /model/parse``); ``InProcessReaders`` load both models here.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

import requests

from actions.policy_files import PROJECT_ROOT
from actions.practice.moves import moves_from_parse, unlawful_tactics

PRACTICE_MODEL = PROJECT_ROOT / "models" / "practice.tar.gz"
MAIN_MODEL = PROJECT_ROOT / "models" / "current.tar.gz"


class ReaderError(RuntimeError):
    """A model could not be asked (server down, model missing)."""


Parse = Callable[[str], Dict[str, Any]]


class ModelReaders:
    """Moves from a practice-model parse, the intent from a main-model parse, tactics from the patterns."""

    def __init__(self, practice_parse: Parse, main_parse: Parse):
        self._practice_parse, self._main_parse = practice_parse, main_parse

    def moves(self, text: str) -> Set[str]:
        return set(moves_from_parse(self._practice_parse(text)))

    def intent(self, text: str) -> Optional[str]:
        return (self._main_parse(text).get("intent") or {}).get("name")

    def tactics(self, text: str) -> List[str]:
        return list(unlawful_tactics(text))


class HttpReaders(ModelReaders):
    """Over the HTTP API of the practice and main Rasa servers (started with ``--enable-api``)."""

    def __init__(self, practice_url: str, main_url: str, token: str, timeout: float = 30):
        self.practice_url, self.main_url = practice_url.rstrip("/"), main_url.rstrip("/")
        self.token, self.timeout = token, timeout
        self.session = requests.Session()
        super().__init__(lambda text: self._parse(self.practice_url, text),
                         lambda text: self._parse(self.main_url, text))

    def _parse(self, url: str, text: str) -> Dict[str, Any]:
        try:
            response = self.session.post(f"{url}/model/parse", params={"token": self.token},
                                         json={"text": text}, timeout=self.timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ReaderError(f"could not read a message with the model at {url}: {exc}") from exc


class InProcessReaders(ModelReaders):
    """Both models loaded in this process with Rasa's Agent (a few seconds and a few hundred MB)."""

    def __init__(self, practice_model: Path = PRACTICE_MODEL, main_model: Path = MAIN_MODEL):
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)  # else Rasa's structured debug lines go to stdout

        if str(PROJECT_ROOT) not in sys.path:
            sys.path.insert(0, str(PROJECT_ROOT))  # the models' custom components live in the project
        for model in (practice_model, main_model):
            if not Path(model).is_file():
                raise ReaderError(f"model {model} is missing (make practice-model / make train)")
        self._loop = asyncio.new_event_loop()
        practice, main = Agent.load(str(practice_model)), Agent.load(str(main_model))
        super().__init__(lambda text: self._run(practice, text), lambda text: self._run(main, text))

    def _run(self, agent, text: str) -> Dict[str, Any]:
        return self._loop.run_until_complete(agent.parse_message(text))
