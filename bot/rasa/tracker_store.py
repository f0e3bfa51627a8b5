"""Rasa's SQL tracker store, storing conversations with personal data masked.

Named in Rasa's endpoints file (``tracker_store: type: bot.rasa.tracker_store.MaskingTrackerStore``;
``frontdoor run`` writes it). It runs inside the Rasa server process.

- Every event is stored masked (:mod:`bot.privacy.masking`), except the value of a
  personal slot the dialogue still uses: the form needs the email given three
  turns ago to send the case. Once that value is no longer in use (the case was
  sent, the customer refused consent or corrected it, the session ended),
  the stored rows of the conversation that still hold it are masked too.
- A turn in which the customer's data were erased (slot ``data_erased`` set)
  deletes the whole stored conversation, and nothing of that turn is kept.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlu.lemmas import open_word_classes
from bot.privacy.masking import ERASED_SLOT, MIN_NAME_PART, PERSONAL_SLOTS, Masker, WordClasses, personal_values

logger = logging.getLogger(__name__)

# Set on a tracker this store read: how many of its session's events are stored (see _additional_events).
_STORED_COUNT = "_frontdoor_stored_events"
# Events after which an earlier value may no longer be in use.
_RELEASING = ("reset_slots", "restart", "session_started")
# Slots whose earlier values hold the customer's own words or details.
RELEASING_SLOTS = frozenset({*PERSONAL_SLOTS, "need_text"})


def _masking_pass(
    earlier: Iterable[Event], new: Iterable[Mapping[str, Any]], live: Mapping[str, Any]
) -> tuple[bool, dict[str, set[str]]]:
    """Which stored rows this turn may have changed: ``(released, first_values)``.

    ``released``: a value stored in an earlier turn may have gone out of use (slots reset, or a
    slot that held a value before this turn now holds another or none): every slot row and every
    row mentioning a value is masked again. ``first_values``: personal values set for the first
    time in this turn; only earlier rows that mention one of them can change (a name typed
    before it was asked). Neither: no stored row can change.
    """
    changed: dict[str, list[Mapping[str, Any]]] = {}
    for event in new:
        if event.get("event") in _RELEASING:
            return True, {}
        if event.get("event") == "slot" and event.get("name") in RELEASING_SLOTS:
            changed.setdefault(str(event.get("name")), []).append(event)
    held: dict[str, set[Any]] = {}
    for event in earlier:
        if isinstance(event, SlotSet) and event.key in changed and event.value not in (None, ""):
            held.setdefault(event.key, set()).add(json.dumps(event.value, sort_keys=True))
    live_now = {slot: json.dumps(live.get(slot), sort_keys=True) for slot in held}
    if any(value != live_now[slot] for slot, values in held.items() for value in values):
        return True, {}
    return False, personal_values(event for slot, events in changed.items() if slot not in held for event in events)


def _erased(events: Iterable[Mapping[str, Any]]) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == ERASED_SLOT and e.get("value") is True for e in events)


@dataclass(frozen=True)
class _Statements:
    """The store's queries, built once with a bound ``sender_id``: SQLAlchemy then compiles each once
    (Rasa builds an ORM query for every read: more time than the database took to answer it)."""

    last_session: sa.sql.Select  # data of the events of the conversation's latest session, in order
    all_sessions: sa.sql.Select  # data of all its events, in order
    last_session_count: sa.sql.Select  # how many events its latest session has
    rows: sa.sql.Select  # id, type and data of every stored row of the conversation, in order
    rewrite: sa.sql.Update  # one row's data (``row_id``, ``masked``), run for many rows at once

    @classmethod
    def of(cls, table: sa.Table) -> _Statements:
        sender = table.c.sender_id == sa.bindparam("sender_id")
        # As Rasa's _event_query: events from the latest session start on, or all if none started.
        start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_last_session = sa.and_(sender, sa.or_(table.c.timestamp >= start, start.is_(None)))
        return cls(
            last_session=sa.select(table.c.data).where(in_last_session).order_by(table.c.id),
            all_sessions=sa.select(table.c.data).where(sender).order_by(table.c.id),
            last_session_count=sa.select(sa.func.count(table.c.id)).where(in_last_session),
            rows=sa.select(table.c.id, table.c.type_name, table.c.data).where(sender).order_by(table.c.id),
            rewrite=sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(data=sa.bindparam("masked")),
        )


class MaskingTrackerStore(SQLTrackerStore):
    """Stores conversations in SQL with personal data masked; forgets an erased conversation."""

    @functools.cached_property
    def _statements(self) -> _Statements:
        return _Statements.of(self.SQLEvent.__table__)

    _word_classes: WordClasses | None = None
    _voikko_opened = False

    def word_classes(self) -> WordClasses | None:
        """Voikko, opened on the first save (names in free text are masked with it)."""
        if not self._voikko_opened:
            self._word_classes = open_word_classes()
            self._voikko_opened = True
        return self._word_classes

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the turn's events, masked, and mask earlier rows whose personal values are no longer in use."""
        await self.stream_events(tracker)
        live = tracker.current_slot_values()
        with self.session_scope() as session:
            stored = self._stored_count(session, tracker)
            new = [event.as_dict() for event in itertools.islice(tracker.events, stored, len(tracker.events))]
            if _erased(new):
                deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
                session.commit()
                logger.info("a conversation was erased on the customer's request (%d stored events)", deleted)
                return
            masker = Masker(_slot_values(tracker), self.word_classes())
            rows = [
                {
                    "sender_id": tracker.sender_id,
                    "type_name": data.get("event"),
                    "timestamp": data.get("timestamp"),
                    "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": _dumps(masker.event(data, live)),
                }
                for data in new
            ]
            released, first_values = _masking_pass(itertools.islice(tracker.events, stored), new, live)
            if first_values and not released:
                # Before this turn's rows go in: they are masked already, only earlier ones can change.
                self._mask_mentions(session, tracker.sender_id, first_values, masker, live)
            if rows:
                # One multi-row INSERT, no ORM objects: Rasa reads these rows back, never through them.
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            if released:
                self._mask_stored(session, tracker.sender_id, live)
            session.commit()

    def _mask_stored(self, session: Any, sender_id: str, live: Mapping[str, Any]) -> None:
        """Mask, in every stored session of the conversation, the values no longer in use.

        Only rows that can change are masked again: slot rows (a value may have gone out of
        use) and rows that hold a personal value somewhere in their text. Every other row was
        masked when it was stored, and masking again would give the same text.
        """
        rows = session.execute(self._statements.rows, {"sender_id": sender_id}).all()
        slot_rows = [(row, json.loads(row.data)) for row in rows if row.type_name == "slot"]
        values = personal_values(event for _row, event in slot_rows)
        needles = _needles(values)
        candidates = slot_rows + [
            (row, json.loads(row.data))
            for row in rows
            if row.type_name != "slot" and any(needle in row.data.lower() for needle in needles)
        ]
        masker = Masker(values, self.word_classes())
        changed = [
            {"row_id": row.id, "masked": masked}
            for row, event in candidates
            if (masked := _dumps(masker.event(event, live))) != row.data
        ]
        if changed:
            session.execute(self._statements.rewrite, changed)

    def _mask_mentions(
        self, session: Any, sender_id: str, values: Mapping[str, Iterable[str]], masker: Masker, live: Mapping[str, Any]
    ) -> None:
        """Mask ``values``, set for the first time in this turn, where earlier turns' rows mention them.

        Called before this turn's rows are inserted, so the query sees only earlier ones; those were
        masked when stored, and only a mention of a value new to the masker can change.
        """
        needles = _needles(values)
        if not needles:
            return
        changed = []
        for row in session.execute(self._statements.rows, {"sender_id": sender_id}):
            if any(needle in row.data.lower() for needle in needles):
                masked = _dumps(masker.event(json.loads(row.data), live))
                if masked != row.data:
                    changed.append({"row_id": row.id, "masked": masked})
        if changed:
            session.execute(self._statements.rewrite, changed)

    def _stored_count(self, session: Any, tracker: DialogueStateTracker) -> int:
        """How many of the tracker's events are stored already (the rest are this turn's).

        Rasa counts the stored events of the conversation's session before each save. A tracker
        this store read carries that count from the read (the turn holds the conversation's lock,
        so no other Rasa process wrote since); the first save uses it, later ones ask the database.
        """
        count = tracker.__dict__.pop(_STORED_COUNT, None)
        if count is None:
            count = session.execute(self._statements.last_session_count, {"sender_id": tracker.sender_id}).scalar() or 0
        return int(count)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's own retrieval, reading only the events' data column."""
        query = self._statements.all_sessions if fetch_events_from_all_sessions else self._statements.last_session
        with self.session_scope() as session:
            events = [json.loads(data) for data in session.execute(query, {"sender_id": sender_id}).scalars()]
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:
                tracker.__dict__[_STORED_COUNT] = len(events)
            return tracker
        return None


def _slot_values(tracker: DialogueStateTracker) -> dict[str, set[str]]:
    """Every value a personal slot was set to in the tracker (without serialising its events)."""
    return personal_values({"event": "slot", "name": e.key, "value": e.value} for e in tracker.events if isinstance(e, SlotSet))


def _needles(values: Mapping[str, Iterable[str]]) -> list[str]:
    """What a stored row's JSON holds, lower-cased, if one of ``values`` is in it (a name: any part of it)."""
    needles = set()
    for slot, slot_values in values.items():
        for value in slot_values:
            parts = re.split(r"[\s,]+", value) if slot == "contact_name" else [value.strip()]
            for part in parts:
                if len(part) >= MIN_NAME_PART:
                    needles.add(json.dumps(part.lower(), ensure_ascii=False)[1:-1])
                    needles.add(json.dumps(part.lower())[1:-1])  # rows stored before with ASCII escapes
    return sorted(needles)


def _dumps(event: Mapping[str, Any]) -> str:
    # Unescaped text, so that a stored value can be searched for as it is written.
    return json.dumps(event, ensure_ascii=False)
