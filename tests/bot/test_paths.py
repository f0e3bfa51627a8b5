"""Drafted competence paths over the Kymenlaakso demo catalogue, and precision@3 on the judged set."""

from __future__ import annotations

import pytest
import yaml

from bot.catalogue import Catalogue
from bot.path_evaluation import GOAL, JUDGED_SET, evaluate
from bot.paths import Drafting, PathDrafter, PathRequest, load_drafting
from bot.settings import PROJECT_ROOT, Settings

NETWORK = PROJECT_ROOT / "networks" / "kymenlaakso.yml"


@pytest.fixture(scope="module")
def drafting() -> Drafting:
    return load_drafting(NETWORK, Settings(network_path=NETWORK).curated_catalogue, None)


def kouvola(drafting: Drafting) -> frozenset[str]:
    area = drafting.network.area_of("Kouvola")
    assert area is not None
    return frozenset(area.municipalities)


def test_a_career_change_to_logistics_gets_a_path_across_partners(drafting: Drafting) -> None:
    text = "Haluaisin vaihtaa alaa logistiikkaan, asun Kouvolassa"
    request = PathRequest(
        need="competence_path",
        text=text,
        customer_type="individual",
        sector=drafting.sectors.match(text),
        area=kouvola(drafting),
    )
    path = drafting.drafter().draft(request, size=3)
    assert len(path) == 3
    assert len({s.offering.partner for s in path}) >= 2
    assert all("logistics" in s.offering.sectors or s.offering.kind == "employment_service" for s in path)
    assert all(s.offering.link["fi"].startswith("https://") for s in path)
    # Short steps first, the longer programme last.
    levels = [s.offering.level for s in path]
    assert levels == sorted(levels, key=["service", "course", "vocational", "higher"].index)


def test_an_employers_apprenticeship_comes_with_workplace_instructor_training(drafting: Drafting) -> None:
    request = PathRequest(
        need="apprenticeship",
        text="Haluamme palkata uuden työntekijän oppisopimuksella",
        customer_type="employer",
        area=kouvola(drafting),
    )
    kinds = {s.offering.kind for s in drafting.drafter().draft(request, size=3)}
    assert {"apprenticeship_training", "instructor_training"} <= kinds


def test_an_offering_held_elsewhere_counts_less_than_near_or_online(drafting: Drafting) -> None:
    # The cook programme is held in Kotka only.
    drafter = drafting.drafter()

    def cook_score(area: frozenset[str]) -> float:
        request = PathRequest(need="competence_path", text="haluaisin opiskella kokiksi", area=area)
        return next(s.score for s in drafter.rank(request) if s.offering.id == "ao-ravintola-pt")

    kotka = drafting.network.area_of("Kotka")
    assert kotka is not None
    assert cook_score(kouvola(drafting)) < cook_score(frozenset(kotka.municipalities))


def test_every_suggestion_answers_the_need(drafting: Drafting) -> None:
    request = PathRequest(need="recruitment", text="Tarvitsemme kesätyöntekijöitä")
    assert all("recruitment" in s.offering.needs for s in drafting.drafter().rank(request))


def test_precision_at_3_on_the_judged_set_meets_the_goal(drafting: Drafting) -> None:
    judged = yaml.safe_load(JUDGED_SET.read_text(encoding="utf-8"))
    assert len(judged["cases"]) >= 40
    results = evaluate(judged, drafting)
    assert all(1 <= len(r.shown) <= 3 for r in results)
    score = sum(r.precision for r in results) / len(results)
    assert score >= GOAL, f"precision@3 {score:.3f}"


def test_the_customers_words_count_in_a_catalogue_of_two(drafting: Drafting) -> None:
    # A network's first offerings: the word that only one of them has ranks it first, though both share "koulutus".
    two = [o for o in drafting.catalogue.offerings if o.id in ("ao-trukkikortti", "ao-henkilostokoulutus")]
    assert len(two) == 2
    drafter = PathDrafter(Catalogue(offerings=tuple(two)), drafting.tokens)
    for words, first in (("trukkikoulutusta varastoon", "ao-trukkikortti"), ("henkilöstön koulutusta", "ao-henkilostokoulutus")):
        ranked = drafter.rank(PathRequest(need="staff_training", text=words, customer_type="employer"))
        assert ranked[0].offering.id == first and ranked[0].score > ranked[1].score, (words, ranked)
