"""The sentence encoder in the pipeline: its featurizer, the classifier's meaning block, and a trained model offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import LinearIntentClassifier
from bot.nlu.encoder import DIMENSION, shared_encoder
from bot.nlu.meaning import EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER, SentenceEncoderFeaturizer, with_contact_placeholders
from bot.settings import PROJECT_ROOT
from tests.bot.nlu.test_classifier import Featurizer

# Finnish examples only: the meaning block alone must carry English and Swedish to the same needs.
EXAMPLES = {
    "need_job_search": ["etsin töitä", "haen työpaikkaa", "olen työtön ja etsin työtä", "mistä löytäisin töitä"],
    "need_recruitment": ["etsimme uutta työntekijää", "tarvitsemme kuljettajia", "haemme hitsaajaa", "yritys palkkaa"],
    "greet": ["hei", "moi", "terve", "hyvää päivää"],
}


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "meaning")


def training_data() -> TrainingData:
    return TrainingData([Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts])


def featurizer(storage: LocalModelStorage, context: ExecutionContext) -> SentenceEncoderFeaturizer:
    return SentenceEncoderFeaturizer.create({}, storage, Resource("meaning"), context)


def test_each_message_gets_the_encoders_sentence_vector(storage: LocalModelStorage, context: ExecutionContext) -> None:
    message, empty = Message.build(text="haluan töihin satamaan"), Message(data={TEXT: ""})
    featurizer(storage, context).process([message, empty])
    (feature,) = message.features
    assert (feature.type, feature.attribute, feature.features.shape) == (FEATURE_TYPE_SENTENCE, TEXT, (1, DIMENSION))
    np.testing.assert_array_equal(feature.features[0], shared_encoder().queries(["haluan töihin satamaan"])[0])
    assert empty.features == []


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("matti.meikalainen@firma.fi", EMAIL_PLACEHOLDER),
        ("sposti on anna@koulu.fi ja puh 040 1234567", f"sposti on {EMAIL_PLACEHOLDER} ja puh {PHONE_PLACEHOLDER}"),
        ("soita +358 50 765 4321, kiitos", f"soita {PHONE_PLACEHOLDER}, kiitos"),
        ("<b>x@y.org</b>", f"<b>{EMAIL_PLACEHOLDER}</b>"),
        # what only looks like contact details stays as written
        ("tarvitaan 2 hitsaajaa", "tarvitaan 2 hitsaajaa"),
        ("postinumero 48100 Kotka", "postinumero 48100 Kotka"),
        ("synnyin 5.12.1990", "synnyin 5.12.1990"),
        ("a@b", "a@b"),
        ("", ""),
    ],
)
def test_contact_details_reach_the_encoder_as_placeholders(text: str, seen: str) -> None:
    assert with_contact_placeholders(text) == seen


def test_messages_that_differ_only_in_whose_address_it_is_get_one_vector(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    messages = [Message.build(text=f"sähköpostini on {who}@example.org") for who in ("anna", "pekka.virtanen")]
    featurizer(storage, context).process(messages)
    first, second = (m.features[0].features[0] for m in messages)
    np.testing.assert_array_equal(first, second)
    expected = shared_encoder().queries([f"sähköpostini on {EMAIL_PLACEHOLDER}"])[0]
    np.testing.assert_array_equal(first, expected)


def test_a_bad_thread_count_is_refused_with_what_to_set() -> None:
    with pytest.raises(ValueError, match="threads must be a whole number"):
        SentenceEncoderFeaturizer.validate_config({"threads": 0})


def test_the_meaning_block_alone_carries_other_languages_to_the_right_need(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    data = training_data()
    encoder = featurizer(storage, context)
    encoder.process_training_data(data)
    classifier = LinearIntentClassifier.create({}, storage, Resource("classifier"), context)
    classifier.train(data)
    loaded = LinearIntentClassifier.load({}, storage, Resource("classifier"), context)
    expected = {"I am looking for a job": "need_job_search", "vi söker nya anställda": "need_recruitment", "hejsan": "greet"}
    for text, intent in expected.items():
        message = Message.build(text=text)
        encoder.process([message])
        loaded.process([message])
        assert message.get("intent")["name"] == intent, text
    assert loaded._model is not None and loaded._model.meaning is not None and loaded._model.words is None
    meaning = loaded._model.meaning
    row = meaning.matrix(np.asarray(shared_encoder().queries(["etsin töitä"]), dtype=np.float64))
    assert np.linalg.norm(row) == pytest.approx(1.0)
    vectors = shared_encoder().queries([t for ts in EXAMPLES.values() for t in ts])
    np.testing.assert_allclose(meaning.mean, vectors.mean(axis=0), atol=1e-6)


def test_with_both_views_the_probabilities_are_blended_by_the_meanings_share(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    data = training_data()
    words = Featurizer(storage, context)
    words.fit(data)
    encoder = featurizer(storage, context)
    encoder.process_training_data(data)
    classifier = LinearIntentClassifier.create({"meaning_share": 0.25}, storage, Resource("both"), context)
    classifier.train(data)
    message = words.message("etsin töitä kotkasta")
    encoder.process([message])
    classifier.process([message])
    model = classifier._model
    assert model is not None and model.words is not None and model.meaning is not None
    sparse, dense = LinearIntentClassifier._features(message)
    assert sparse is not None and dense is not None
    blended = 0.75 * model.words.probabilities(sparse) + 0.25 * model.meaning.probabilities(dense)
    ranking = {entry["name"]: entry["confidence"] for entry in message.get("intent_ranking")}
    for name, value in zip(model.classes, blended[0], strict=True):
        assert ranking[str(name)] == pytest.approx(value)
    assert message.get("intent")["name"] == "need_job_search"


PARSE = """
import asyncio, json, sys
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
parsed = asyncio.run(agent.parse_message(sys.argv[2]))
print(json.dumps({"intent": parsed["intent"]["name"], "confidence": parsed["intent"]["confidence"]}))
"""


def test_the_trained_model_loads_and_parses_in_a_fresh_process_without_a_network() -> None:
    """``unshare --net`` (util-linux, on every Debian) runs the parse in a network namespace with no interface up."""
    model = PROJECT_ROOT / "models" / "frontdoor.tar.gz"
    assert model.exists(), "make setup trains models/frontdoor.tar.gz before the tests"
    result = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", PARSE, str(model), "haluaisin töihin satamaan, mistä aloittaisin?"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false", "HOME": str(PROJECT_ROOT / "var")},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed["intent"] in {"need_job_search", "need_competence_path"}
    assert parsed["confidence"] > 0.3
