"""The desk's words in Finnish, English and Swedish.

Every ``bot/data/desk/*.yml`` file maps a key to its text in each language;
the files are merged (a key defined twice is an error). Values are inserted
with ``str.format`` names, and templates escape them as HTML.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.settings import DATA_DIR

DESK_TEXTS_DIR = DATA_DIR / "desk"
FALLBACK = "fi"
# Each of the desk's languages in its own words, for choosing one.
LANGUAGE_NAMES = {"fi": "suomi", "en": "English", "sv": "svenska"}


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class DeskTexts:
    """Texts by key and language."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]):
        self._texts = texts

    @classmethod
    def load(cls, folder: Path = DESK_TEXTS_DIR) -> DeskTexts:
        merged: dict[str, Mapping[str, str]] = {}
        for path in sorted(folder.glob("*.yml")):
            for key, variants in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
                if key in merged:
                    raise ValueError(f"{path.name}: the desk text '{key}' is defined twice")
                merged[str(key)] = variants
        return cls(merged)

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def keys(self) -> list[str]:
        return list(self._texts)

    def languages_of(self, key: str) -> set[str]:
        return set(self._texts.get(key, {}))

    def get(self, key: str, language: str = FALLBACK, **values: Any) -> str:
        variants = self._texts.get(key)
        if variants is None:
            raise KeyError(f"no desk text '{key}' in bot/data/desk/*.yml")
        text = str(variants.get(language) or variants[FALLBACK])
        return text.format_map(_Values({k: "" if v is None else v for k, v in values.items()})) if values else text
