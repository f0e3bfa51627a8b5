"""A partner's own Telegram link (``t.me/<bot>?start=<partner id>``): the door reads the partner from
``/start`` and sends it to Rasa with the greeting, in the bridge's metadata; anything else is no partner.
With Rasa and the register: tests/e2e/test_entry_partner.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from telegram import Update

from bot.doors.telegram import BRIDGE_PATH, TelegramDoor, start_partner
from bot.messages import GREET_PAYLOAD
from bot.ops.worker import make_bot
from bot.rasa.entry import DEEP_LINK_KEY
from bot.settings import Settings
from tests.bot.delivery.common import CUSTOMER_TOKEN
from tests.standins.telegram_api import TelegramApi

CHAT = 4242


def test_the_start_payload_names_a_partner() -> None:
    assert start_partner("/start kymi-ammattiopisto") == "kymi-ammattiopisto"
    assert start_partner("/start@etuovi_bot kaakko-amk") == "kaakko-amk"
    assert start_partner("/start") is None
    for payload in ("", "kymi ammattiopisto", "x" * 65, "<b>", "-kymi"):
        assert start_partner(f"/start {payload}") is None


def _bodies_for(api: TelegramApi, *texts: str) -> list[dict[str, Any]]:
    """What the door sends Rasa for each of ``texts`` typed in a chat (through the Bot API stand-in)."""
    bodies: list[dict[str, Any]] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        assert request.url.path == BRIDGE_PATH
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=[{"recipient_id": str(CHAT), "text": "Kerro omin sanoin"}])

    async def run() -> None:
        bot = make_bot(CUSTOMER_TOKEN, api.url)
        async with bot, httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as http:
            door = TelegramDoor(Settings(rasa_url="http://rasa:5005", bridge_token="t"), http)
            for text in texts:
                api.type(CUSTOMER_TOKEN, CHAT, text)
                update = Update.de_json(api.bots[CUSTOMER_TOKEN].updates[-1], bot)
                assert update is not None
                await door.handle(update)

    asyncio.run(run())
    return bodies


def test_a_partners_link_goes_to_rasa_with_the_greeting(api: TelegramApi) -> None:
    linked, plain, odd, later = _bodies_for(api, "/start kymi-ammattiopisto", "/start", "/start ../../x", "hei")
    assert (linked["message"], linked["metadata"]) == (
        GREET_PAYLOAD,
        {"telegram_language": "fi", DEEP_LINK_KEY: "kymi-ammattiopisto"},
    )
    assert (plain["message"], plain["metadata"]) == (GREET_PAYLOAD, {"telegram_language": "fi"})
    assert odd["metadata"] == {"telegram_language": "fi"}
    assert later["metadata"] == {"telegram_language": "fi"}
    # The customer was answered in the chat as always.
    assert [m["text"] for m in api.sent_to(CUSTOMER_TOKEN, CHAT)] == ["Kerro omin sanoin"] * 4
