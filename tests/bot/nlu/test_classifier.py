"""The linear intent classifier, trained, stored and loaded through Rasa's own model storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import ClassifierNotLoadable, LinearIntentClassifier

EXAMPLES = {
    "need_recruitment": [
        "etsimme uutta työntekijää varastoon",
        "tarvitsemme kuljettajia",
        "haemme hitsaajaa töihin",
        "yritys tarvitsee lisää työntekijöitä",
    ],
    "need_job_search": [
        "etsin töitä",
        "haen työpaikkaa kouvolasta",
        "olen työtön ja etsin työtä",
        "mistä löydän työpaikan",
    ],
    "greet": ["hei", "moi", "terve", "päivää"],
}


class Featurizer:
    """Rasa's whitespace tokenizer and word counts: real features for the classifier."""

    def __init__(self, storage: LocalModelStorage, context: ExecutionContext) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage, Resource("counts"), context
        )

    def fit(self, data: TrainingData) -> None:
        self.tokenizer.process_training_data(data)
        self.counts.train(data)
        self.counts.process_training_data(data)

    def message(self, text: str) -> Message:
        message = Message.build(text=text)
        self.tokenizer.process([message])
        self.counts.process([message])
        return message


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def training_data(examples: dict[str, list[str]]) -> TrainingData:
    return TrainingData([Message.build(text=text, intent=intent) for intent, texts in examples.items() for text in texts])


def trained(
    storage: LocalModelStorage, context: ExecutionContext, config: dict[str, object] | None = None
) -> tuple[LinearIntentClassifier, Featurizer]:
    data = training_data(EXAMPLES)
    featurizer = Featurizer(storage, context)
    featurizer.fit(data)
    classifier = LinearIntentClassifier.create(config or {}, storage, Resource("classifier"), context)
    classifier.train(data)
    return classifier, featurizer


def test_it_ranks_every_intent_by_a_probability(storage: LocalModelStorage, context: ExecutionContext) -> None:
    classifier, featurizer = trained(storage, context)
    message = featurizer.message("etsin työtä kouvolasta")
    classifier.process([message])
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "need_job_search"
    assert {entry["name"] for entry in ranking} == set(EXAMPLES)
    confidences = [entry["confidence"] for entry in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_ranking_length_limits_the_ranking(storage: LocalModelStorage, context: ExecutionContext) -> None:
    classifier, featurizer = trained(storage, context, {"ranking_length": 2})
    message = featurizer.message("hei")
    classifier.process([message])
    assert message.get("intent")["name"] == "greet"
    assert len(message.get("intent_ranking")) == 2


def test_a_loaded_classifier_answers_as_the_trained_one(storage: LocalModelStorage, context: ExecutionContext) -> None:
    classifier, featurizer = trained(storage, context)
    loaded = LinearIntentClassifier.load({}, storage, Resource("classifier"), context)
    for text in ("tarvitsemme hitsaajia", "haen työpaikkaa", "moi"):
        first, second = featurizer.message(text), featurizer.message(text)
        classifier.process([first])
        loaded.process([second])
        assert first.get("intent_ranking") == second.get("intent_ranking")


def test_the_weights_are_ready_for_scoring_without_a_copy(storage: LocalModelStorage, context: ExecutionContext) -> None:
    """Scoring multiplies by the transposed weights; stored column-major, that transpose needs no copy."""
    classifier, featurizer = trained(storage, context)
    loaded = LinearIntentClassifier.load({}, storage, Resource("classifier"), context)
    for model in (classifier._model, loaded._model):
        assert model is not None and model.words is not None
        assert model.words.classifier.coef_.T.flags["C_CONTIGUOUS"]
    assert loaded._model is not None and loaded._model.words is not None
    words = loaded._model.words
    sparse, _ = LinearIntentClassifier._features(featurizer.message("haen työpaikkaa kouvolasta"))
    assert sparse is not None
    features = words.tfidf.transform(sparse)
    scores = features @ np.ascontiguousarray(words.classifier.coef_).T + words.classifier.intercept_
    np.testing.assert_allclose(words.classifier.decision_function(features), scores)


def test_a_stored_file_with_untrusted_types_is_refused(
    storage: LocalModelStorage, context: ExecutionContext, tmp_path: Path
) -> None:
    trained(storage, context)
    with storage.write_to(Resource("classifier")) as directory:
        sio.dump({"payload": Path("/etc/passwd")}, directory / "classifier.skops")
    with pytest.raises(ClassifierNotLoadable, match="not trusted"):
        LinearIntentClassifier.load({}, storage, Resource("classifier"), context)


def test_a_message_without_features_gets_no_intent(storage: LocalModelStorage, context: ExecutionContext) -> None:
    classifier, _ = trained(storage, context)
    message = Message.build(text="")
    classifier.process([message])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_one_intent_is_not_enough_to_train(storage: LocalModelStorage, context: ExecutionContext) -> None:
    data = training_data({"greet": EXAMPLES["greet"]})
    featurizer = Featurizer(storage, context)
    featurizer.fit(data)
    classifier = LinearIntentClassifier.create({}, storage, Resource("single"), context)
    classifier.train(data)
    message = featurizer.message("hei")
    classifier.process([message])
    assert message.get("intent")["name"] is None
    loaded = LinearIntentClassifier.load({}, storage, Resource("single"), context)
    loaded.process([message])
    assert message.get("intent")["name"] is None


def test_features_are_rasas_sentence_features_in_two_matrices() -> None:
    """The classifier's own combination equals Rasa's getters: the sparse ones in order, the dense ones apart."""
    rng = np.random.default_rng(7)

    def sparse(columns: int, rows: int = 1) -> scipy.sparse.coo_matrix:
        return scipy.sparse.random(rows, columns, density=0.5, format="coo", random_state=rng)

    message = Message(data={TEXT: "etsin töitä kouvolasta"})
    for feature in (
        Features(sparse(5, 3), FEATURE_TYPE_SEQUENCE, TEXT, "words"),
        Features(sparse(5), FEATURE_TYPE_SENTENCE, TEXT, "words"),
        Features(rng.random((1, 3)), FEATURE_TYPE_SENTENCE, TEXT, "dense"),
        Features(sparse(7), FEATURE_TYPE_SENTENCE, TEXT, "characters"),
        Features(sparse(4), FEATURE_TYPE_SENTENCE, INTENT, "labels"),
    ):
        message.add_features(feature)
    _, rasa_sparse = message.get_sparse_features(TEXT)
    _, rasa_dense = message.get_dense_features(TEXT)
    assert rasa_sparse is not None and rasa_dense is not None

    sparse_features, dense_features = LinearIntentClassifier._features(message)

    assert sparse_features is not None and sparse_features.shape == (1, 12)
    np.testing.assert_array_equal(sparse_features.toarray(), rasa_sparse.features.toarray())
    assert dense_features is not None
    np.testing.assert_array_equal(dense_features, rasa_dense.features)
