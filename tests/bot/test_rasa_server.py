"""The Rasa server entry point: Rasa's action-response check, done with a validator built once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_server
from bot.runner import rasa_command
from bot.settings import Settings


@pytest.fixture
def action() -> RemoteAction:
    rasa_server.install()
    return RemoteAction("action_submit_case", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_valid_action_answers_pass(action: RemoteAction) -> None:
    answer = {
        "events": [{"event": "slot", "name": "email", "value": "a@example.org"}, {"event": "active_loop", "name": None}],
        "responses": [{"text": "Kiitos!"}],
    }
    assert action._validate_action_result(answer) is True
    assert action._validate_action_result({}) is True


def test_a_wrong_answer_still_gets_rasas_own_error(action: RemoteAction) -> None:
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result({"events": [{"event": "slot", "name": 5}], "responses": "nope"})
    assert "Failed to validate Action server response from API" in raised.value.message


def test_install_is_idempotent_and_the_schema_is_checked_once() -> None:
    rasa_server.install()
    patched = RemoteAction._validate_action_result
    rasa_server.install()
    assert RemoteAction._validate_action_result is patched
    assert rasa_server.action_response_validator() is rasa_server.action_response_validator()


def test_the_front_door_starts_rasa_through_this_entry_point(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDOOR_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}"})
    command = rasa_command(settings, tmp_path / "model.tar.gz", tmp_path, port=5105, action_url="http://127.0.0.1:5155/webhook")
    assert command[:4] == [sys.executable, "-m", "bot.rasa_server", "run"]
    assert command[command.index("--port") + 1] == "5105"
