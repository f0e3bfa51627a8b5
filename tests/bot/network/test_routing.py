"""Routing over both shipped networks: (need, place, sector, language) → partner and mentor, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from bot.network.loading import load_network
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.network.routing import RoutingRequest, Workload, route
from bot.settings import PROJECT_ROOT

A_WORKDAY = date(2026, 11, 25)
CHRISTMAS = date(2026, 12, 28)  # osao-ville is away 21.12.–6.1.


@pytest.fixture(scope="module")
def networks(taxonomy: Taxonomy, municipalities: Municipalities) -> dict[str, Network]:
    return {
        name: load_network(PROJECT_ROOT / "networks" / f"{name}.yml", taxonomy, municipalities)
        for name in ("kymenlaakso", "oulu")
    }


@dataclass(frozen=True)
class Row:
    network: str
    need: str
    municipality: str | None
    sector: str | None
    language: str
    partner: str | None
    mentor: str
    place_named: str | None = None
    full: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    day: date = A_WORKDAY
    why: str = ""


TABLE = [
    # Kymenlaakso
    Row("kymenlaakso", "apprenticeship", "Kouvola", "logistics", "fi", "kymi-ammattiopisto", "ao-marja"),
    Row("kymenlaakso", "apprenticeship", "Kouvola", "logistics", "sv", "kymi-tyollisyys", "ty-anna", why="serves in Swedish"),
    Row("kymenlaakso", "recruitment", "Kotka", "ict", "fi", "kymi-yrityskehitys", "yk-tiina", why="serves the area"),
    Row("kymenlaakso", "recruitment", "Virolahti", "ict", "fi", "kymi-tyollisyys", "ty-anna", why="area not served"),
    Row("kymenlaakso", "recruitment", "Kotka", "hospitality", "fi", "kymi-tyollisyys", "ty-anna", why="sector not served"),
    Row("kymenlaakso", "staff_training", "Hamina", "ict", "en", "kaakko-amk", "amk-leena"),
    Row("kymenlaakso", "competence_path", "Kouvola", None, "fi", "kaakko-amk", "amk-jussi", why="leena's focus excludes it"),
    Row("kymenlaakso", "job_search", "Oulu", None, "fi", "kymi-tyollisyys", "ty-anna", why="serves everywhere"),
    Row("kymenlaakso", "other", "Kotka", None, "fi", "kaakko-amk", "coordinator", why="nobody offers it"),
    Row("kymenlaakso", "apprenticeship", "Kouvola", None, "fi", "kymi-ammattiopisto", "ao-pekka", full=("ao-marja",)),
    Row(
        "kymenlaakso",
        "apprenticeship",
        "Kouvola",
        None,
        "fi",
        "kymi-tyollisyys",
        "ty-anna",
        full=("ao-marja", "ao-pekka"),
        why="the college is full",
    ),
    Row("kymenlaakso", "apprenticeship", "Kouvola", None, "fi", "kymi-ammattiopisto", "ao-pekka", exclude=("ao-marja",)),
    Row(
        "kymenlaakso",
        "job_search",
        "Hamina",
        None,
        "fi",
        "kaakko-amk",
        "coordinator",
        full=("ty-anna", "ty-mikko"),
        why="all full",
    ),
    # Oulu region
    Row("oulu", "apprenticeship", "Oulu", "technology", "fi", "osao-oulu", "osao-markus"),
    Row("oulu", "apprenticeship", "Oulu", "social_health", "fi", "osao-oulu", "osao-helmi", why="markus' sectors"),
    Row("oulu", "staff_training", "Kempele", None, "fi", "osao-etela", "osao-eero"),
    Row("oulu", "learning_placement", "Oulu", None, "fi", "osao-pohjoinen", "osao-jaana", place_named="Haukipudas"),
    Row("oulu", "learning_placement", "Ii", None, "fi", "osao-pohjoinen", "osao-jaana"),
    Row("oulu", "instructor_training", "Taivalkoski", None, "fi", "osao-pohjoinen", "osao-jaana"),
    Row("oulu", "instructor_training", "Taivalkoski", None, "fi", "osao-pohjoinen", "osao-ville", full=("osao-jaana",)),
    Row(
        "oulu",
        "instructor_training",
        "Taivalkoski",
        None,
        "fi",
        "osao-oulu",
        "keskus-koordinaattori",
        full=("osao-jaana",),
        day=CHRISTMAS,
        why="ville is away",
    ),
    Row("oulu", "recruitment", "Oulu", "ict", "fi", "businessoulu", "bo-aino", why="sector and area fit best"),
    Row("oulu", "recruitment", "Pudasjärvi", "ict", "fi", "oulu-tyollisyys", "tyo-sanna", why="business services not there"),
    Row("oulu", "job_search", "Liminka", None, "sv", "oulu-tyollisyys", "tyo-sanna"),
    Row("oulu", "recruitment", "Tampere", None, "fi", "osao-oulu", "keskus-koordinaattori", why="rest of Finland"),
    Row("oulu", "apprenticeship", None, None, "fi", "osao-oulu", "keskus-koordinaattori", why="no place given"),
]


@pytest.mark.parametrize(
    "row", TABLE, ids=[f"{r.network}-{r.need}-{r.municipality}-{r.sector}-{r.language}-{i}" for i, r in enumerate(TABLE)]
)
def test_routing_table(networks: dict[str, Network], row: Row) -> None:
    network = networks[row.network]
    loads = {mentor: network.mentor(mentor).capacity for mentor in row.full}  # type: ignore[union-attr]
    request = RoutingRequest(
        need=row.need,
        municipality=row.municipality,
        place_named=row.place_named,
        sector=row.sector,
        language=row.language,
        exclude=frozenset(row.exclude),
    )
    decision = route(network, request, Workload(open_cases=loads), row.day)
    assert (decision.partner, decision.mentor) == (row.partner, row.mentor), decision.reason
    assert decision.to_coordinator == (row.mentor == network.coordinator.id)
    assert decision.reason.startswith(f"need={row.need}, area=")
    assert f"mentor {row.mentor}" in decision.reason or f"coordinator {row.mentor}" in decision.reason


def test_the_reason_says_why(networks: dict[str, Network]) -> None:
    network = networks["kymenlaakso"]
    request = RoutingRequest(need="apprenticeship", municipality="Kouvola", sector="logistics")
    decision = route(network, request, Workload(open_cases={"ao-marja": 3, "ao-pekka": 1}), A_WORKDAY)
    assert decision.reason == (
        "need=apprenticeship, area=kouvola, sector=logistics, language=fi → partner kymi-ammattiopisto, "
        "mentor ao-pekka: least loaded of 2 (1 open)"
    )
    everyone_full = {m.id: m.capacity for m in network.mentors}
    decision = route(
        network, RoutingRequest(need="job_search", municipality="Hamina"), Workload(open_cases=everyone_full), A_WORKDAY
    )
    assert "no mentor who is free, present and has not declined" in decision.reason
    away = route(
        networks["oulu"],
        RoutingRequest(need="instructor_training", municipality="Taivalkoski"),
        Workload(open_cases={"osao-jaana": 15}),
        CHRISTMAS,
    )
    assert "1 at capacity" in away.reason and "1 away" in away.reason


def test_ties_go_in_turn(networks: dict[str, Network]) -> None:
    network = networks["kymenlaakso"]
    request = RoutingRequest(need="apprenticeship", municipality="Kouvola")
    earlier, later = datetime(2026, 11, 24, 9, tzinfo=timezone.utc), datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    work = Workload(open_cases={"ao-marja": 2, "ao-pekka": 2}, last_assigned={"ao-marja": later, "ao-pekka": earlier})
    decision = route(network, request, work, A_WORKDAY)
    assert decision.mentor == "ao-pekka"
    assert "longest without a new case of 2 tied" in decision.reason
    work = Workload(open_cases={"ao-marja": 2, "ao-pekka": 2}, last_assigned={"ao-marja": earlier, "ao-pekka": later})
    assert route(network, request, work, A_WORKDAY).mentor == "ao-marja"


def test_forwarding_keeps_to_the_chosen_partner(networks: dict[str, Network]) -> None:
    network = networks["oulu"]
    request = RoutingRequest(need="recruitment", municipality="Oulu", sector="ict", partner="oulu-tyollisyys")
    decision = route(network, request, Workload(), A_WORKDAY)
    assert (decision.partner, decision.mentor) == ("oulu-tyollisyys", "tyo-sanna")
    nobody = route(network, RoutingRequest(need="recruitment", municipality="Oulu", partner="osao-etela"), Workload(), A_WORKDAY)
    assert nobody.to_coordinator and "partner osao-etela does not offer this need here" in nobody.reason


def test_a_mentor_who_speaks_the_customers_language_comes_before_a_less_loaded_one(networks: dict[str, Network]) -> None:
    network = networks["kymenlaakso"]
    # Employment services serve Virolahti: Anna speaks Swedish, Mikko only Finnish and has fewer open cases.
    work = Workload(open_cases={"ty-anna": 5, "ty-mikko": 1})
    swedish = route(network, RoutingRequest(need="recruitment", municipality="Virolahti", language="sv"), work, A_WORKDAY)
    assert (swedish.partner, swedish.mentor) == ("kymi-tyollisyys", "ty-anna")
    assert swedish.reason.endswith("mentor ty-anna: speaks sv, least loaded of the 1 of 2 who do (5 open)")
    finnish = route(network, RoutingRequest(need="recruitment", municipality="Virolahti", language="fi"), work, A_WORKDAY)
    assert finnish.mentor == "ty-mikko" and finnish.reason.endswith("least loaded of 2 (1 open)")
    # A partner that serves in Swedish comes before one that does not when both fit as well otherwise.
    apprentice = route(
        network, RoutingRequest(need="apprenticeship", municipality="Pyhtää", language="sv"), Workload(), A_WORKDAY
    )
    assert (apprentice.partner, apprentice.mentor) == ("kymi-tyollisyys", "ty-anna")
