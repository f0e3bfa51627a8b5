"""The intake's actions over the Oulu network with the real services: the place the customer
named reaches the form's check, the summary and the case; the review holds until it is complete."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_form import ValidateIntakeForm
from actions.review import ActionReviewIntake
from actions.runtime import Services, build_services
from actions.submit import ActionSubmitCase
from bot.settings import PROJECT_ROOT, Settings

# An employer near Oulu with everything asked; the municipality as the NLU and the form leave it.
EMPLOYER: dict[str, Any] = {
    "language": "fi",
    "need": "apprenticeship",
    "need_text": "Tarvitsemme oppisopimusopiskelijan, yritys on Haukiputaalla",
    "customer_type": "employer",
    "consent": True,
    "contact_name": "Maija Meikäläinen",
    "organization": "Puu ja Kone Oy",
    "email": "maija@example.org",
    "phone": "-",
    "municipality": "Oulu",
    "place_named": "Haukipudas",
    "sector": "technology",
    "awaiting_confirmation": True,
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("oulu")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'cases.db'}",
        network_path=PROJECT_ROOT / "networks" / "oulu.yml",
        catalogue_dir=Path(folder / "catalogue"),
    )
    built = build_services(settings)
    yield built
    built.frontdoor.engine.dispose()


def tracker(slots: dict[str, Any], text: str, entities: list[dict[str, Any]] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": entities or []}
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message},
    ]
    return Tracker("oulu-test", slots, message, events, False, None, {}, "action_listen")


def place(municipality: str, named: str, text: str) -> list[dict[str, Any]]:
    """The entities the NLU gives for a place (tests/bot/nlu/test_entities.py checks it does)."""
    return [
        {"entity": "municipality", "value": municipality, "start": 0, "end": len(text)},
        {"entity": "place_named", "value": named, "start": 0, "end": len(text)},
    ]


def validate_municipality(
    services: Services, slots: dict[str, Any], value: str, text: str, entities: list[dict[str, Any]]
) -> dict[str, Any]:
    action = ValidateIntakeForm(services)
    return asyncio.run(action.validate_municipality(value, CollectingDispatcher(), tracker(slots, text, entities), {}))


def test_the_answer_haukipudas_keeps_the_former_municipality(services: Services) -> None:
    asked = {"requested_slot": "municipality", "place_named": None}
    # The form's slot mapping takes the municipality entity: Oulu; the answer's place as named is Haukipudas.
    result = validate_municipality(services, asked, "Oulu", "Haukipudas", place("Oulu", "Haukipudas", "Haukipudas"))
    assert result == {"municipality": "Oulu", "place_named": "Haukipudas"}
    # Typed without an entity, the answer is read as a whole.
    assert validate_municipality(services, asked, "Haukipuads", "Haukipuads", []) == {
        "municipality": "Oulu",
        "place_named": "Haukipudas",
    }


def test_a_place_named_earlier_does_not_stick_to_a_new_answer(services: Services) -> None:
    asked = {"requested_slot": "municipality", "place_named": "Kiiminki"}
    assert validate_municipality(services, asked, "Oulu", "Oulu", place("Oulu", "Oulu", "Oulu")) == {
        "municipality": "Oulu",
        "place_named": None,
    }


def test_a_municipality_from_an_earlier_message_keeps_the_place_named_with_it(services: Services) -> None:
    # The form starts with the municipality filled before it (requested_slot not set yet).
    before = {"requested_slot": None, "municipality": "Oulu", "place_named": "Haukipudas"}
    assert validate_municipality(services, before, "Oulu", "Tarvitsemme oppisopimusopiskelijan", []) == {
        "municipality": "Oulu",
        "place_named": "Haukipudas",
    }


def review(services: Services, slots: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionReviewIntake(services).run(dispatcher, tracker(slots, "työnantaja"), {}))
    return events, dispatcher.messages


def test_the_summary_names_the_place_and_waits_for_a_confirmation(services: Services) -> None:
    events, messages = review(services, EMPLOYER)
    (message,) = messages
    assert "Tarkistetaan vielä tiedot" in message["text"] and "Kunta: Oulu (Haukipudas)" in message["text"]
    assert "Kyllä, lähetä" in [b["title"] for b in message["buttons"]]
    assert events == [{"event": "slot", "timestamp": None, "name": "awaiting_confirmation", "value": True}]


def test_a_role_changed_at_the_review_asks_what_it_needs_first(services: Services) -> None:
    # An individual who answers "työnantaja" at the review: the organisation and sector are asked before any summary.
    employer_now = {**EMPLOYER, "organization": None, "sector": None}
    events, messages = review(services, employer_now)
    assert messages == []
    assert [e["event"] for e in events] == ["slot", "followup"]
    assert (events[0]["name"], events[0]["value"], events[1]["name"]) == ("awaiting_confirmation", False, "intake_form")


def test_the_case_goes_to_the_northern_unit_with_the_place_named(services: Services) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSubmitCase(services).run(dispatcher, tracker(EMPLOYER, "kyllä"), {}))
    (reference,) = [e["value"] for e in events if e.get("name") == "case_reference"]
    shown = services.frontdoor.cases.show_case(reference)
    assert shown is not None
    assert (shown["municipality"], shown["place_named"], shown["area"]) == ("Oulu", "Haukipudas", "pohjoinen-oulu")
    assert shown["partner"] == "osao-pohjoinen"
    assert "Oulun ammattiopisto, Haukiputaan yksikkö" in dispatcher.messages[0]["text"]
