"""The ``frontdoor`` console script, run as operators run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from bot.app import FrontDoor, create_frontdoor
from bot.settings import DEFAULT_NETWORK, Settings
from tests.bot.cli_run import run
from tests.bot.register.test_cases import INTAKE


def test_check_network_accepts_the_demo_network() -> None:
    result = run("check-network", str(DEFAULT_NETWORK))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "4 partners" in result.stdout
    assert "kymenlaakso.catalogue.yml: OK – " in result.stdout


def test_check_network_also_checks_the_catalogue_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "verkosto.yml"
    path.write_text(DEFAULT_NETWORK.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "verkosto.catalogue.yml").write_text(
        "offerings:\n  - {id: x, partner: nobody, kind: short_course, level: course, title: X, link: 'https://example.org', needs: [job_search]}\n",
        encoding="utf-8",
    )
    result = run("check-network", str(path))
    assert result.returncode == 2
    assert "offerings[0] (x).partner: unknown partner 'nobody'" in result.stderr and "Traceback" not in result.stderr


def test_check_network_names_each_problem_and_fails(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    raw["partners"][0]["needs"] = ["no_such_need"]
    raw["mentors"].append(dict(raw["mentors"][0]))
    del raw["mentors"][1]["partner"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = run("check-network", str(path))
    assert result.returncode == 2
    assert "unknown need id 'no_such_need'" in result.stderr
    assert "duplicate id 'amk-leena'" in result.stderr
    assert "mentor 'amk-jussi' has no partner" in result.stderr
    assert "Traceback" not in result.stderr


def test_cases_list_json_has_the_contract_fields(frontdoor: FrontDoor, settings: Settings) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    result = run("cases", "list", "--json", "--database-url", settings.database_url)
    assert result.returncode == 0, result.stderr
    (case,) = json.loads(result.stdout)
    contract = {"reference", "created_at", "channel", "language", "customer_type", "need", "sector", "municipality", "area"}
    contract |= {"partner", "mentor", "status", "consent"}
    assert contract <= set(case)
    assert case["reference"] == reference
    assert case["created_at"].endswith("Z")
    table = run("cases", "list", "--database-url", settings.database_url)
    assert reference in table.stdout and "kymi-ammattiopisto" in table.stdout


def test_cases_show_gives_events_and_reason(frontdoor: FrontDoor, settings: Settings) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    result = run("cases", "show", reference, "--database-url", settings.database_url)
    assert result.returncode == 0, result.stderr
    assert "routing_reason" in result.stdout and "assigned" in result.stdout
    missing = run("cases", "show", "FD-2000-00001", "--database-url", settings.database_url)
    assert missing.returncode == 1 and "no case with reference" in missing.stderr


def test_a_broken_network_file_stops_commands_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "n.yml"
    path.write_text("network: [unclosed\n", encoding="utf-8")
    result = run("cases", "list", "--network", str(path), "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr and "Traceback" not in result.stderr


def test_an_unusable_database_url_is_named(tmp_path: Path) -> None:
    result = run("cases", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/nothing")
    assert result.returncode == 2
    assert "case database cannot be used" in result.stderr and "Traceback" not in result.stderr


OULU = str(DEFAULT_NETWORK.parent / "oulu.yml")


def test_route_dry_run_answers_who_would_get_it_and_why(settings: Settings) -> None:
    result = run(
        "route", "--dry-run", "--need", "learning_placement", "--municipality", "Haukiputaalla",
        "--network", OULU, "--database-url", settings.database_url, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["partner"], answer["mentor"], answer["area"]) == ("osao-pohjoinen", "osao-jaana", "pohjoinen-oulu")
    assert answer["reason"].startswith("need=learning_placement, area=pohjoinen-oulu, language=fi → partner osao-pohjoinen")
    outside = run("route", "--dry-run", "--need", "recruitment", "--municipality", "Tampere", "--network", OULU,
                  "--database-url", settings.database_url)  # fmt: skip
    assert outside.returncode == 0
    assert "mentor:  keskus-koordinaattori (Kaisa Keskinen)" in outside.stdout
    assert "no partner offers this need here" in outside.stdout


def test_route_names_every_bad_argument(settings: Settings) -> None:
    result = run("route", "--dry-run", "--need", "trainig", "--municipality", "Narnia", "--sector", "space",
                 "--database-url", settings.database_url)  # fmt: skip
    assert result.returncode == 2
    assert "unknown need 'trainig' (known: apprenticeship," in result.stderr
    assert "unknown sector 'space'" in result.stderr
    assert "unknown municipality 'Narnia'" in result.stderr


def test_mentors_move_a_case_along_from_the_command_line(frontdoor: FrontDoor, settings: Settings) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    common = ("--database-url", settings.database_url)
    declined = run("cases", "decline", reference, "--as", "ao-marja", "--reason", "ei kapasiteettia", *common)
    assert declined.returncode == 0, declined.stderr
    assert declined.stdout.startswith(f"{reference}: declined, with ao-pekka (kymi-ammattiopisto)")
    assert "why: need=apprenticeship" in declined.stdout
    refused = run("cases", "accept", reference, "--as", "ao-marja", *common)
    assert refused.returncode == 1
    assert f"'ao-marja' does not hold case {reference}" in refused.stderr
    assert run("cases", "accept", reference, "--as", "ao-pekka", *common).returncode == 0
    closed = run("cases", "close", reference, "--as", "ao-pekka", "--note", "sovittu", "--outcome", "served", *common)
    assert closed.returncode == 0 and f"{reference}: closed" in closed.stdout
    again = run("cases", "close", reference, "--as", "ao-pekka", "--outcome", "no_need", *common)
    assert again.returncode == 1 and "is closed: it cannot be closed" in again.stderr
    shown = json.loads(run("cases", "show", reference, "--json", *common).stdout)
    assert [e["kind"] for e in shown["events"]] == [
        "created",
        "assigned",
        "path_drafted",
        "declined",
        "assigned",
        "accepted",
        "closed",
    ]
    assert shown["status"] == "closed"


def test_escalate_runs_one_round(frontdoor: FrontDoor, settings: Settings) -> None:
    result = run("escalate", "--database-url", settings.database_url)
    assert result.returncode == 0, result.stderr
    assert "0 case(s) escalated" in result.stdout


def test_a_late_case_is_escalated_once_by_a_new_process(settings: Settings) -> None:
    # The case was made three weeks ago by one process; a new one finds it late.
    clock = datetime.now(timezone.utc) - timedelta(days=21)
    app = create_frontdoor(settings, clock=lambda: clock)
    try:
        reference = app.cases.create_case(INTAKE).reference
    finally:
        app.engine.dispose()
    first = run("escalate", "--database-url", settings.database_url)
    assert first.returncode == 0, first.stderr
    assert f"{reference}: escalated → ao-pekka" in first.stdout and "1 case(s) escalated" in first.stdout
    second = run("escalate", "--database-url", settings.database_url)
    assert "0 case(s) escalated" in second.stdout
    shown = json.loads(run("cases", "show", reference, "--json", "--database-url", settings.database_url).stdout)
    assert [e["kind"] for e in shown["events"]] == ["created", "assigned", "path_drafted", "escalated", "assigned"]
    assert shown["events"][3]["detail"]["from_mentor"] == "ao-marja"


def test_outbox_list_and_retry_from_the_command_line(frontdoor: FrontDoor, settings: Settings) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    listed = run("outbox", "list", "--json", "--database-url", settings.database_url)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and {r["reference"] for r in rows} == {reference} and {r["status"] for r in rows} == {"pending"}
    # Addresses are personal data: the listing names recipients by mentor id only.
    assert "@" not in listed.stdout
    nothing = run("outbox", "list", "--status", "dead", "--database-url", settings.database_url)
    assert nothing.returncode == 0 and "no notifications" in nothing.stdout
    assert "--dead" in run("outbox", "retry", "--database-url", settings.database_url).stderr
    again = run("outbox", "retry", "--dead", "--database-url", settings.database_url)
    assert again.returncode == 0 and "0 notification(s) queued again" in again.stdout


def test_mentor_invite_says_when_the_mentors_bot_is_off(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    result = run("mentor", "invite", "amk-leena", "--database-url", settings.database_url, env=env)
    assert result.returncode == 2 and "FRONTDOOR_MENTOR_TELEGRAM_TOKEN is not set" in result.stderr


def test_the_register_commands_do_not_load_the_language_models() -> None:
    # spaCy (and TensorFlow behind it) take seconds to import; `frontdoor cases …` needs neither.
    probe = "import sys, bot.ops.cli; print(sorted(m for m in ('spacy', 'tensorflow', 'rasa') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_a_case_is_closed_with_its_outcome_and_the_coordinator_corrects_it_from_the_command_line(
    frontdoor: FrontDoor, settings: Settings
) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    common = ("--database-url", settings.database_url)
    listed = run("cases", "close", "--help")
    assert all(outcome in listed.stdout for outcome in ("served", "referred_outside", "not_reachable", "no_need", "not_offered"))
    mentor = json.loads(run("cases", "show", reference, "--json", *common).stdout)["mentor"]
    assert run("cases", "accept", reference, "--as", mentor, *common).returncode == 0
    missing = run("cases", "close", reference, "--as", mentor, *common)
    assert missing.returncode == 2 and "--outcome" in missing.stderr
    served = run("cases", "close", reference, "--as", mentor, "--outcome", "served",
                 "--delivered-by", "kaakko-amk", "--delivered-by", "kymi-yrityskehitys", *common)  # fmt: skip
    assert served.returncode == 0, served.stderr
    (case,) = [c for c in json.loads(run("cases", "list", "--json", *common).stdout) if c["reference"] == reference]
    assert (case["outcome"], case["delivered_by"]) == ("served", ["kaakko-amk", "kymi-yrityskehitys"])
    refused = run("cases", "correct-outcome", reference, "--as", mentor, "--outcome", "no_need", *common)
    assert refused.returncode == 1 and "only the coordinator" in refused.stderr
    corrected = run("cases", "correct-outcome", reference, "--as", "coordinator", "--outcome", "referred_outside", *common)
    assert corrected.returncode == 0 and f"{reference}: outcome now referred_outside" in corrected.stdout
    (case,) = [c for c in json.loads(run("cases", "list", "--json", *common).stdout) if c["reference"] == reference]
    assert (case["outcome"], case["delivered_by"]) == ("referred_outside", [])
