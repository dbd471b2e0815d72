"""Multi-move classifier for the practice assistant: every collector move a message makes, not just one.

The same TF-IDF + logistic regression as components/linear_intent_classifier.py, trained on single-move
examples, applied to the whole message and to each of its clauses. The message's moves are the whole message's
best move plus every clause's best move that is confident enough; they go out as ``moves`` (a list) next to
the usual ``intent`` (the most confident move) and ``intent_ranking`` (each move's best confidence).
actions/practice/moves.py reads them back with ``moves_from_parse``.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from components.linear_intent_classifier import LinearIntentClassifier

logger = logging.getLogger(__name__)
MODEL_FILE = "move_classifier.joblib"
MOVES = "moves"

# Sentence ends, semicolons and dashes end a clause, and so does Chinese sentence punctuation (。！？；) and
# Spanish opening marks (¿ ¡ start a new clause). A comma or "and"/"but"/"so" (y/pero/así que) does when a new
# clause follows (a subject or a verb-like start), e.g. "I understand, could you pay 200 today?", but not after
# an "if"/"when" (si/cuando) clause, whose second half belongs to it. In Chinese every ，、 may end a clause.
_HARD_BREAK = re.compile(r"(?<=[.!?;])[\s.,]+|(?<=[。！？；])\s*|\s*(?=[¿¡])|\s+[-\u2013\u2014]\s+|\n+")
_STARTS = r"(?:i|i'll|i'm|we|we'll|we're|you|you'll|u|could|can|would|will|let's|lets|please|how|what|why|this|it|" \
          r"if|our|my|your|the|there|" \
          r"yo|usted|ustedes|tú|le|te|me|nos|lo|podría|podrías|puede|puedes|podemos|pagará|pagarás|propongo|qué|" \
          r"cómo|por qué|si|su|tu|mi|el|la|hay|entonces|quedamos|vamos|gracias|esto|eso)\b"
_SOFT_BREAK = re.compile(rf",\s+(?:and\s+|but\s+|so\s+|then\s+|y\s+|pero\s+|así que\s+)?(?={_STARTS})|"
                         rf"\s+(?:and|but|so|y|pero|así que)\s+(?={_STARTS})", re.IGNORECASE)
_CONDITIONAL = re.compile(r"^(?:if|when|unless|once|until|as|because|since|while|after|before|"
                          r"si|cuando|aunque|porque|mientras|hasta|después|antes)\b", re.IGNORECASE)
MIN_CLAUSE_WORDS = 3
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_BREAK = re.compile(r"([，、,])\s*")
# A Chinese piece with fewer letters than this ("15号" in "今天、15号、30号", a closing "可以吗？") belongs to
# the clause before it (an opening one to the clause after it).
MIN_CLAUSE_CJK = 4


def _cjk_clauses(sentence: str) -> List[str]:
    clauses: List[str] = []
    pieces = _CJK_BREAK.split(sentence)  # text, separator, text, ...
    held = ""  # a short piece opening the sentence waits for the next one
    for index in range(0, len(pieces), 2):
        part = held + pieces[index].strip()
        if len(_CJK.findall(part)) + len(re.findall(r"[a-zA-Z]", part)) >= MIN_CLAUSE_CJK:
            clauses.append(part)
            held = ""
        elif clauses:
            clauses[-1] += pieces[index - 1].strip() + part
        else:
            held = part + (pieces[index + 1].strip() if index + 1 < len(pieces) else "")
    return clauses + ([held] if held else [])


def _soft_clauses(sentence: str) -> List[str]:
    if _CJK.search(sentence):
        return _cjk_clauses(sentence)
    clauses: List[str] = []
    for part in (p.strip(" ,") for p in _SOFT_BREAK.split(sentence)):
        if clauses and (len(clauses[-1].split()) < MIN_CLAUSE_WORDS or _CONDITIONAL.match(clauses[-1])):
            clauses[-1] = f"{clauses[-1]}, {part}"
        else:
            clauses.append(part)
    return clauses


def split_clauses(text: str) -> List[str]:
    """The clauses of a message, in order; a message with one clause gives a one-item list."""
    clauses = [c for sentence in _HARD_BREAK.split(text) for c in _soft_clauses(sentence) if c]
    return clauses or [text.strip()]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class MoveClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LinearIntentClassifier.get_default_config(),
                # A clause's best move counts when at least this confident.
                "clause_threshold": 0.4,
                # Intents in the domain that are not collector moves (sent by the HTTP API only): not learnt.
                "ignore_intents": []}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Pipeline] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MoveClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        ignored = set(self.config["ignore_intents"])
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT) not in ignored]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("MoveClassifier needs at least two moves; not trained.")
            return self._resource
        self.model = LinearIntentClassifier(self.config, self._model_storage, self._resource)._new_model()
        self.model.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "MoveClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained MoveClassifier found; it will not predict moves.")
            model = None
        return cls(config, model_storage, resource, model)

    def predict(self, text: str) -> Dict[str, Any]:
        """``{"intent", "intent_ranking", "moves"}`` for one message."""
        clauses = split_clauses(text)
        texts = [text] + (clauses if len(clauses) > 1 else [])
        probabilities = self.model.predict_proba(texts)
        names = [str(name) for name in self.model.classes_]
        best = {name: max(float(row[i]) for row in probabilities) for i, name in enumerate(names)}
        top = names[int(probabilities[0].argmax())]
        moves = {top}
        for row in probabilities[1:]:
            index = int(row.argmax())
            if row[index] >= self.config["clause_threshold"]:
                moves.add(names[index])
        ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p}
                   for name, p in sorted(best.items(), key=lambda pair: -pair[1])][: self.config["ranking_length"]]
        intent = {INTENT_NAME_KEY: top, PREDICTED_CONFIDENCE_KEY: float(probabilities[0].max())}
        return {"intent": intent, "intent_ranking": ranking, MOVES: sorted(moves)}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if self.model is None or not text:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                message.set(MOVES, [], add_to_output=True)
                continue
            prediction = self.predict(text)
            message.set(INTENT, prediction["intent"], add_to_output=True)
            message.set("intent_ranking", prediction["intent_ranking"], add_to_output=True)
            message.set(MOVES, prediction[MOVES], add_to_output=True)
        return messages
