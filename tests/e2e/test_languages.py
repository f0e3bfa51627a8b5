"""The same conversation in English, and one that switches language midway."""

from __future__ import annotations

import re

from tests.e2e.conftest import Conversation, Stack

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
FINNISH_MARKERS = ("Kiitos", "Mikä", "Saanko", "Missä", "Tarkistetaan", "Selvä", "asiasi")


def _english(answer: str) -> None:
    assert answer.strip(), "no answer"
    assert not any(marker in answer for marker in FINNISH_MARKERS), answer


def test_an_english_conversation_is_answered_in_english(conversation: Conversation, stack: Stack) -> None:
    answer = conversation.say("Hello, we would need an apprentice for our warehouse in Kotka")
    _english(answer)
    assert "apprentice" in answer.lower() or "Apprenticeship" in answer
    answer = conversation.click(next(t for t in conversation.buttons() if "employer" in t.lower() or "organisation" in t.lower()))
    _english(answer)
    assert "/privacy/en.html" in answer
    for reply in ("yes", "John Smith", "Smith Logistics Ltd", "john@example.org", "skip"):
        _english(conversation.say(reply))
    summary = conversation.last[0]["text"]
    assert "Kotka" in summary and "john@example.org" in summary
    answer = conversation.click(next(t for t in conversation.buttons() if t.lower().startswith("yes")))
    _english(answer)
    reference = REFERENCE.search(answer)
    assert reference
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert (case["language"], case["need"], case["municipality"]) == ("en", "apprenticeship", "Kotka")


def test_switching_language_midway(conversation: Conversation) -> None:
    answer = conversation.say("Haluaisin opiskella uuden ammatin, mietin alanvaihtoa")
    assert "Saanko tallentaa" in answer
    assert "Mikä on nimesi" in conversation.say("kyllä")
    answer = conversation.say("Sorry, could we continue in English please?")
    _english(answer)
    answer = conversation.say("Liisa Example")
    _english(answer)
    assert "email" in answer.lower()
    assert "sähköposti" in conversation.say("Voidaanko sittenkin jatkaa suomeksi?").lower()
