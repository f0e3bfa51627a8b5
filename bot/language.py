"""Which language the customer writes: Finnish, English or Swedish.

A conversation keeps its language until the customer clearly writes in
another one: a short answer ("kyllä", "yes", "ok"), a name, an address or a
number never flips it. Detection is lingua's (a statistical model shipped in
its wheel), restricted to the three languages the front door speaks.
Before someone has written, their client's language is the guess
(:func:`language_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

LANGUAGES = ("fi", "en", "sv")
DEFAULT_LANGUAGE = "fi"

# A message must have this many words to change an established language ...
MIN_WORDS_TO_SWITCH = 4
# ... and the detector must be at least this sure.
MIN_CONFIDENCE = 0.6
# The first message may set the language with fewer words if the detector is sure.
MIN_FIRST_CONFIDENCE = 0.75

_NOT_WORDS = re.compile(r"\S+@\S+|\S+\.\S+|https?://\S+|[+\d][\d\s()./-]{4,}\d|/\w+(\{.*\})?")
_WORD = re.compile(r"[^\W\d_]{2,}")


class LanguageCoded(Protocol):
    """Someone whose client names their language, like a Telegram user."""

    @property
    def language_code(self) -> str | None: ...


def language_of(user: LanguageCoded | None) -> str:
    """The language to answer someone in before they have written: their client's (``en-GB`` → ``en``) if the
    front door speaks it, else Finnish. One function, so both Telegram bots greet the same person alike."""
    code = (user.language_code or "")[:2] if user else ""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def _words(text: str) -> list[str]:
    """The words of ``text``, addresses, numbers and commands left out."""
    return _WORD.findall(_NOT_WORDS.sub(" ", text))


@dataclass(frozen=True)
class Detection:
    """The detected language and how sure the detector is."""

    language: str
    confidence: float
    words: int


class LanguageDetector:
    """Detects fi/en/sv in a message and decides whether the conversation switches."""

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder  # noqa: PLC0415 - loads a 100 MB model on first use

        self._codes = {Language.FINNISH: "fi", Language.ENGLISH: "en", Language.SWEDISH: "sv"}
        self._detector: Any = LanguageDetectorBuilder.from_languages(*self._codes).build()

    def detect(self, text: str) -> Detection | None:
        """The most likely language of the words in ``text`` (addresses and numbers left out)."""
        words = _words(text)
        if not words:
            return None
        values = self._detector.compute_language_confidence_values(" ".join(words))
        if not values:
            return None
        best = values[0]
        return Detection(language=self._codes[best.language], confidence=float(best.value), words=len(words))

    def conversation_language(self, text: str, current: str | None, *, first_message: bool) -> str:
        """The conversation's language after ``text``."""
        current = current if current in LANGUAGES else None
        if current and not first_message and len(_words(text)) < MIN_WORDS_TO_SWITCH:
            return current  # too short to switch: not worth the detector's time
        detection = self.detect(text)
        if detection is None:
            return current or DEFAULT_LANGUAGE
        if first_message or current is None:
            sure = detection.confidence >= MIN_FIRST_CONFIDENCE or (
                detection.words >= MIN_WORDS_TO_SWITCH and detection.confidence >= MIN_CONFIDENCE
            )
            return detection.language if sure else DEFAULT_LANGUAGE
        if detection.language != current and detection.words >= MIN_WORDS_TO_SWITCH and detection.confidence >= MIN_CONFIDENCE:
            return detection.language
        return current
