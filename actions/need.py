"""Recognising the customer's need: the first step of every case."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontDoorAction, Services, blocking, say, show_path
from bot.network.needs import OTHER
from bot.paths.drafting import SUGGEST_AT_ONCE

logger = logging.getLogger(__name__)


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
        words = _customer_words(tracker)
        events: list[dict[str, Any]] = [
            SlotSet("need", need.id),
            SlotSet("need_text", words),
            SlotSet("awaiting_confirmation", False),
            SlotSet("case_reference", None),
        ]
        implied = taxonomy.implied_customer_type(need.id)
        if implied:
            events.append(SlotSet("customer_type", implied))
        say(services, dispatcher, tracker, "need_registered", need_name=need.name(language))
        shown: list[str] = []
        if need.id in SUGGEST_AT_ONCE:
            # What the customer could study or do is worth showing at once, before any details are asked.
            try:
                steps = await blocking(
                    services.frontdoor.paths.draft,
                    need=need.id,
                    text=words,
                    customer_type=implied or tracker.get_slot("customer_type"),
                    sector=tracker.get_slot("sector"),
                    language=language,
                    municipality=tracker.get_slot("municipality"),
                    place_named=tracker.get_slot("place_named"),
                )
            except Exception as exc:  # suggestions are a help: without them the intake goes on
                logger.error("no path drafted in the dialogue: %s", type(exc).__name__)
                steps = []
            if show_path(services, dispatcher, tracker, steps):
                shown = [step.id for step in steps]
        events.append(SlotSet("path_shown", shown or None))
        return events


class ActionClarifyNeed(FrontDoorAction):
    """When the bot is unsure, offers the most likely needs as buttons instead of guessing."""

    def name(self) -> str:
        return "action_clarify_need"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        taxonomy = services.frontdoor.taxonomy
        language = tracker.get_slot("language") or "fi"
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = services.intake.likely_needs([str(r.get("name")) for r in ranking], limit=3)
        buttons = [{"title": taxonomy.needs[n].name(language), "payload": f"/{taxonomy.needs[n].intent}"} for n in likely]
        buttons.append({"title": taxonomy.needs[OTHER].name(language), "payload": f"/{taxonomy.needs[OTHER].intent}"})
        message = services.catalog.render("clarify_need", language)
        dispatcher.utter_message(text=message.text, buttons=buttons)
        return []
