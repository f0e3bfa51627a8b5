"""Notifications to a partner's system (a CRM, a ticket queue) as signed JSON webhooks.

The body is JSON; ``X-Frontdoor-Signature: sha256=<hex>`` is HMAC-SHA256 of
the exact body bytes with the partner's secret (``FRONTDOOR_WEBHOOK_SECRET_<PARTNER>``);
``Idempotency-Key`` lets the receiver drop a repeated delivery. A receiver
checks the signature with :func:`verify`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable

import requests

from bot.delivery.notifiers import DeliveryError, Notice, NotReady
from bot.settings import secret_key

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Frontdoor-Signature"
TIMEOUT = (5.0, 10.0)
# Answers that retrying will not change.
PERMANENT = frozenset({400, 401, 403, 404, 405, 410, 413, 415, 422})


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


class WebhookNotifier:
    """POSTs notices to partners' webhook URLs."""

    def __init__(self, session: requests.Session, secret_for: Callable[[str], str | None]):
        self.session = session
        self._secret_for = secret_for

    def _post(self, notice: Notice, address: str) -> None:
        partner = notice.partner or ""
        secret = self._secret_for(partner)
        if not secret:
            raise NotReady(f"webhook: no secret for partner '{partner}': set FRONTDOOR_WEBHOOK_SECRET_{secret_key(partner)}")
        body = json.dumps(notice.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(secret, body),
            "Idempotency-Key": notice.key,
            "X-Frontdoor-Event": notice.kind,
            "User-Agent": "frontdoor-webhook/1",
        }
        try:
            response = self.session.post(address, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryError("webhook: timed out") from None
        except requests.RequestException as error:
            raise DeliveryError(f"webhook: {type(error).__name__}") from None
        if 200 <= response.status_code < 300:
            return
        retry_after = None
        if response.status_code in (429, 503):
            try:
                retry_after = float(response.headers.get("Retry-After", ""))
            except ValueError:
                retry_after = None
        raise DeliveryError(
            f"webhook: HTTP {response.status_code}",
            permanent=response.status_code in PERMANENT,
            retry_after=retry_after,
        )

    async def send(self, notice: Notice, address: str) -> None:
        await asyncio.to_thread(self._post, notice, address)
