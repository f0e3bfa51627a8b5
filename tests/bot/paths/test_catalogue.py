"""The offerings catalogue: the shipped demo catalogues, checks that name every problem, the synced file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from bot.network.loading import load_network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy, load_taxonomy
from bot.paths.catalogue import (
    CatalogueError,
    OfferingRules,
    combine,
    load_curated,
    parse_catalogue,
    read_synced,
    write_synced,
)
from bot.paths.offerings import Offering
from bot.settings import PROJECT_ROOT, Settings


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def municipalities() -> Municipalities:
    return Municipalities.load()


@pytest.mark.parametrize("name", ["kymenlaakso", "oulu"])
def test_each_shipped_network_carries_a_demo_catalogue(name: str, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    network = load_network(PROJECT_ROOT / "networks" / f"{name}.yml", taxonomy, municipalities)
    curated = Settings(network_path=PROJECT_ROOT / "networks" / f"{name}.yml").curated_catalogue
    catalogue = load_curated(curated, taxonomy, municipalities, [p.id for p in network.partners])
    assert len(catalogue) >= 12
    # Several partners, every need of the partners' customers has something, and every offering has a link in Finnish.
    assert len({o.partner for o in catalogue.offerings}) >= 4
    for need in ("competence_path", "job_search", "staff_training", "apprenticeship", "instructor_training", "recruitment"):
        assert any(need in o.needs for o in catalogue.offerings), need
    assert all(o.link["fi"].startswith("https://") and o.title["fi"] for o in catalogue.offerings)
    assert catalogue.plan.partners and all(p.partner in {q.id for q in network.partners} for p in catalogue.plan.partners)


def test_every_problem_is_named_with_where_it_is(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = yaml.safe_load(
        """
offerings:
  - id: ok-one
    partner: ao
    kind: short_course
    level: course
    title: Trukkikortti
    link: https://example.org/trukki
    needs: [competence_path]
  - id: ok-one
    partner: nobody
    kind: lecture
    level: course
    title: {en: Only English}
    link: {fi: "ftp://example.org"}
    needs: [trainig]
    municipalities: [Kouvolaa-ei-ole]
    start: next spring
    cost_eur: -5
sync:
  konfo:
    municipalities: [Kouvola]
    partners:
      ao: {organisations: ["1.2.3"], education_types: []}
"""
    )
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(raw, tmp_path / "x.catalogue.yml", taxonomy, municipalities, ["ao"])
    problems = "\n".join(raised.value.problems)
    for expected in (
        "offerings[1].id: 'ok-one' is used twice",
        "offerings[1] (ok-one).partner: unknown partner 'nobody'",
        "offerings[1] (ok-one).link: 'ftp://example.org' (fi) is not an http(s) address",
        "offerings[1] (ok-one).needs: unknown need id 'trainig'",
        "offerings[1] (ok-one).needs: lists no needs",
        "offerings[1] (ok-one).municipalities: unknown municipality 'Kouvolaa-ei-ole'",
        "offerings[1] (ok-one).start: expected a date like 2027-03-01",
        "offerings[1] (ok-one).cost_eur: expected euros",
        "offerings[1] (ok-one).kind: expected one of degree_programme",
        "offerings[1] (ok-one).title: expected text in Finnish at least",
        "sync.konfo.partners.ao.organisations: expected Opintopolku organisation oids",
        "sync.konfo.partners.ao.education_types: expected konfo education types",
        "sync.konfo.municipalities: expected municipality codes like kunta_286",
    ):
        assert expected in problems
    assert str(raised.value).startswith(f"{tmp_path / 'x.catalogue.yml'}: 13 problem(s)")


def test_a_network_without_a_catalogue_has_no_offerings(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities
) -> None:
    assert len(load_curated(tmp_path / "none.catalogue.yml", taxonomy, municipalities, ["ao"])) == 0


def test_a_file_that_is_not_yaml_says_where(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    path = tmp_path / "broken.catalogue.yml"
    path.write_text("offerings:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"line \d+, column \d+: not valid YAML"):
        load_curated(path, taxonomy, municipalities, ["ao"])


def offering(ident: str, **changes: object) -> Offering:
    fields: dict[str, object] = {
        "id": ident,
        "partner": "ao",
        "kind": "short_course",
        "level": "course",
        "title": {"fi": "Kurssi", "en": "Course"},
        "link": {"fi": "https://example.org/kurssi"},
        "needs": ("competence_path",),
        "municipalities": ("Kouvola",),
        "start": "2027-03-01",
        "cost_eur": 0.0,
    }
    fields.update(changes)
    return Offering(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rules(taxonomy: Taxonomy, municipalities: Municipalities) -> OfferingRules:
    return OfferingRules(taxonomy, municipalities, frozenset({"ao"}))


def test_the_synced_file_round_trips_and_is_replaced_whole(tmp_path: Path, rules: OfferingRules) -> None:
    path = tmp_path / "catalogue" / "kymenlaakso-demo.json"
    write_synced(
        path, [offering("konfo:2"), offering("konfo:1", summary={"fi": "Ääkköset säilyvät"})], "2026-11-25T12:00:00+00:00"
    )
    offerings, synced_at = read_synced(path, rules)
    assert [o.id for o in offerings] == ["konfo:1", "konfo:2"]
    assert offerings[0] == offering("konfo:1", summary={"fi": "Ääkköset säilyvät"})
    assert synced_at == "2026-11-25T12:00:00+00:00"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    # The front door may run as another user than the sync: the file is readable by all, writable by its owner.
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_damaged_synced_file_is_ignored_and_logged(
    tmp_path: Path, rules: OfferingRules, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "synced.json"
    for damaged in ('{"offerings": [{"id": ', '{"offerings": {"id": 1}}', "[]", '"offerings"'):
        path.write_text(damaged, encoding="utf-8")
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            assert read_synced(path, rules) == ([], None), damaged
        assert "cannot be read" in caplog.text


def test_synced_offerings_that_fail_the_checks_are_left_out_and_the_rest_kept(
    tmp_path: Path, rules: OfferingRules, caplog: pytest.LogCaptureFixture
) -> None:
    good = offering("konfo:1").to_json()
    bad = [
        None,
        "konfo:2",
        {**offering("konfo:3").to_json(), "sectors": ["sector-that-was-removed"]},
        {**offering("konfo:4").to_json(), "title": {"en": "No Finnish"}},
        {**offering("konfo:5").to_json(), "start": "next spring"},
        {**offering("konfo:6").to_json(), "needs": "competence_path"},
        {**offering("konfo:7").to_json(), "link": {"fi": "javascript:alert(1)"}},
        good,  # the same id twice: the first stays
    ]
    left = {**offering("konfo:8").to_json(), "partner": "a-partner-that-left"}
    path = tmp_path / "synced.json"
    path.write_text(json.dumps({"synced_at": "2026-11-25T12:00:00+00:00", "offerings": [good, *bad, left]}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        offerings, synced_at = read_synced(path, rules)
    assert [o.id for o in offerings] == ["konfo:1"] and synced_at == "2026-11-25T12:00:00+00:00"
    assert "8 offerings fail the checks and are left out" in caplog.text
    assert "a-partner-that-left" not in caplog.text  # a partner's leaving is not a problem of the file


def test_curated_offerings_win_over_synced_ones_with_the_same_id(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities
) -> None:
    raw = {"offerings": [json.loads(json.dumps(offering("konfo:1", title={"fi": "Käsin kirjoitettu"}).to_json()))]}
    curated = parse_catalogue(raw, tmp_path / "c.yml", taxonomy, municipalities, ["ao"])
    both = combine(curated, [offering("konfo:1"), offering("konfo:2")], "2026-11-25T12:00:00+00:00")
    assert [o.id for o in both.offerings] == ["konfo:1", "konfo:2"]
    assert both.get("konfo:1") is not None and both.get("konfo:1").title["fi"] == "Käsin kirjoitettu"  # type: ignore[union-attr]
