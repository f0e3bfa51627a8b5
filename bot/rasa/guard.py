"""What the front door lets into a conversation: only the bot's own button payloads, sized messages,
and a fair pace per sender.

Rasa reads a message like ``/intent{"slot": "value"}`` as an intent with
entities, so a customer could type ``/affirm{"consent": true}``. Here a
message starting with ``/`` passes as such only if it is one of the payloads
the bot's own buttons carry (``bot/data/messages.yml`` and ``domain.yml``);
anything else is read as plain text. Limits are per process (per replica).
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.messages import ERASE_PAYLOAD, GREET_PAYLOAD
from bot.settings import DATA_DIR, PROJECT_ROOT

MESSAGES = DATA_DIR / "messages.yml"
DOMAIN = PROJECT_ROOT / "domain.yml"
# Payloads the front door's own doors send: the Telegram door's /start greets, /delete asks to erase.
OWN = (GREET_PAYLOAD, ERASE_PAYLOAD)
PAYLOAD = re.compile(r"^/(?P<intent>[\w-]+)(?P<entities>\{.*\})?$", re.DOTALL)


def normalise(payload: str) -> str:
    """One spelling per payload: entities as compact, key-sorted JSON."""
    match = PAYLOAD.match(payload.strip())
    if not match:
        return payload.strip()
    entities = match.group("entities")
    if not entities:
        return f"/{match.group('intent')}"
    try:
        parsed = json.loads(entities)
    except ValueError:
        return payload.strip()
    return f"/{match.group('intent')}{json.dumps(parsed, sort_keys=True, separators=(',', ':'))}"


def _buttons(node: object) -> Iterable[str]:
    if isinstance(node, dict):
        if "payload" in node and "title" in node:
            yield str(node["payload"])
        for value in node.values():
            yield from _buttons(value)
    elif isinstance(node, list):
        for value in node:
            yield from _buttons(value)


def offered_payloads(*files: Path) -> frozenset[str]:
    """Every payload the bot's buttons carry (``{{`` in message templates is a literal brace)."""
    payloads: set[str] = set(OWN)
    for path in files or (MESSAGES, DOMAIN):
        for payload in _buttons(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if payload.startswith("/"):
                payloads.add(normalise(payload.replace("{{", "{").replace("}}", "}")))
    return frozenset(payloads)


def clean(text: str) -> str:
    """Text Rasa can store and answer: lone surrogates replaced, control characters (but newline and tab) dropped."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def screen(text: str, allowed: frozenset[str]) -> str:
    """The message as Rasa may see it: a payload the bot never offered loses its leading slash."""
    stripped = text.strip()
    if stripped.startswith("/") and normalise(stripped) not in allowed:
        return stripped.lstrip("/")
    return text


@dataclass
class RateLimit:
    """A token bucket per sender: ``per_minute`` messages a minute, bursts up to ``burst``."""

    per_minute: float = 30.0
    burst: int = 10
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, sender: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(sender, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            self._buckets[sender] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > 100_000:  # forget the quietest senders
                for key in list(self._buckets)[:50_000]:
                    del self._buckets[key]
            return allowed
