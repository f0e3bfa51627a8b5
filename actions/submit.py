"""Creating the case once the customer confirms the summary."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.runtime import FrontDoorAction, Services, blocking, contact_text, say, show_path, transcript
from bot.privacy.masking import PERSONAL_SLOTS
from bot.rasa.entry import entry_partner
from bot.register.cases import CaseError

logger = logging.getLogger(__name__)


class ActionSubmitCase(FrontDoorAction):
    """Stores and routes the case, then tells the customer its reference and who calls."""

    def name(self) -> str:
        return "action_submit_case"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        frontdoor = services.frontdoor
        intake = services.intake.to_intake(
            tracker.slots,
            channel=tracker.get_latest_input_channel(),
            conversation_id=tracker.sender_id,
            privacy_notice_version=frontdoor.settings.privacy_notice_version,
            transcript=transcript(tracker),
            entry_partner=entry_partner(tracker.events, frontdoor.network),
        )
        try:
            receipt = await blocking(frontdoor.cases.create_case, intake)
        except (SQLAlchemyError, CaseError) as exc:
            # The message says what failed, never whose data it was.
            logger.error("case could not be stored: %s", type(exc).__name__)
            say(services, dispatcher, tracker, "case_failed", contact=contact_text(frontdoor))
            return []
        person = receipt.mentor_name
        if receipt.partner_name:
            person = f"{receipt.mentor_name} ({receipt.partner_name})"
        key = "case_linked" if receipt.linked else "case_created"
        say(services, dispatcher, tracker, key, reference=receipt.reference, contact_person=person)
        if not intake.path_shown:  # one shown when the need was named is the case's path already
            show_path(services, dispatcher, tracker, list(receipt.path))
        return [
            SlotSet("case_reference", receipt.reference),
            SlotSet("awaiting_confirmation", False),
            SlotSet("need", None),
            SlotSet("need_text", None),
            SlotSet("human_requested", False),
            SlotSet("path_shown", None),
            # The case holds the contact details now; the conversation keeps none of them
            # (the tracker store masks what is no longer in use). A second need asks them again.
            *[SlotSet(slot, None) for slot in PERSONAL_SLOTS],
        ]
