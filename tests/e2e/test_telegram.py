"""An individual on Telegram: updates in through the Bot API stand-in's getUpdates, the bot's
answers and inline keyboards out, the same dialogue as the other doors, a case with channel
``telegram``, and the mentor's acceptance told back in the same chat."""

from __future__ import annotations

import re

from tests.e2e.conftest import CUSTOMER_TOKEN, Stack
from tests.e2e.telegram_user import TelegramUser

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
CHAT = 801


def test_a_telegram_conversation_becomes_a_telegram_case_and_hears_back(stack: Stack) -> None:
    user = TelegramUser(stack, CHAT)
    done = user.make_case(
        need="Etsin töitä, olen ollut työttömänä puoli vuotta",
        name="Eino Telegram",
        email="ohita",
        phone="0401234567",
        place="Haminassa",
        municipality="Hamina",
    )
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
