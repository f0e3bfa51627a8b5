"""How `frontdoor run` starts its parts: the commands and the environment each child gets."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import yaml

from bot.ops.runner import _child_env, rasa_command, write_endpoints
from bot.settings import Settings


def test_the_front_door_starts_rasa_through_its_own_entry_point(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDOOR_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}"})
    command = rasa_command(settings, tmp_path / "model.tar.gz", tmp_path, port=5105, action_url="http://127.0.0.1:5155/webhook")
    assert command[:4] == [sys.executable, "-m", "bot.rasa.server", "run"]
    assert command[command.index("--port") + 1] == "5105"


def test_children_of_a_scaled_run_get_the_settings_the_parent_was_given() -> None:
    # make run-scaled sets PostgreSQL and Redis in the parent's settings, not in its environment:
    # a worker reading only the environment refused to start with several replicas.
    parent = Settings.from_env({"FRONTDOOR_RASA_REPLICAS": "3"})
    scaled = replace(
        parent, database_url="postgresql://fd@127.0.0.1:5433/frontdoor", redis_url="redis://127.0.0.1:6380/1", outbox_workers=2
    )
    child = Settings.from_env(_child_env(scaled))
    child.check()
    assert (child.database_url, child.redis_url, child.rasa_replicas, child.outbox_workers) == (
        scaled.database_url,
        scaled.redis_url,
        3,
        2,
    )


def test_rasa_sends_the_domain_only_to_the_forms_validation(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDOOR_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}"})
    endpoints = yaml.safe_load(write_endpoints(settings, tmp_path, 5105).read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True
    assert endpoints["tracker_store"]["type"] == "bot.rasa.tracker_store.MaskingTrackerStore"
