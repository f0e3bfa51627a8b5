"""Live reload: a changed network file is picked up, a broken one never replaces the working one."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import create_frontdoor
from bot.network.loading import NetworkError
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.network.reload import NetworkSource
from bot.settings import DEFAULT_NETWORK, Settings
from tests.bot.register.test_cases import INTAKE


def _write_at(path: Path, raw: dict[str, Any], tick: int) -> None:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(tick * 1_000_000_000, tick * 1_000_000_000))


def test_a_changed_network_file_is_picked_up_and_a_broken_one_never_replaces_it(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities, caplog: pytest.LogCaptureFixture
) -> None:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    path = tmp_path / "network.yml"
    _write_at(path, raw, 1)
    source = NetworkSource(path, taxonomy, municipalities)
    assert source.current().mentor("ao-marja").name == "Marja Oppila"  # type: ignore[union-attr]

    raw["mentors"][2]["name"] = "Marja Uusinimi"
    _write_at(path, raw, 2)
    assert source.current().mentor("ao-marja").name == "Marja Uusinimi"  # type: ignore[union-attr]

    path.write_text("partners: [", encoding="utf-8")
    os.utime(path, ns=(3_000_000_000, 3_000_000_000))
    with caplog.at_level(logging.ERROR, logger="bot.network.reload"):
        assert source.current().mentor("ao-marja").name == "Marja Uusinimi"  # type: ignore[union-attr]
        assert source.current().id == "kymenlaakso-demo"
    assert len([r for r in caplog.records if "not reloaded" in r.getMessage()]) == 1  # reported once
    with pytest.raises(NetworkError, match="not valid YAML"):
        source.reload()
    assert source.current().mentor("ao-marja").name == "Marja Uusinimi"  # type: ignore[union-attr]

    raw["mentors"][2]["name"] = "Marja Kolmas"
    _write_at(path, raw, 4)
    assert source.current().mentor("ao-marja").name == "Marja Kolmas"  # type: ignore[union-attr]


def test_routing_follows_the_reloaded_file(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    path = tmp_path / "network.yml"
    _write_at(path, raw, 1)
    app = create_frontdoor(Settings(database_url=f"sqlite:///{tmp_path / 'cases.db'}", network_path=path))
    try:
        assert app.cases.create_case(INTAKE).mentor_name == "Marja Oppila"
        for mentor in raw["mentors"]:
            if mentor["id"] == "ao-marja":
                mentor["away"] = [{"from": date(2000, 1, 1), "to": date(2100, 1, 1)}]
        _write_at(path, raw, 2)
        second = app.cases.create_case(replace(INTAKE, email="toinen@example.org", phone=None))
        assert second.mentor_name == "Pekka Sopimus"
    finally:
        app.engine.dispose()
