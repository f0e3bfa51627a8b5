"""Keeping the conversation in the customer's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontDoorAction, Services, blocking


class ActionDetectLanguage(FrontDoorAction):
    """Sets ``language`` from each message (a custom slot mapping, run every turn)."""

    def name(self) -> str:
        return "action_detect_language"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        if not text or text.startswith("/"):
            return []
        current = tracker.get_slot("language")
        first = sum(1 for e in tracker.events if e.get("event") == "user") <= 1
        language = await blocking(services.language.conversation_language, text, current, first_message=first)
        return [SlotSet("language", language)] if language != current else []
