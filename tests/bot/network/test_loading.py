"""Loading the network file: every problem named with where it is, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.network.loading import NetworkError, load_network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.settings import DEFAULT_NETWORK


def _write(tmp_path: Path, raw: object) -> Path:
    path = tmp_path / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _demo() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, raw: object, taxonomy: Taxonomy, municipalities: Municipalities) -> list[str]:
    with pytest.raises(NetworkError) as error:
        load_network(_write(tmp_path, raw), taxonomy, municipalities)
    return error.value.problems


def test_unknown_need_id_is_named(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    raw["partners"][0]["needs"].append("staf_training")
    problems = _problems(tmp_path, raw, taxonomy, municipalities)
    assert any("partners[0].needs" in p and "unknown need id 'staf_training'" in p for p in problems)


def test_mentor_without_partner_is_named(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    del raw["mentors"][1]["partner"]
    problems = _problems(tmp_path, raw, taxonomy, municipalities)
    assert "mentors[1]: mentor 'amk-jussi' has no partner ('partner' is missing)" in problems


def test_mentor_of_an_unknown_partner_is_named(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    raw["mentors"][0]["partner"] = "nobody"
    assert "mentors[0].partner: unknown partner 'nobody'" in _problems(tmp_path, raw, taxonomy, municipalities)


def test_duplicate_id_is_named(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    raw["mentors"][1]["id"] = raw["mentors"][0]["id"]
    problems = _problems(tmp_path, raw, taxonomy, municipalities)
    assert any("duplicate id 'amk-leena'" in p for p in problems)


def test_every_problem_is_reported_at_once(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    raw["areas"][0]["municipalities"].append("Atlantis")
    raw["partners"][1]["sectors"] = ["rocket_science"]
    raw["mentors"][2]["channels"] = [{"email": "not-an-address"}]
    raw["mentors"][3]["capacity"] = 0
    problems = _problems(tmp_path, raw, taxonomy, municipalities)
    assert len(problems) == 4
    assert any("unknown municipality 'Atlantis'" in p for p in problems)
    assert any("unknown sector id 'rocket_science'" in p for p in problems)
    assert any("'not-an-address' is not a valid email address" in p for p in problems)
    assert any("mentors[3].capacity" in p for p in problems)


def test_a_network_without_coordinator_is_refused(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    del raw["coordinator"]
    assert any(p.startswith("coordinator: is missing") for p in _problems(tmp_path, raw, taxonomy, municipalities))


def test_a_partner_without_mentors_is_refused(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = _demo()
    raw["mentors"] = [m for m in raw["mentors"] if m["partner"] != "kymi-yrityskehitys"]
    assert "partner 'kymi-yrityskehitys': has no mentors: cases routed to it would reach nobody" in _problems(
        tmp_path, raw, taxonomy, municipalities
    )


def test_broken_yaml_names_the_line(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("network:\n  id: x\npartners: [\n  - id: y\n", encoding="utf-8")
    with pytest.raises(NetworkError) as error:
        load_network(path, taxonomy, municipalities)
    assert "line" in error.value.problems[0] and "not valid YAML" in error.value.problems[0]


def test_a_missing_file_says_how_to_fix_it(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    with pytest.raises(NetworkError) as error:
        load_network(tmp_path / "nope.yml", taxonomy, municipalities)
    assert "FRONTDOOR_NETWORK" in str(error.value)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    assert "must be a mapping" in _problems(tmp_path, ["a", "list"], taxonomy, municipalities)[0]
