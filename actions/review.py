"""After the form: a summary to confirm, corrections field by field, or no consent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontDoorAction, Services, contact_text, say
from bot.register.intake import CORRECTABLE


def forget_intake(tracker: Tracker) -> list[dict[str, Any]]:
    """Drop every collected detail; keep only the conversation's language."""
    return [AllSlotsReset(), SlotSet("language", tracker.get_slot("language") or "fi")]


class ActionReviewIntake(FrontDoorAction):
    """Shows the summary to confirm, or, without consent, says how to reach the network.

    Shown again for any answer that neither confirms nor corrects it (data/rules):
    nothing is sent until the customer confirms what they see. A role given at
    the review ("työnantaja") can call for details not asked yet: the form asks
    them first, and the summary follows.
    """

    def name(self) -> str:
        return "action_review_intake"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        if tracker.get_slot("consent") is not True:
            say(services, dispatcher, tracker, "consent_refused", contact=contact_text(services.frontdoor))
            return forget_intake(tracker)
        if services.intake.missing(tracker.slots):
            return [SlotSet("awaiting_confirmation", False), FollowupAction("intake_form")]
        language = tracker.get_slot("language") or "fi"
        say(services, dispatcher, tracker, "summary", **services.intake.summary(tracker.slots, language))
        return [SlotSet("awaiting_confirmation", True)]


class ActionCorrectField(FrontDoorAction):
    """Empties the field the customer wants to correct and lets the form ask it again."""

    def name(self) -> str:
        return "action_correct_field"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        field = tracker.get_slot("field")
        if field not in CORRECTABLE:
            dispatcher.utter_message(response="utter_ask_which_field")
            return [SlotSet("field", None)]
        events: list[dict[str, Any]] = [SlotSet("field", None), SlotSet("awaiting_confirmation", False), SlotSet(field, None)]
        if field == "customer_type":
            # The role decides which details are asked: ask them again too.
            events += [SlotSet(name, None) for name in ("organization", "sector")]
        if field in ("email", "phone"):
            # "Email and/or phone": a skipped partner field is asked again.
            other = "phone" if field == "email" else "email"
            if tracker.get_slot(other) == "-":
                events.append(SlotSet(other, None))
        if field == "municipality":
            events.append(SlotSet("place_named", None))
        return events
