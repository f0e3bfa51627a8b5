"""Rasa graph components of the Finnish pipeline (referenced from ``config.yml``).

- :class:`VoikkoTokenizer`: spaCy's Finnish tokenizer; each token's lemma is
  Voikko's base form plus compound parts. Word features can use the lemma
  (``use_lemma: true``) while character n-grams keep the surface form.
- :class:`MorphologyFeaturizer`: person, number, mood and possessive suffix
  as features of their own: "etsimme" (we seek) and "etsin" (I seek) share a
  lemma but not a customer.
- :class:`FrontDoorEntityExtractor`: ``municipality`` (with ``place_named``,
  the place as the customer named it), ``sector``, ``email`` and ``phone`` by
  rule, on lemmas, fed by the data files.

A component's code is not stored in the model: this module must be importable
wherever a model is loaded, and :meth:`fingerprint_addon` makes Rasa's
training cache notice when the code or the data files change.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import LanguageDetector
from bot.nlu.entities import EntityFinder
from bot.nlu.morphology import Analysis, FinnishMorphology

TOKENS = "text_tokens"
_SOURCES = [
    *(
        Path(__file__).resolve().parent / name
        for name in ("components.py", "morphology.py", "entities.py", "lemmas.py", "sectors.py")
    ),
    Path(__file__).resolve().parent.parent / "language.py",
]
_DATA = Path(__file__).resolve().parent.parent / "data"


def _fingerprint(*extra: Path) -> str:
    digest = hashlib.sha256()
    for path in [*_SOURCES, *extra]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# A message is read as Finnish unless the detector is at least this sure it is not.
NOT_FINNISH_CONFIDENCE = 0.5
# What is stripped from a token before it is looked up.
_PUNCTUATION = ".,!?;:\"'()"


@functools.cache
def morphology() -> FinnishMorphology:
    """One Voikko instance per process (a handle to a C library), opened on first use."""
    return FinnishMorphology()


@functools.cache
def detector() -> LanguageDetector:
    """One language detector per process (a model of 100 MB), loaded on first use."""
    return LanguageDetector()


def is_finnish(text: str) -> bool:
    """Whether Voikko should read ``text``: it takes English "on", "me" and "sure" for Finnish words."""
    detection = detector().detect(text)
    return detection is None or detection.language == "fi" or detection.confidence < NOT_FINNISH_CONFIDENCE


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VoikkoTokenizer(WhitespaceTokenizer):
    """Tokens split like Rasa's whitespace tokenizer, lemmas from Voikko."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "compound_parts": True, "other_languages_as_written": True}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return _fingerprint()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VoikkoTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute != TEXT:
            return tokens
        if self._config["other_languages_as_written"] and not is_finnish(message.get(TEXT) or ""):
            # English and Swedish: the word as written; Voikko would misread it.
            for token in tokens:
                token.lemma = token.text.lower().strip(_PUNCTUATION)
            return tokens
        analyse = morphology().analyse
        for token in tokens:
            analysis = analyse(token.text.strip(_PUNCTUATION))
            token.lemma = analysis.lemma_string if self._config["compound_parts"] else analysis.lemma
            token.set("morphology", analysis)
        return tokens


def _morph_features(analysis: Analysis | None) -> list[str]:
    if analysis is None or not analysis.known:
        return []
    features = []
    if analysis.person:
        features.append(f"person={analysis.person}/{analysis.number or '-'}")
    if analysis.mood:
        features.append(f"mood={analysis.mood}")
    if analysis.possessive:
        features.append(f"possessive={analysis.possessive}")
    return features


MORPH_VOCABULARY = sorted(
    {f"person={p}/{n}" for p in ("1", "2", "3", "4") for n in ("singular", "plural", "-")}
    | {
        f"mood={m}"
        for m in ("indicative", "conditional", "imperative", "potential", "A-infinitive", "E-infinitive", "MA-infinitive")
    }
    | {f"possessive={s}" for s in ("1s", "2s", "1p", "2p", "3")}
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MorphologyFeaturizer(SparseFeaturizer, GraphComponent):
    """One-hot person/number, mood and possessive suffix per token, summed for the sentence."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SparseFeaturizer.get_default_config()}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return _fingerprint()

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self._index = {name: i for i, name in enumerate(MORPH_VOCABULARY)}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MorphologyFeaturizer:
        return cls(config, execution_context)

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS)
        if not tokens:
            return
        rows, cols = [], []
        for row, token in enumerate(tokens):
            for name in _morph_features(token.get("morphology")):
                if name in self._index:
                    rows.append(row)
                    cols.append(self._index[name])
        shape = (len(tokens), len(self._index))
        sequence = scipy.sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
        sentence = scipy.sparse.coo_matrix(sequence.sum(axis=0).clip(0, 1))
        self.add_features_to_message(sequence=sequence, sentence=sentence, attribute=TEXT, message=message)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class FrontDoorEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Municipality (and the place named), sector, email and phone, whatever their inflection."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return _fingerprint(_DATA / "municipalities.yml", _DATA / "sector_words.yml", _DATA / "needs.yml")

    def __init__(self, finder: EntityFinder) -> None:
        self._finder = finder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrontDoorEntityExtractor:
        return cls(EntityFinder.load(morphology()))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name([entity.as_rasa() for entity in self._finder.find(text)])
            message.set(ENTITIES, [*message.get(ENTITIES, []), *found], add_to_output=True)
        return messages
