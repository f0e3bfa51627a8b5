"""The masking tracker store, as Rasa uses it: turns saved one by one, the tracker read back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.tracker_store import MaskingTrackerStore, _masking_pass
from bot.settings import PROJECT_ROOT
from tests.standins.postgres import PostgresServer

PERSONAL = ("Leena", "Lahtinen", "leena.lahtinen@example.fi", "040 765 4321", "0407654321", "131052-308T")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with PostgresServer() as pg:
        yield pg.url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store on SQLite (the embedded default) and on PostgreSQL (production), which is stricter about SQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conversations.db'}"
    return str(request.getfixturevalue("postgres"))


def stored(url: str, sender: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        return "\n".join(str(row[0]) for row in rows)


def unescaped(raw: str) -> str:
    """The stored JSON rows with their \\u escapes undone, so "Lahtinen" is found however it was written."""
    return "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in raw.splitlines() if line)


class Conversation:
    def __init__(self, store: MaskingTrackerStore, domain: Domain, sender: str):
        self.store, self.domain, self.sender = store, domain, sender

    def turn(self, *events: Event) -> DialogueStateTracker:
        """Like Rasa: read the tracker, add the turn's events, save it."""
        tracker = asyncio.run(self.store.retrieve(self.sender)) or DialogueStateTracker(self.sender, self.domain.slots)
        if not tracker.events:
            tracker.update_with_events(
                [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")], None
            )
        tracker.update_with_events(list(events), None)
        asyncio.run(self.store.save(tracker))
        return tracker


def test_details_stay_usable_while_the_intake_needs_them_and_are_masked_once_the_case_is_made(url: str, domain: Domain) -> None:
    store = MaskingTrackerStore(domain=domain, host=url)
    chat = Conversation(store, domain, "web-1")
    chat.turn(UserUttered("Tarvitsen koulutusta, hetuni 131052-308T, soita 040 765 4321", {"name": "need_staff_training"}))
    chat.turn(UserUttered("Leena Lahtinen"), SlotSet("contact_name", "Leena Lahtinen"))
    chat.turn(
        UserUttered("leena.lahtinen@example.fi"), SlotSet("email", "leena.lahtinen@example.fi"), SlotSet("phone", "0407654321")
    )

    # Mid-intake: the form reads the details back from the store.
    tracker = asyncio.run(store.retrieve("web-1"))
    assert tracker is not None
    assert tracker.get_slot("email") == "leena.lahtinen@example.fi"
    assert tracker.get_slot("contact_name") == "Leena Lahtinen"
    raw = unescaped(stored(url, "web-1"))
    # ... but what the customer typed is already masked: only the slots in use hold the values.
    assert "131052-308T" not in raw and "040 765 4321" not in raw
    assert raw.count("leena.lahtinen@example.fi") == 1

    chat.turn(
        UserUttered("kyllä", {"name": "affirm"}),
        BotUttered("Yhteenveto: Leena Lahtinen, leena.lahtinen@example.fi, 0407654321"),
        SlotSet("case_reference", "FD-2026-00001"),
        SlotSet("contact_name", None),
        SlotSet("email", None),
        SlotSet("phone", None),
        BotUttered("Kiitos Leenalle! Asiasi FD-2026-00001 on kirjattu."),
    )
    raw = unescaped(stored(url, "web-1"))
    for value in PERSONAL:
        assert value not in raw
    assert "[email]" in raw and "[name]" in raw and "[phone]" in raw and "[id-code]" in raw
    assert "FD-2026-00001" in raw
    tracker = asyncio.run(store.retrieve("web-1"))
    assert tracker is not None and tracker.get_slot("email") is None
    assert tracker.get_slot("case_reference") == "FD-2026-00001"


def test_an_erased_conversation_is_deleted_with_the_turn_that_erased_it(url: str, domain: Domain) -> None:
    store = MaskingTrackerStore(domain=domain, host=url)
    kept = Conversation(store, domain, "someone-else")
    kept.turn(UserUttered("hei", {"name": "greet"}))
    chat = Conversation(store, domain, "telegram-42")
    chat.turn(UserUttered("Leena Lahtinen"), SlotSet("contact_name", "Leena Lahtinen"))
    chat.turn(UserUttered("poista tietoni", {"name": "erase_data"}), BotUttered("Poistanko?"))
    chat.turn(UserUttered("/affirm", {"name": "affirm"}), ActionExecuted("action_erase_data"), SlotSet("data_erased", True))
    assert stored(url, "telegram-42") == ""
    assert asyncio.run(store.retrieve("telegram-42")) is None
    assert "hei" in stored(url, "someone-else")
    # The next message starts afresh.
    chat.turn(UserUttered("hei", {"name": "greet"}))
    assert "Leena" not in stored(url, "telegram-42")


def test_details_typed_before_they_were_asked_are_masked_in_earlier_rows_once_given(url: str, domain: Domain) -> None:
    store = MaskingTrackerStore(domain=domain, host=url)
    chat = Conversation(store, domain, "web-2")
    # A surname no dictionary knows, and an organisation, in the first message.
    chat.turn(UserUttered("Olen Qwertyläinen ja edustan Zyxzyn Kuljetusta, tarvitsemme koulutusta"))
    chat.turn(UserUttered("hei", {"name": "greet"}))
    chat.turn(UserUttered("Qwertyläinen"), SlotSet("contact_name", "Qwertyläinen"))
    chat.turn(UserUttered("Zyxzyn Kuljetus"), SlotSet("organization", "Zyxzyn Kuljetus"))
    rows = unescaped(stored(url, "web-2")).splitlines()
    # Only the slots the intake still uses hold the values; the first message is masked (inflected too).
    assert sum("Qwertyläinen" in row for row in rows) == 1
    assert sum("Zyxzyn Kuljetus" in row for row in rows) == 1
    first = next(json.loads(row) for row in rows if json.loads(row).get("event") == "user")
    assert first["text"] == "Olen [name] ja edustan [organization]ta, tarvitsemme koulutusta"
    assert any(json.loads(row).get("text") == "hei" for row in rows)


def test_a_tracker_saved_twice_in_a_turn_stores_each_event_once(url: str, domain: Domain) -> None:
    # Rasa saves after reading the message and again at the end of the turn.
    store = MaskingTrackerStore(domain=domain, host=url)
    chat = Conversation(store, domain, "web-3")
    chat.turn(UserUttered("hei", {"name": "greet"}))
    tracker = asyncio.run(store.retrieve("web-3"))
    assert tracker is not None
    tracker.update_with_events([UserUttered("kiitos", {"name": "thanks"})], None)
    asyncio.run(store.save(tracker))
    tracker.update_with_events([ActionExecuted("utter_welcome"), BotUttered("Ole hyvä!")], None)
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("web-3"))
    assert again is not None
    assert [e.as_dict()["event"] for e in again.events] == [e.as_dict()["event"] for e in tracker.events]
    # Every event once (the session's start action is stored before the session it starts).
    rows = [json.loads(row)["event"] for row in stored(url, "web-3").splitlines()]
    assert rows == ["action", *(e.as_dict()["event"] for e in tracker.events)]


@pytest.mark.parametrize(
    ("earlier", "new", "live", "expected"),
    [
        # The first need text: no personal value, nothing stored can change.
        ([], [SlotSet("need_text", "tarvitsemme koulutusta")], {"need_text": "tarvitsemme koulutusta"}, (False, {})),
        # A name given for the first time: only earlier rows mentioning it can change.
        (
            [],
            [SlotSet("contact_name", "Leena Virta")],
            {"contact_name": "Leena Virta"},
            (False, {"contact_name": {"Leena Virta"}}),
        ),
        # The same email confirmed again: still in use.
        ([SlotSet("email", "a@example.org")], [SlotSet("email", "a@example.org")], {"email": "a@example.org"}, (False, {})),
        # A corrected email: the old one went out of use.
        ([SlotSet("email", "a@example.org")], [SlotSet("email", "b@example.org")], {"email": "b@example.org"}, (True, {})),
        # Details cleared once the case was made.
        ([SlotSet("email", "a@example.org")], [SlotSet("email", None)], {"email": None}, (True, {})),
        # A new session.
        ([SlotSet("email", "a@example.org")], [SessionStarted()], {"email": None}, (True, {})),
    ],
)
def test_a_turn_rewrites_stored_rows_only_when_it_can_change_them(
    earlier: list[Event], new: list[Event], live: dict[str, object], expected: tuple[bool, dict[str, set[str]]]
) -> None:
    assert _masking_pass(earlier, [event.as_dict() for event in new], live) == expected


def test_reads_agree_with_rasas_own_query_across_sessions(url: str, domain: Domain) -> None:
    """The store's prebuilt statements return what Rasa's ``_event_query`` does: the latest session's
    events (or all of them), in order, and the count a save starts from."""
    store = MaskingTrackerStore(domain=domain, host=url)
    chat = Conversation(store, domain, "web-5")
    chat.turn(UserUttered("hei", {"name": "greet"}), ActionExecuted("utter_welcome"))
    tracker = asyncio.run(store.retrieve("web-5"))
    assert tracker is not None
    tracker.update_with_events(
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("moi", {"name": "greet"}),
        ],
        None,
    )
    asyncio.run(store.save(tracker))
    with store.session_scope() as session:
        for all_sessions in (False, True):
            theirs = [json.loads(row.data) for row in store._event_query(session, "web-5", all_sessions).all()]
            query = store._statements.all_sessions if all_sessions else store._statements.last_session
            ours = [json.loads(data) for data in session.execute(query, {"sender_id": "web-5"}).scalars()]
            assert ours == theirs
        latest = store._event_query(session, "web-5", fetch_events_from_all_sessions=False).count()
        assert session.execute(store._statements.last_session_count, {"sender_id": "web-5"}).scalar() == latest
    assert latest < len(theirs)  # two sessions: the latest is a part of the whole
    read = asyncio.run(store.retrieve("web-5"))
    assert read is not None and [e.as_dict()["event"] for e in read.events] == ["session_started", "action", "user"]
