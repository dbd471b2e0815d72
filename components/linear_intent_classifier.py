"""Intent classifier: TF-IDF over word 1-2-grams and character 2-5-grams, then logistic regression.

Words come from components/segmentation.py (jieba for Chinese), so one model serves English, Spanish and Chinese;
character n-grams catch Spanish typos and Chinese phrasing the segmenter cuts differently.

On our held-out split it beats DIET without pretrained embeddings (see `make bench`), trains in seconds
on two cores, and its probabilities feed the FallbackClassifier like any other intent classifier.
"""
from __future__ import annotations

import logging
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
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from components.segmentation import segment

logger = logging.getLogger(__name__)
MODEL_FILE = "linear_intent_classifier.joblib"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # liblinear (one-vs-rest): as accurate as multinomial lbfgs on our three languages' held-out splits and
        # trains in seconds instead of minutes on ~12,000 examples; character 1-grams carry Chinese words.
        # C: 5-fold cross-validated macro-F1 per language (en/es/zh) was 0.911/0.904/0.891 at C=5,
        # 0.915/0.911/0.897 at 10, 0.917/0.915/0.902 at 20, 0.917/0.917/0.903 at 40 (2026-11-23).
        return {"C": 20.0, "solver": "liblinear", "max_iter": 3000, "word_ngrams": [1, 2], "char_ngrams": [1, 5],
                "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Pipeline] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def _new_model(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(tokenizer=segment, token_pattern=None, lowercase=False,
                            ngram_range=tuple(self.config["word_ngrams"]), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.config["char_ngrams"]), sublinear_tf=True))
        return make_pipeline(features, LogisticRegression(C=self.config["C"], solver=self.config["solver"],
                                                          max_iter=self.config["max_iter"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained.")
            return self._resource
        self.model = self._new_model()
        self.model.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained LinearIntentClassifier found; it will not predict intents.")
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if self.model is None or not text:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            probabilities = self.model.predict_proba([text])[0]
            ranked = sorted(zip(self.model.classes_, probabilities), key=lambda pair: -pair[1])
            ranking = [{INTENT_NAME_KEY: str(name), PREDICTED_CONFIDENCE_KEY: float(p)}
                       for name, p in ranked[: self.config["ranking_length"]]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
