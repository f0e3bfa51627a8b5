"""What the bot says from its actions, in the customer's language.

Texts live in ``data/messages.yml``; values (names, references) are inserted
as plain text: the channels render text, never HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).resolve().parent / "data" / "messages.yml"
FALLBACK_LANGUAGE = "fi"
# Payloads the front door's own doors send besides the buttons' (the Telegram door's /start and /delete).
GREET_PAYLOAD = "/greet"
ERASE_PAYLOAD = "/erase_data"


@dataclass(frozen=True)
class Message:
    """A rendered message: its text and quick-reply buttons."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalog:
    """Message texts by key and language."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, Mapping[str, Any]]],
        statuses: Mapping[str, Mapping[str, str]] | None = None,
        words: Mapping[str, Mapping[str, str]] | None = None,
    ):
        self._messages = messages
        self._statuses = statuses or {}
        self._words = words or {}

    @classmethod
    def load(cls, path: Path = MESSAGES_FILE) -> Catalog:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(raw["messages"], raw.get("statuses"), raw.get("words"))

    def word(self, key: str, language: str = FALLBACK_LANGUAGE) -> str:
        """A single word the texts use (``words`` in the catalog), in ``language``."""
        names = self._words.get(key) or {}
        return str(names.get(language) or names.get(FALLBACK_LANGUAGE) or key)

    def status_name(self, status: str, language: str = FALLBACK_LANGUAGE) -> str:
        """A case status in words (``statuses`` in the catalog)."""
        names = self._statuses.get(status) or {}
        return str(names.get(language) or names.get(FALLBACK_LANGUAGE) or status)

    def keys(self) -> list[str]:
        return list(self._messages)

    def render(self, key: str, language: str = FALLBACK_LANGUAGE, **values: Any) -> Message:
        variants = self._messages[key]
        variant = variants.get(language) or variants[FALLBACK_LANGUAGE]
        text = str(variant["text"]).format_map(_Values({k: "" if v is None else str(v) for k, v in values.items()}))
        buttons = [{"title": str(b["title"]), "payload": str(b["payload"])} for b in variant.get("buttons", [])]
        return Message(text=text, buttons=buttons)
