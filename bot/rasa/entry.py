"""Where the customer came in: the partner whose site or Telegram link the conversation started from.

A partner puts the widget on its own site with ``data-partner="kymi-ammattiopisto"`` on the
script tag, or shares the individuals' bot as ``https://t.me/<bot>?start=kymi-ammattiopisto``.
The doors carry that claim in the metadata of each message Rasa takes
(:mod:`bot.rasa.channels`, :mod:`bot.doors.telegram`):

- :data:`PARTNER_KEY`: the partner the page names (the widget sends it; anyone can write it);
- :data:`ORIGIN_KEY`: the page's origin as the browser said it (the ``Origin`` header), set by the
  server only: whatever a page sends under this key is replaced;
- :data:`DEEP_LINK_KEY`: the partner a Telegram ``/start`` link named, set only by the Telegram
  bridge's token-checked door.

When the case is made, :func:`entry_partner` reads the conversation's first message that names a
partner: from the web, the partner counts only if the page's origin is one of its own ``sites`` in
the network file (a copied tag claims nothing); from a Telegram link, if the network has that
partner. Only the partner's id is recorded on the case, nothing about the visitor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.network.model import Network

PARTNER_KEY = "frontdoor_partner"
ORIGIN_KEY = "frontdoor_origin"
DEEP_LINK_KEY = "frontdoor_deep_link"
# Keys only a door of the server writes: a client's values under them are dropped.
SERVER_KEYS = (ORIGIN_KEY, DEEP_LINK_KEY)
# The Rasa channel whose messages come from the Telegram bridge (bot.rasa.channels.TelegramBridgeInput).
BRIDGE_CHANNEL = "telegram_bridge"

# A partner id as network files write them; also what a Telegram deep link can carry (A-Z a-z 0-9 _ -, ≤ 64).
PARTNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_ORIGIN = 200


def partner_id(value: Any) -> str | None:
    """``value`` if it is a short partner id, else ``None``."""
    return value if isinstance(value, str) and PARTNER_ID.fullmatch(value) else None


def web_origin(value: Any) -> str | None:
    """A browser's ``Origin`` header as the network file writes sites (``https://www.example.fi``);
    ``None`` for none, ``null`` (a sandboxed or local page) or anything that is not an http(s) origin."""
    if not isinstance(value, str) or len(value) > MAX_ORIGIN:
        return None
    origin = value.strip().rstrip("/").lower()
    scheme, _, rest = origin.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "/?#@ \t"):
        return None
    return origin


def web_metadata(metadata: Mapping[str, Any] | None, origin: Any) -> dict[str, Any]:
    """A web message's metadata as Rasa keeps it: the server's keys dropped, the partner the page names
    kept only if it is an id, and then with the page's origin beside it (``origin``: the header's value)."""
    clean = {key: value for key, value in (metadata or {}).items() if key not in SERVER_KEYS}
    claimed = partner_id(clean.pop(PARTNER_KEY, None))
    if claimed is not None:
        clean[PARTNER_KEY] = claimed
        page = web_origin(origin)
        if page is not None:
            clean[ORIGIN_KEY] = page
    return clean


def bridge_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Telegram bridge's metadata as Rasa keeps it: a deep link's partner kept only if it is an id;
    no page, so no web claim."""
    clean = {key: value for key, value in (metadata or {}).items() if key not in (ORIGIN_KEY, PARTNER_KEY)}
    link = partner_id(clean.pop(DEEP_LINK_KEY, None))
    if link is not None:
        clean[DEEP_LINK_KEY] = link
    return clean


def entry_partner(events: Iterable[Mapping[str, Any]], network: Network) -> str | None:
    """The partner the customer came in through, from the conversation's first user message that names one
    (its tracker events as the action server gets them); ``None`` when that claim is not vouched for."""
    for event in events:
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata")
        if not isinstance(metadata, Mapping):
            continue
        link = partner_id(metadata.get(DEEP_LINK_KEY))
        if link is not None and event.get("input_channel") == BRIDGE_CHANNEL:
            return link if network.partner(link) is not None else None
        claimed = partner_id(metadata.get(PARTNER_KEY))
        if claimed is not None:
            return network.partner_of_site(claimed, web_origin(metadata.get(ORIGIN_KEY)))
    return None
