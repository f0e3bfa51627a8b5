from __future__ import annotations

from bot.network import Network
from bot.routing import RoutingRequest, route


def test_apprenticeship_in_kouvola_goes_to_the_vocational_college(network: Network) -> None:
    decision = route(network, RoutingRequest(need="apprenticeship", municipality="Kouvola", sector="logistics"), {})
    assert (decision.partner, decision.mentor, decision.area) == ("kymi-ammattiopisto", "ao-marja", "kouvola")
    assert decision.reason.startswith("need=apprenticeship, area=kouvola, sector=logistics")
    assert "partner kymi-ammattiopisto, mentor ao-marja" in decision.reason
    assert not decision.to_coordinator


def test_a_partner_serving_the_area_outranks_one_serving_everywhere(network: Network) -> None:
    decision = route(network, RoutingRequest(need="recruitment", municipality="Kotka", sector="ict"), {})
    assert decision.partner == "kymi-yrityskehitys"


def test_the_partner_must_serve_the_area(network: Network) -> None:
    decision = route(network, RoutingRequest(need="recruitment", municipality="Virolahti", sector="ict"), {})
    assert decision.partner == "kymi-tyollisyys"


def test_the_least_loaded_mentor_with_capacity_gets_the_case(network: Network) -> None:
    request = RoutingRequest(need="apprenticeship", municipality="Kouvola")
    assert route(network, request, {"ao-marja": 3, "ao-pekka": 1}).mentor == "ao-pekka"
    assert route(network, request, {"ao-marja": 20, "ao-pekka": 20}).partner == "kymi-tyollisyys"


def test_a_need_nobody_offers_goes_to_the_coordinator(network: Network) -> None:
    decision = route(network, RoutingRequest(need="other", municipality="Kotka"), {})
    assert decision.to_coordinator
    assert decision.mentor == network.coordinator.id
    assert "coordinator" in decision.reason and "no partner offers this need here" in decision.reason


def test_full_partners_fall_back_to_the_coordinator(network: Network) -> None:
    loads = {m.id: m.capacity for m in network.mentors}
    decision = route(network, RoutingRequest(need="job_search", municipality="Hamina"), loads)
    assert decision.to_coordinator
    assert "no mentor with capacity" in decision.reason


def test_a_place_outside_the_network_still_reaches_partners_serving_everywhere(network: Network) -> None:
    decision = route(network, RoutingRequest(need="job_search", municipality="Oulu"), {})
    assert decision.area is None
    assert decision.partner == "kymi-tyollisyys"
