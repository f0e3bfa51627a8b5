"""An individual on Telegram: updates in through the Bot API stand-in's getUpdates, the bot's
answers and inline keyboards out, the same dialogue as the other doors, a case with channel
``telegram``, and the mentor's acceptance told back in the same chat."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import CUSTOMER_TOKEN, Stack

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
CHAT = 801


class TelegramUser:
    """A person in their private chat with the individuals' bot."""

    def __init__(self, stack: Stack, chat: int) -> None:
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


def test_a_telegram_conversation_becomes_a_telegram_case_and_hears_back(stack: Stack) -> None:
    user = TelegramUser(stack, CHAT)
    user.say("/start", "Kerro omin sanoin")
    consent = user.say("Etsin töitä, olen ollut työttömänä puoli vuotta", "Saanko tallentaa")
    user.press(consent, "Kyllä, annan luvan", "nimesi")
    user.say("Eino Telegram", "sähköpostiosoitteeseen")
    user.say("ohita", "puhelinnumerosi")
    user.say("0401234567", "Missä kunnassa")
    summary = user.say("Haminassa", "Hamina")
    done = user.press(summary, "Kyllä, lähetä", "FD-")
    reference = REFERENCE.search(done["text"])
    assert reference
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert case["channel"] == "telegram" and case["need"] == "job_search" and case["municipality"] == "Hamina"
    # A pressed button's keyboard is taken away, so it cannot be pressed twice.
    assert any(e.get("reply_markup") in (None, "", {}) for e in stack.telegram.bots[CUSTOMER_TOKEN].edits)

    accepted = stack.frontdoor("cases", "accept", reference.group(0), "--as", str(case["mentor"]))
    assert accepted.returncode == 0, accepted.stderr
    news = user._answer(0, "on ottanut asiasi")
    assert reference.group(0) in news["text"] and news["text"].startswith("Hei Eino Telegram!")


def test_help_and_privacy_commands(stack: Stack) -> None:
    user = TelegramUser(stack, CHAT + 1)
    user.say("/help", "/privacy")
    privacy = user.say("/privacy", "Tietosuojaseloste")
    assert "/privacy/fi.html" in privacy["text"]
