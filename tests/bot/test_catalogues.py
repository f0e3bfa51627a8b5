"""Every text a customer, a mentor or the coordinator reads is in Finnish, English and Swedish: the actions'
messages, the notices, the domain's responses; with the same placeholders and buttons in each language."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from bot.language import LANGUAGES
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "bot" / "data"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _variants(node: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every mapping keyed by language (it has ``fi``) in a catalogue, with where it is."""
    if isinstance(node, Mapping):
        if "fi" in node:
            yield path, node
            return
        for key, value in node.items():
            yield from _variants(value, f"{path}/{key}")


def _text(variant: Any) -> str:
    return str(variant["text"]) if isinstance(variant, Mapping) else str(variant)


def _buttons(variant: Any) -> list[str]:
    return [str(b["payload"]) for b in variant.get("buttons", [])] if isinstance(variant, Mapping) else []


CATALOGUES = ["messages.yml", "notices.yml", "needs.yml"]


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_text_is_in_all_three_languages_with_the_same_values_and_buttons(name: str) -> None:
    raw = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    found = list(_variants(raw))
    assert len(found) > 10, "no texts found: the catalogue's shape changed"
    for path, variants in found:
        assert set(LANGUAGES) <= set(variants), f"{name}{path}: {sorted(variants)}"
        assert all(_text(variants[language]).strip() for language in LANGUAGES), f"{name}{path}"
        fields = {language: _fields(_text(variants[language])) for language in LANGUAGES}
        assert fields["fi"] == fields["en"] == fields["sv"], f"{name}{path}: {fields}"
        buttons = {language: _buttons(variants[language]) for language in LANGUAGES}
        assert buttons["fi"] == buttons["en"] == buttons["sv"], f"{name}{path}: {buttons}"


def test_every_response_of_the_domain_has_a_swedish_and_an_english_variant() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        by_language = {
            next((c["value"] for c in v.get("condition", []) if c.get("name") == "language"), "fi"): v for v in variants
        }
        assert set(by_language) == set(LANGUAGES), f"{name}: {sorted(by_language)}"
        payloads = {language: [b["payload"] for b in v.get("buttons", [])] for language, v in by_language.items()}
        assert payloads["fi"] == payloads["en"] == payloads["sv"], name
