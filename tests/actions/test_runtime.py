"""What actions hand to the domain: the conversation in a few lines, and deadlines as people read them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from actions.runtime import TRANSCRIPT_LINE_LENGTH, local_time, transcript


def tracker(*texts: str) -> Tracker:
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    for text in texts:
        events += [{"event": "user", "text": text}, {"event": "bot", "text": "..."}]
    return Tracker("sender", {}, {}, events, False, None, {}, "action_listen")


def test_the_transcript_keeps_the_first_message_and_the_latest() -> None:
    assert transcript(tracker("Etsin töitä", "/affirm", "  Hamina  ")) == ("Etsin töitä", "Hamina")
    lines = transcript(tracker("tarve", "a", "b", "c", "d", "e", "f"))
    assert lines == ("tarve", "…", "c", "d", "e", "f")
    long = transcript(tracker("x" * 1000))
    assert len(long[0]) == TRANSCRIPT_LINE_LENGTH and long[0].endswith("…")


def test_deadlines_are_shown_in_the_network_time_zone() -> None:
    moment = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    assert local_time(moment, "Europe/Helsinki", "fi") == "26.11.2026 klo 12.00"
    assert local_time(moment, "Europe/Helsinki", "sv") == "26.11.2026 kl. 12.00"
    assert local_time(moment, "Europe/Helsinki", "en") == "26 Nov 2026 at 12:00"
