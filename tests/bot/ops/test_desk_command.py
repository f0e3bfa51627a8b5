"""Links into the desk from the command line: ``frontdoor desk link`` and the coordinator's link that
``frontdoor run`` prints when email is off; and the door the command line's acts are recorded with."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.desk import create_web_app
from bot.ops.cli import main
from bot.ops.runner import _print_parts, desk_line
from bot.settings import Settings
from tests.bot.cli_run import run
from tests.bot.register.test_cases import INTAKE

PUBLIC = "https://etuovi.example.org"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads its settings from the environment: none from this machine's."""
    for name in [n for n in os.environ if n.startswith("FRONTDOOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FRONTDOOR_PUBLIC_URL", PUBLIC)


@pytest.fixture
def browser(frontdoor: FrontDoor) -> Iterator[TestClient]:
    with TestClient(create_web_app(frontdoor), follow_redirects=False) as client:
        yield client


def desk_link(settings: Settings, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``frontdoor desk link ARGS`` on the test's database: the exit code, stdout and stderr."""
    code = main(["desk", "link", *args, "--database-url", settings.database_url])
    out, err = capsys.readouterr()
    return code, out, err


def press(browser: TestClient, url: str) -> tuple[int, str]:
    """Open a printed link and press its button; the answer's status and where it leads."""
    path = url.removeprefix(PUBLIC).removeprefix("http://localhost:8080")
    page = browser.get(path)
    if page.status_code != 200:
        return page.status_code, ""
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = browser.post(path, data={"csrf": token.group(1)})
    return answer.status_code, answer.headers.get("location", "")


def test_desk_link_prints_a_url_that_signs_in_once(
    clean_env: None, settings: Settings, browser: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = desk_link(settings, capsys, "--as", "ao-marja")
    assert code == 0 and re.fullmatch(rf"{PUBLIC}/desk/link/[A-Za-z0-9_-]{{30,}}\n", out), out
    assert "valid for 15 minutes, once" in err and "Kirjaudu" in err
    assert press(browser, out.strip()) == (303, "/desk/")
    assert "Kirjautuneena: Marja Oppila" in browser.get("/desk/").text
    assert press(browser, out.strip()) == (410, "")


def test_desk_link_keeps_a_desk_path_to_land_on_and_nothing_else(
    clean_env: None, settings: Settings, browser: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _, to_case, _ = desk_link(settings, capsys, "--as", "coordinator", "--next", "/desk/cases/FD-2026-00042")
    _, elsewhere, _ = desk_link(settings, capsys, "--as", "coordinator", "--next", "https://evil.example/desk/")
    _, sneaky, _ = desk_link(settings, capsys, "--as", "coordinator", "--next", "//evil.example/desk/")
    assert press(browser, to_case.strip()) == (303, "/desk/cases/FD-2026-00042")
    assert press(browser, elsewhere.strip()) == (303, "/desk/")
    assert press(browser, sneaky.strip()) == (303, "/desk/")


def test_desk_link_for_someone_not_in_the_network_file_fails_clearly(
    clean_env: None, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = desk_link(settings, capsys, "--as", "nobody")
    assert code == 2 and out == ""
    assert err.startswith("error: unknown person 'nobody': give the id of a mentor or the coordinator (coordinator, amk-leena")
    assert "Traceback" not in err


def test_desk_link_as_operators_run_it(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cases.db'}"
    result = run("desk", "link", "--as", "coordinator", "--database-url", database)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"http://localhost:\d+/desk/link/[A-Za-z0-9_-]+\n", result.stdout), result.stdout
    missing = run("desk", "link", "--database-url", database)
    assert missing.returncode == 2 and "--as" in missing.stderr


def test_frontdoor_run_prints_a_link_for_the_coordinator_when_email_is_off(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    off = replace(settings, smtp_url=None, public_url=PUBLIC)
    frontdoor = create_frontdoor(off)
    try:
        _print_parts(off, frontdoor)
        printed = capsys.readouterr().out.splitlines()
        desk = [line for line in printed if line.startswith("desk:")]
        assert len(desk) == 1 and printed.index(desk[0]) == 1 + next(
            i for i, line in enumerate(printed) if line.startswith("web:")
        )
        found = re.fullmatch(
            rf"desk: {{5}}({PUBLIC}/desk/link/\S+) {{2}}\(sign-in link for the coordinator, valid 15 minutes: email is off\)",
            desk[0],
        )
        assert found, desk[0]
        assert any(line.startswith("email: off") for line in printed)  # the lines before stay as they were
        with TestClient(create_web_app(frontdoor), follow_redirects=False) as browser:
            assert press(browser, found.group(1)) == (303, "/desk/")
            assert "Kirjautuneena: Satu Verkkonen" in browser.get("/desk/").text
    finally:
        frontdoor.engine.dispose()


def test_with_email_on_frontdoor_run_prints_where_the_desk_is_and_no_link(frontdoor: FrontDoor) -> None:
    on = replace(frontdoor.settings, smtp_url="smtp://127.0.0.1:2525", public_url=PUBLIC)
    line = desk_line(on, frontdoor)
    assert line == f"desk:     {PUBLIC}/desk/  (mentors and the coordinator sign in with their email address)"
    assert "/desk/link/" not in line


def test_the_command_line_records_its_door_with_each_act(
    clean_env: None, frontdoor: FrontDoor, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    url = frontdoor.settings.database_url
    assert main(["cases", "accept", reference, "--as", "ao-marja", "--database-url", url]) == 0
    assert main(["cases", "contacted", reference, "--as", "ao-marja", "--note", "soitettu", "--database-url", url]) == 0
    capsys.readouterr()
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None
    acts = [(e["kind"], e["detail"].get("via")) for e in shown["events"] if e["actor"] == "ao-marja"]
    assert acts == [("accepted", "cli"), ("contacted", "cli")]
