"""Recognising the customer's need: the first step of every case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontDoorAction, Services, say
from bot.needs import OTHER


def _customer_words(tracker: Tracker) -> str | None:
    """The customer's latest own words (button payloads like "/need_x" are not words)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = (event.get("text") or "").strip()
            if text and not text.startswith("/"):
                return text
    return None


class ActionRegisterNeed(FrontDoorAction):
    """Sets ``need`` from the intent, and ``customer_type`` where the need implies it."""

    def name(self) -> str:
        return "action_register_need"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        taxonomy = services.frontdoor.taxonomy
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        need = taxonomy.need_for_intent(intent) or taxonomy.needs[OTHER]
        language = tracker.get_slot("language") or "fi"
        events: list[dict[str, Any]] = [
            SlotSet("need", need.id),
            SlotSet("need_text", _customer_words(tracker)),
            SlotSet("awaiting_confirmation", False),
            SlotSet("case_reference", None),
        ]
        implied = taxonomy.implied_customer_type(need.id)
        if implied:
            events.append(SlotSet("customer_type", implied))
        say(services, dispatcher, tracker, "need_registered", need_name=need.name(language))
        return events
