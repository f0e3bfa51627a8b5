"""Rasa input channels of the front door.

:class:`TelegramBridgeInput` is the door the Telegram bridge (``bot.telegram_door``)
comes in by: Rasa's REST channel under its own name, so cases made through it are
recorded with channel ``telegram``, and closed to everyone but the bridge by a shared
token (``X-Frontdoor-Bridge-Token``). Rasa loads it from the credentials file that
``frontdoor run`` writes.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Frontdoor-Bridge-Token"
MAX_MESSAGE = 4000


class TelegramBridgeInput(RestInput):
    """REST for the Telegram bridge only: token-checked, channel name fixed."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or ""

    @classmethod
    def name(cls) -> str:
        return "telegram_bridge"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramBridgeInput:
        return cls((credentials or {}).get("token"))

    def _extract_input_channel(self, req: Request) -> str:
        # Unlike plain REST, the caller cannot choose the channel name.
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bridge = Blueprint("telegram_bridge_webhook", __name__)

        @bridge.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bridge.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get(TOKEN_HEADER) or ""
            if not self.token or not hmac.compare_digest(given, self.token):
                return response.json({"error": "this channel is only for the front door's Telegram bridge"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or not sender or len(text) > MAX_MESSAGE:
                return response.json({"error": "expected {'sender': str, 'message': str of at most 4000 characters}"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            return response.json(collector.messages)

        return bridge
