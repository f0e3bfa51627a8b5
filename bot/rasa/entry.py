"""Where the customer came in: the partner whose site or Telegram link the case's request started from.

A partner puts the widget on its own site with ``data-partner="kymi-ammattiopisto"`` on the
script tag, or shares the individuals' bot as ``https://t.me/<bot>?start=kymi-ammattiopisto``.
The doors carry that claim in the metadata of each message Rasa takes
(:mod:`bot.rasa.channels`, :mod:`bot.doors.telegram`):

- :data:`PARTNER_KEY`: the partner the page names (the widget sends it; anyone can write it);
- :data:`ORIGIN_KEY`: the page's origin as the client said it (the ``Origin`` header), set by the
  server only: whatever a page sends under this key is replaced. A browser cannot lie about it, but any
  other client (a script talking REST or socket.io) can send whatever ``Origin`` it likes: see
  docs/doors.md, "Where the customer came in";
- :data:`DEEP_LINK_KEY`: the partner a Telegram ``/start`` link named, set only by the Telegram
  bridge's token-checked door.

When the case is made, :func:`entry_partner` reads the first message that names a partner in this
case's own stretch of the conversation (:func:`this_request`: since the session began and since the
conversation's last case; a Telegram chat or a widget session kept in the browser is one long
conversation, and a claim made before an earlier case credits no later one). From the web, the partner
counts only if the page's origin is one of its own ``sites`` in the network file (a copied tag claims
nothing); from a Telegram link, if the network has that partner. Only the partner's id is recorded on
the case, nothing about the visitor.
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
# The slot the submit action (actions/submit.py) sets to the reference of the case it made: a value there
# ends the stretch of the conversation whose claims count for a case.
CASE_SLOT = "case_reference"
# Rasa's events after which a conversation starts afresh.
BOUNDARY_EVENTS = ("session_started", "restart")

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


def this_request(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events of the request the case being made is for: those after the conversation's latest
    session start (or restart) and after the last case made in it (the submit action's ``case_reference``)."""
    stretch: list[Mapping[str, Any]] = []
    for event in events:
        kind = event.get("event")
        case_made = kind == "slot" and event.get("name") == CASE_SLOT and event.get("value") is not None
        if kind in BOUNDARY_EVENTS or case_made:
            stretch = []
        else:
            stretch.append(event)
    return stretch


def entry_partner(events: Iterable[Mapping[str, Any]], network: Network) -> str | None:
    """The partner the customer came in through, from the first user message of :func:`this_request` that
    names one (the tracker's events as the action server gets them); ``None`` when that claim is not vouched
    for."""
    for event in this_request(events):
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
