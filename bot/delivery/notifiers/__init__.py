"""How notifications leave the front door: one small protocol, one notifier per channel.

Each notifier gets its client injected (a ``telegram.Bot``, a ``requests.Session``,
an SMTP connection factory), so tests replace only the transport. A notifier
raises :class:`DeliveryError` when a delivery failed (the worker retries it,
or gives up at once on a permanent error) and :class:`NotReady` when the
recipient cannot be reached on this channel yet (the notification waits
without using up its retries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Notice:
    """One rendered notification: the same content for every channel."""

    key: str
    kind: str
    reference: str
    language: str
    subject: str
    text: str
    html: str
    partner: str | None = None
    # Telegram inline keyboard: rows of (title, callback data).
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """The delivery failed. ``permanent``: retrying cannot help; ``retry_after``: the receiver said when to retry."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class NotReady(Exception):
    """The recipient cannot be reached on this channel yet (not linked, no secret): wait, don't count it."""


class Notifier(Protocol):
    """Delivers a notice to an address of its channel."""

    async def send(self, notice: Notice, address: str) -> None: ...
