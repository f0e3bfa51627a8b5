"""Answers that need the network's or the privacy notice's details."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.review import forget_intake
from actions.runtime import FrontDoorAction, Services, blocking, contact_text, local_time, say, transcript
from bot.register.cases import find_reference


def _reference(tracker: Tracker) -> str | None:
    """The case a message is about: a reference written in it, else the one this conversation made."""
    text = str(tracker.latest_message.get("text") or "")
    return find_reference(text) or tracker.get_slot("case_reference")


class ActionExplainPrivacy(FrontDoorAction):
    """What happens to the customer's data, with a link to the notice."""

    def name(self) -> str:
        return "action_explain_privacy"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "fi"
        say(services, dispatcher, tracker, "privacy", privacy_url=services.frontdoor.settings.privacy_notice_url(language))
        return []


class ActionOfferHuman(FrontDoorAction):
    """How to reach a person: through a case, or the network's own contacts."""

    def name(self) -> str:
        return "action_offer_human"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        frontdoor = services.frontdoor
        reference = tracker.get_slot("case_reference")
        if reference:
            # A case from this conversation exists: its mentor is asked to get in touch.
            contact = await blocking(
                frontdoor.cases.request_human, reference, conversation_id=tracker.sender_id, transcript=transcript(tracker)
            )
            if contact is not None:
                language = tracker.get_slot("language") or "fi"
                by = local_time(contact.respond_by, frontdoor.network.service.timezone, language)
                say(services, dispatcher, tracker, "human_case", mentor=contact.mentor_name, reference=reference, by=by)
                return []
        # No case yet: the case that this conversation makes is marked for a person.
        say(services, dispatcher, tracker, "human", contact=contact_text(frontdoor))
        return [SlotSet("human_requested", True)]


class ActionCancelIntake(FrontDoorAction):
    """Stops the intake on request and forgets what was collected."""

    def name(self) -> str:
        return "action_cancel_intake"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        reference = tracker.get_slot("case_reference")
        if reference and not tracker.active_loop_name:
            # "Stop" after a case was made may mean the case: ask, never cancel it on a guess.
            say(services, dispatcher, tracker, "cancel_case_offer", reference=reference)
            return []
        say(services, dispatcher, tracker, "intake_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *forget_intake(tracker)]


class ActionCaseStatus(FrontDoorAction):
    """Where a case is, by the reference in the message or the one made in this conversation."""

    def name(self) -> str:
        return "action_case_status"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        reference = _reference(tracker)
        if not reference:
            say(services, dispatcher, tracker, "case_status_unknown", contact=contact_text(services.frontdoor))
            return []
        emails = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "email"]
        status = await blocking(
            services.frontdoor.cases.status_for,
            reference,
            conversation_id=tracker.sender_id,
            email=str(emails[0]) if emails else None,
        )
        if status is None:
            # Not this conversation's case and no matching email: say nothing about it.
            say(services, dispatcher, tracker, "case_status_verify", reference=reference)
            return []
        language = tracker.get_slot("language") or "fi"
        say(
            services,
            dispatcher,
            tracker,
            "case_status",
            reference=reference,
            status=services.catalog.status_name(status, language),
        )
        return []


class ActionCancelCase(FrontDoorAction):
    """The customer withdraws the case this conversation made."""

    def name(self) -> str:
        return "action_cancel_case"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        reference = _reference(tracker)
        outcome = (
            await blocking(services.frontdoor.lifecycle.cancel_by_customer, reference, tracker.sender_id) if reference else None
        )
        if outcome is None:
            say(services, dispatcher, tracker, "cancel_case_unknown", contact=contact_text(services.frontdoor))
            return []
        say(services, dispatcher, tracker, "case_cancelled", reference=outcome.reference)
        return [SlotSet("case_reference", None)]
