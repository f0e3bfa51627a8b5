"""Finnish base forms from Voikko, for words that inflect ("Kouvolassa" → "Kouvola").

Voikko is a C library (Debian ``libvoikko1`` + ``voikko-fi``) opened once by
the composition root; where it is missing the front door still works on
surface forms and says so in the log.
"""

from __future__ import annotations

import logging
from functools import lru_cache

logger = logging.getLogger(__name__)


class VoikkoLemmatizer:
    """Base forms of a Finnish word, place names first."""

    def __init__(self) -> None:
        import libvoikko  # noqa: PLC0415 - the C library is loaded only when asked for

        self._voikko = libvoikko.Voikko("fi")
        self.lemmas = lru_cache(maxsize=65536)(self._lemmas)

    def _lemmas(self, word: str) -> tuple[str, ...]:
        analyses = self._voikko.analyze(word)
        ranked = sorted(analyses, key=lambda a: a.get("CLASS") != "paikannimi")
        seen: dict[str, None] = {}
        for analysis in ranked:
            base = analysis.get("BASEFORM")
            if base:
                seen.setdefault(base, None)
        return tuple(seen)

    def __call__(self, word: str) -> tuple[str, ...]:
        return self.lemmas(word)


def open_lemmatizer() -> VoikkoLemmatizer | None:
    """Voikko if it is installed, else ``None`` (surface forms only)."""
    try:
        return VoikkoLemmatizer()
    except (ImportError, OSError) as exc:
        logger.warning("Voikko is not available (%s); Finnish words are matched without base forms", exc)
        return None
