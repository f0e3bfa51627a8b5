"""What offerings mean: the customer's words compared with each offering by sentence vectors.

Words alone miss "haluan töihin satamaan" (I want to work at the port) for
port logistics: no word is shared. A multilingual sentence encoder (E5, see
:mod:`bot.nlu.encoder`) puts texts that mean the same near each other, in
Finnish, Swedish and English alike.

Each offering is encoded once, when the catalogue loads, as one passage per
language it has a title in: the title, the summary in that language and the
keywords (which mix languages). The customer's words are a query; an
offering's similarity is the best of its passages' (cosine, the vectors being
normalised), so a Swedish question meets an offering's Swedish passage and a
Finnish one its Finnish passage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.nlu.encoder import SentenceEncoder
from bot.paths.offerings import Offering


def passages(offering: Offering) -> list[str]:
    """The texts an offering is known by: one per language of its titles (title, that language's summary, keywords)."""
    keywords = ", ".join(offering.keywords)
    texts = []
    for language, title in offering.title.items():
        parts = [title, offering.summary.get(language, ""), keywords]
        texts.append(". ".join(part.strip().rstrip(".") for part in parts if part.strip()))
    return texts


class OfferingMeanings:
    """The offerings' passage vectors, computed once; each offering's similarity to what a customer writes."""

    def __init__(self, encoder: SentenceEncoder, offerings: Sequence[Offering]) -> None:
        self._encoder = encoder
        self.size = len(offerings)
        texts: list[str] = []
        owners: list[int] = []
        for index, offering in enumerate(offerings):
            for text in passages(offering):
                texts.append(text)
                owners.append(index)
        self._owners = np.asarray(owners, dtype=np.intp)
        self._vectors = encoder.passages(texts) if texts else np.zeros((0, encoder.dimension), dtype=np.float32)

    def similarities(self, text: str) -> list[float]:
        """Each offering's cosine similarity to ``text`` (the best of its passages), in the offerings' order; 0 for no words."""
        if not text.strip() or not self.size:
            return [0.0] * self.size
        query = self._encoder.queries([text])[0]
        scores = self._vectors @ query
        best = np.full(self.size, -1.0, dtype=np.float64)
        np.maximum.at(best, self._owners, scores.astype(np.float64))
        return [float(score) for score in best]
