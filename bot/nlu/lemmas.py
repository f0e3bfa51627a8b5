"""Finnish base forms for looking up what people type ("Kouvolassa" → "Kouvola").

Voikko is a C library (Debian ``libvoikko1`` + ``voikko-fi``) opened once by
the composition root; where it is missing the front door still works on
surface forms and says so in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

from bot.network.municipalities import Lemmatizer
from bot.nlu.morphology import FinnishMorphology

logger = logging.getLogger(__name__)


def open_morphology() -> FinnishMorphology | None:
    """Voikko's analyses if Voikko is installed, else ``None``."""
    try:
        return FinnishMorphology()
    except (ImportError, OSError) as exc:
        logger.warning("Voikko is not available (%s); Finnish words are matched without base forms", exc)
        return None


def open_lemmatizer() -> Lemmatizer | None:
    """Voikko's base forms (place names first) if Voikko is installed, else ``None``."""
    morphology = open_morphology()
    return morphology.baseforms if morphology else None


def open_word_classes() -> Callable[[str], frozenset[str]] | None:
    """Voikko's word classes of a word ("Outi" → etunimi), for finding people's names; ``None`` without Voikko."""
    try:
        import libvoikko  # noqa: PLC0415 - the C library is loaded only when asked for

        voikko = libvoikko.Voikko("fi")
    except (ImportError, OSError) as exc:
        logger.warning("Voikko is not available (%s); names in free text are not masked", exc)
        return None

    @lru_cache(maxsize=65536)
    def classes(word: str) -> frozenset[str]:
        return frozenset(str(a["CLASS"]) for a in voikko.analyze(word) if a.get("CLASS"))

    return classes
