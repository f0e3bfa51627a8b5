"""A person talking to the individuals' Telegram bot through the Bot API stand-in."""

from __future__ import annotations

from typing import Any, Protocol

from tests.e2e.conftest import CUSTOMER_TOKEN
from tests.standins.telegram_api import TelegramApi


class WithTelegram(Protocol):
    """A running front door whose bots talk to the Bot API stand-in."""

    @property
    def telegram(self) -> TelegramApi: ...


class TelegramUser:
    """A person in their private chat with the individuals' bot."""

    def __init__(self, stack: WithTelegram, chat: int) -> None:
        self.api = stack.telegram
        self.chat = chat

    def messages(self) -> list[dict[str, Any]]:
        return self.api.sent_to(CUSTOMER_TOKEN, self.chat)

    def _answer(self, before: int, expected: str) -> dict[str, Any]:
        return self.api.wait_for(
            lambda: next((m for m in self.messages()[before:] if expected in m["text"]), None),
            timeout=90,
            what=f"the bot to say {expected!r}",
        )

    def say(self, text: str, expected: str) -> dict[str, Any]:
        before = len(self.messages())
        self.api.type(CUSTOMER_TOKEN, self.chat, text)
        return self._answer(before, expected)

    def press(self, message: dict[str, Any], title: str, expected: str) -> dict[str, Any]:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        data = next((b["callback_data"] for row in rows for b in row if b["text"] == title), None)
        assert data, f"no button {title!r} in {rows}"
        before = len(self.messages())
        self.api.press(CUSTOMER_TOKEN, self.chat, message, data)
        return self._answer(before, expected)

    def make_case(self, *, need: str, name: str, email: str, phone: str, place: str, municipality: str) -> dict[str, Any]:
        """The whole intake of an individual: need, consent, name, email, phone (``ohita`` skips either), where
        (``place``, read back as ``municipality`` in the summary) and sending; the bot's message with the reference."""
        self.say("/start", "Kerro omin sanoin")
        consent = self.say(need, "Saanko tallentaa")
        self.press(consent, "Kyllä, annan luvan", "nimesi")
        self.say(name, "sähköpostiosoitteeseen")
        self.say(email, "puhelinnumerosi")
        self.say(phone, "Missä kunnassa")
        summary = self.say(place, municipality)
        return self.press(summary, "Kyllä, lähetä", "FD-")
