"""How actions reach the front door's services.

The rasa-sdk action server instantiates action classes itself, without
arguments, so the services cannot be handed to constructors there. They are
built once, on the first action call (never at import), from
``Settings.from_env()`` by the composition root. Tests construct actions with
their own :class:`Services` instead.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.app import FrontDoor, create_frontdoor
from bot.language import LanguageDetector
from bot.messages import Catalog
from bot.nlu.entities import EntityFinder
from bot.nlu.sectors import SectorMatcher
from bot.paths.steps import PathStep, step_line
from bot.register.intake import IntakeRules
from bot.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """What the actions use."""

    frontdoor: FrontDoor
    intake: IntakeRules
    catalog: Catalog
    language: LanguageDetector


def build_services(settings: Settings) -> Services:
    """The action server's composition root."""
    frontdoor = create_frontdoor(settings)
    finder = EntityFinder.load(frontdoor.morphology, municipalities=frontdoor.municipalities) if frontdoor.morphology else None
    sectors = SectorMatcher.load(frontdoor.taxonomy, finder)
    frontdoor.paths.drafter()  # the catalogue's index is built now, not in a customer's turn
    catalog = Catalog.load()
    return Services(
        frontdoor=frontdoor,
        intake=IntakeRules(frontdoor.taxonomy, frontdoor.municipalities, sectors, catalog),
        catalog=catalog,
        language=LanguageDetector(),
    )


class _Lazy:
    """Builds the services once, on first use, whichever action asks first."""

    def __init__(self, factory: Callable[[], Services]):
        self._factory = factory
        self._services: Services | None = None
        self._lock = asyncio.Lock()

    def set(self, services: Services) -> None:
        self._services = services

    async def get(self) -> Services:
        if self._services is None:
            async with self._lock:
                if self._services is None:
                    self._services = await asyncio.to_thread(self._factory)
                    logger.info("front door services ready")
        return self._services


_default = _Lazy(lambda: build_services(Settings.from_env()))


def use(services: Services) -> None:
    """Hand the action server's services, built by its entry point, to every action."""
    _default.set(services)


async def resolve(services: Services | None) -> Services:
    """The given services, or the server's own, built on first use."""
    return services if services is not None else await _default.get()


class FrontDoorAction(Action, ABC):
    """An action with access to the services; subclasses implement :meth:`act`."""

    def __init__(self, services: Services | None = None):
        self._services = services

    async def services(self) -> Services:
        return await resolve(self._services)

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def act(self, services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.act(await self.services(), dispatcher, tracker)


async def blocking(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def contact_text(frontdoor: FrontDoor) -> str:
    """How to reach the network without the bot."""
    network = frontdoor.network
    return f"{network.contact_email}, {network.contact_phone}" if network.contact_phone else network.contact_email


# How much of the conversation a mentor gets when the customer asks for a person.
TRANSCRIPT_LINES = 5
TRANSCRIPT_LINE_LENGTH = 200


def transcript(tracker: Tracker) -> tuple[str, ...]:
    """The customer's first message (usually the need) and their latest ones, in their own words, shortened.

    Button payloads are left out.
    """
    lines = []
    for event in tracker.events:
        if event.get("event") == "user":
            text = " ".join(str(event.get("text") or "").split())
            if text and not text.startswith("/"):
                lines.append(text if len(text) <= TRANSCRIPT_LINE_LENGTH else text[: TRANSCRIPT_LINE_LENGTH - 1] + "…")
    if len(lines) <= TRANSCRIPT_LINES:
        return tuple(lines)
    return (lines[0], "…", *lines[-(TRANSCRIPT_LINES - 1) :])


def local_time(moment: datetime, zone: str, language: str) -> str:
    """A deadline as the customer reads it: "26.11.2026 klo 12.00"."""
    local = moment.astimezone(ZoneInfo(zone))
    if language == "en":
        return f"{local:%d %b %Y} at {local:%H:%M}"
    return f"{local:%d.%m.%Y} {'kl.' if language == 'sv' else 'klo'} {local:%H.%M}"


def say(services: Services, dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    """Send catalog message ``key`` in the conversation's language."""
    message = services.catalog.render(key, tracker.get_slot("language") or "fi", **values)
    dispatcher.utter_message(text=message.text, buttons=message.buttons or None)


def show_path(services: Services, dispatcher: CollectingDispatcher, tracker: Tracker, steps: list[PathStep]) -> bool:
    """Show a drafted competence path (two steps or more) in the conversation's language; whether it was shown."""
    if len(steps) < 2:
        return False
    language = tracker.get_slot("language") or "fi"
    words = {word: services.catalog.render(f"path_{word}", language).text for word in ("starts", "online", "finnish_only")}
    lines = "\n".join(f"• {step_line(step, language, words)}" for step in steps)
    say(services, dispatcher, tracker, "path_suggestions", steps=lines)
    return True
