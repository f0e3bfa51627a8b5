"""The intake form: consent first, then contact details, each checked as it comes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.runtime import FrontDoorAction, Services, resolve, say
from bot.register.intake import given


def _switched_language(tracker: Tracker) -> bool:
    """Whether the latest message changed the conversation's language."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "language":
            return True
    return False


def _latest_entity(tracker: Tracker, entity: str) -> str | None:
    """The value of the latest message's last ``entity`` (as a slot mapping would take it)."""
    values = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]
    return str(values[-1]) if values and values[-1] else None


class ValidateIntakeForm(FormValidationAction):
    """Asks only what the case needs and re-asks, with the reason, what is not valid."""

    def __init__(self, services: Services | None = None):
        self._services = services

    def name(self) -> str:
        return "validate_intake_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        services = await resolve(self._services)
        return services.intake.required_slots(tracker.slots)

    async def _validate(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slots: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if _switched_language(tracker):
            # "Could we continue in English?" is not a name: ask again in the new language.
            return {slot: None}
        services = await resolve(self._services)
        result = services.intake.check(slot, value, tracker.slots if slots is None else slots)
        if result.problem:
            say(services, dispatcher, tracker, f"invalid.{result.problem}", value=str(value)[:80])
            return {slot: None}
        return result.slots

    async def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._validate("contact_name", value, dispatcher, tracker)

    async def validate_organization(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._validate("organization", value, dispatcher, tracker)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._validate("email", value, dispatcher, tracker)

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._validate("phone", value, dispatcher, tracker)

    async def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The place as named beside the municipality ("Haukipudas" → Oulu): an answer's own, or,
        # for a municipality given before the form, the one the slot kept with it.
        named = _latest_entity(tracker, "place_named")
        if named is None and tracker.get_slot("requested_slot") != "municipality":
            named = tracker.get_slot("place_named")
        slots = {**tracker.slots, "place_named": named}
        return await self._validate("municipality", value, dispatcher, tracker, slots)

    async def validate_sector(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._validate("sector", value, dispatcher, tracker)


class ActionAskConsent(FrontDoorAction):
    """Asks consent before any personal detail, with the privacy notice's address."""

    def name(self) -> str:
        return "action_ask_consent"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "fi"
        say(services, dispatcher, tracker, "ask_consent", privacy_url=services.frontdoor.settings.privacy_notice_url(language))
        return []


class _AskSlot(FrontDoorAction, ABC):
    """Asks for one slot of the form in the customer's language."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for; subclasses set it as a class attribute."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def message_key(self, tracker: Tracker) -> str:
        return f"ask_{self.slot}"

    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        say(services, dispatcher, tracker, self.message_key(tracker))
        return []


class ActionAskCustomerType(_AskSlot):
    slot = "customer_type"


class ActionAskContactName(_AskSlot):
    slot = "contact_name"


class ActionAskOrganization(_AskSlot):
    slot = "organization"


class ActionAskEmail(_AskSlot):
    slot = "email"


class ActionAskPhone(_AskSlot):
    """Phone is optional only when an email address was given."""

    slot = "phone"

    def message_key(self, tracker: Tracker) -> str:
        return "ask_phone" if given(tracker.get_slot("email")) else "ask_phone_required"


class ActionAskMunicipality(_AskSlot):
    slot = "municipality"


class ActionAskSector(_AskSlot):
    slot = "sector"
