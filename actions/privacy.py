"""The customer's own data: erasing it on request, from the chat or Telegram's /delete."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.runtime import FrontDoorAction, Services, blocking, contact_text, say
from bot.privacy.masking import ERASED_SLOT

logger = logging.getLogger(__name__)

# What the widget receives when the conversation was erased.
ERASED_SIGNAL = {"frontdoor": "erased"}


class ActionAskErasure(FrontDoorAction):
    """Says what erasure removes (the cases made in this conversation) and asks to confirm."""

    def name(self) -> str:
        return "action_ask_erasure"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        references = await blocking(services.frontdoor.privacy.cases_of_conversation, tracker.sender_id)
        if references:
            say(services, dispatcher, tracker, "erasure_confirm_cases", references=", ".join(references))
        else:
            say(services, dispatcher, tracker, "erasure_confirm")
        # A summary waiting for "yes" would otherwise take the answer as confirming the case.
        return [SlotSet("awaiting_confirmation", False)]


class ActionEraseData(FrontDoorAction):
    """Erases the conversation's cases and the conversation itself; their mentors are told."""

    def name(self) -> str:
        return "action_erase_data"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        try:
            erasure = await blocking(services.frontdoor.privacy.erase, conversation_id=tracker.sender_id, actor="customer")
        except SQLAlchemyError as exc:
            logger.error("erasure failed: %s", type(exc).__name__)
            say(services, dispatcher, tracker, "erasure_failed", contact=contact_text(services.frontdoor))
            return []
        if erasure.references:
            say(services, dispatcher, tracker, "erased_cases", references=", ".join(erasure.references))
        else:
            say(services, dispatcher, tracker, "erased")
        # Tells the widget to forget its copy of the conversation too (Rasa's socket.io channel
        # emits a custom message's "data" as the event).
        dispatcher.utter_message(json_message={"data": ERASED_SIGNAL})
        # The tracker store deletes the whole stored conversation when it sees this slot set.
        return [AllSlotsReset(), SlotSet(ERASED_SLOT, True)]


class ActionKeepData(FrontDoorAction):
    """The customer did not confirm the erasure: nothing changes."""

    def name(self) -> str:
        return "action_keep_data"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        say(services, dispatcher, tracker, "erasure_kept")
        return []
