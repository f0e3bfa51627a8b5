"""``frontdoor desk revoke``: every session of a person ends at once."""

from __future__ import annotations

import pytest

from bot.app import FrontDoor
from bot.desk.access import DeskAccess
from bot.ops.cli import main
from bot.settings import Settings


def test_revoking_ends_every_session_of_the_person_and_no_one_elses(
    frontdoor: FrontDoor, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    access = DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)
    phone, laptop = (access.sign_in(access.issue_link("ao-marja")).session_id for _ in range(2))
    other = access.sign_in(access.issue_link("coordinator")).session_id
    assert main(["desk", "revoke", "--as", "ao-marja", "--database-url", settings.database_url]) == 0
    assert "2 desk session(s) of ao-marja ended" in capsys.readouterr().out
    assert access.session(phone) is None and access.session(laptop) is None
    assert access.session(other) is not None


def test_revoking_for_someone_not_in_the_network_file_says_so(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["desk", "revoke", "--as", "nobody", "--database-url", settings.database_url]) == 2
    assert "unknown person 'nobody'" in capsys.readouterr().err
