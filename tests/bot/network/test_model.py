"""The network model: what the demo network file gives routing."""

from __future__ import annotations

from datetime import date

from bot.network.model import Mentor, Network


def test_the_demo_network_is_valid(network: Network) -> None:
    assert network.id == "kymenlaakso-demo"
    assert {p.kind for p in network.partners} == {"education_provider", "employment_services", "business_services"}
    assert network.coordinator.id == "coordinator"
    kotka = network.area_of("Kotka")
    assert kotka is not None and kotka.id == "kotka-hamina"
    assert all(m.channels for m in network.mentors)


def test_a_mentor_away_is_not_available_and_a_focus_limits_what_they_handle() -> None:
    mentor = Mentor(
        id="m", name="M", partner="p", needs=frozenset({"staff_training"}), away=((date(2026, 12, 21), date(2027, 1, 6)),)
    )
    assert not mentor.available_on(date(2026, 12, 24)) and mentor.available_on(date(2027, 1, 7))
    assert mentor.handles("staff_training", "logistics") and not mentor.handles("apprenticeship", None)
    assert Mentor(id="n", name="N", partner="p").handles("apprenticeship", "logistics")  # no focus: everything


def test_the_coordinator_is_a_mentor_of_the_network(network: Network) -> None:
    assert network.mentor(network.coordinator.id) is network.coordinator
    assert network.mentor("nobody") is None
    mentors = network.mentors_of("kaakko-amk")
    assert mentors and all(m.partner == "kaakko-amk" for m in mentors)
