"""What the channels read from a door's message: the widget's message id, and a repeat's stored answers."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.channels import MESSAGE_ID_KEY, _with_message_id, earlier_answers


def test_the_widgets_message_id_travels_in_the_metadata() -> None:
    data = {"message": "hei", "session_id": "s", "message_id": "w-1", "metadata": {"page": "x"}}
    assert _with_message_id(data, "metadata")["metadata"] == {"page": "x", MESSAGE_ID_KEY: "w-1"}
    assert _with_message_id({**data, "metadata": '{"page": "y"}'}, "metadata")["metadata"] == {"page": "y", MESSAGE_ID_KEY: "w-1"}


def test_a_malformed_message_id_or_metadata_is_dropped() -> None:
    for message_id in (None, "", 42, "x" * 65):
        data = {"message": "hei", "session_id": "s", "message_id": message_id, "metadata": "not json"}
        assert _with_message_id(data, "metadata")["metadata"] == {}
    # A page cannot pose as the id by writing it into the metadata itself.
    forged = {"message": "hei", "session_id": "s", "metadata": {MESSAGE_ID_KEY: "w-9"}}
    assert _with_message_id(forged, "metadata")["metadata"] == {}


def tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("s", list(events), domain=Domain.empty())


def test_a_stored_messages_answers_are_those_up_to_the_next_message() -> None:
    stored = tracker(
        UserUttered("hei", message_id="1"),
        BotUttered("Kerro omin sanoin", data={"buttons": [{"title": "A", "payload": "/a"}]}),
        ActionExecuted("action_listen"),
        BotUttered("Toinen"),
        UserUttered("töitä", message_id="2"),
        BotUttered("Saanko tallentaa"),
    )
    assert earlier_answers(stored, "1") == [
        {"text": "Kerro omin sanoin", "buttons": [{"title": "A", "payload": "/a"}]},
        {"text": "Toinen"},
    ]
    assert earlier_answers(stored, "2") == [{"text": "Saanko tallentaa"}]
    assert earlier_answers(stored, "3") is None
    assert earlier_answers(None, "1") is None
