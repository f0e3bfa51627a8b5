"""The network file's ``compensation`` section: points per role and per outcome, upkeep per period, each checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.network.loading import NetworkError, load_network
from bot.network.model import Compensation, Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.settings import DEFAULT_NETWORK


def _load(tmp_path: Path, compensation: Any, taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    if compensation is None:
        raw.pop("compensation", None)
    else:
        raw["compensation"] = compensation
    path = tmp_path / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_network(path, taxonomy, municipalities)


def test_the_demo_networks_points_are_read(network: Network) -> None:
    points = network.compensation
    assert (points.first_contact, points.mentoring, points.period) == (1.0, 2.0, "month")
    assert points.delivery == {"served": 5.0, "referred_outside": 1.0}
    assert points.upkeep == {"mentor_network": 20.0, "foresight": 10.0, "web_service": 10.0}


def test_a_network_without_the_section_gets_the_defaults(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities
) -> None:
    assert _load(tmp_path, None, taxonomy, municipalities).compensation == Compensation()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"points": {"delivery": {"servd": 5}}}, "compensation.points.delivery.servd: unknown outcome (known: served,"),
        ({"points": {"greeting": 1}}, "compensation.points.greeting: unknown role"),
        ({"points": {"delivery": {"no_need": 1}}}, "compensation.points.delivery.no_need: nothing is delivered then"),
        ({"points": {"mentoring": -2}}, "compensation.points.mentoring: must be a number of points, 0 or more"),
        ({"upkeep": {"catering": 3}}, "compensation.upkeep.catering: unknown role"),
        ({"period": "week"}, "compensation.period: unknown period 'week'"),
        ("lots", "compensation: expected 'points', 'upkeep' and 'period'"),
    ],
)
def test_each_mistake_is_named(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities, section: Any, problem: str
) -> None:
    with pytest.raises(NetworkError) as refused:
        _load(tmp_path, section, taxonomy, municipalities)
    assert problem in str(refused.value)
