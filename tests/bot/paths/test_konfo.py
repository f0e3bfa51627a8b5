"""``frontdoor catalogue sync`` against a local replay of konfo-backend's external API (tests/standins/konfo.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.network.municipalities import Municipalities
from bot.network.needs import load_taxonomy
from bot.paths.catalogue import OfferingRules, read_synced
from bot.paths.konfo import CALLER_ID, KonfoClient, fetch, konfo_session, to_offering
from bot.paths.offerings import KonfoPartner, SyncPlan, in_language
from bot.settings import PROJECT_ROOT
from tests.bot.cli_run import run
from tests.standins.konfo import KAO, KonfoReplay

NETWORK = PROJECT_ROOT / "networks" / "kymenlaakso.yml"


@pytest.fixture
def konfo() -> Iterator[KonfoReplay]:
    with KonfoReplay() as replay:
        yield replay


def sync(tmp_path: Path, konfo: KonfoReplay) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "FRONTDOOR_CATALOGUE_DIR": str(tmp_path / "catalogue"),
        "FRONTDOOR_KONFO_URL": konfo.url,
        "FRONTDOOR_KONFO_TIMEOUT_SECONDS": "1",
    }
    done = run("catalogue", "sync", "--network", str(NETWORK), env=env)
    return done.returncode, done.stdout, done.stderr


def synced_file(tmp_path: Path) -> Path:
    return tmp_path / "catalogue" / "kymenlaakso-demo.json"


@pytest.fixture(scope="module")
def rules() -> OfferingRules:
    return OfferingRules(load_taxonomy(), Municipalities.load(), frozenset({"kymi-ammattiopisto", "kaakko-amk"}))


def test_sync_fills_the_catalogue_with_the_partners_own_offerings(
    tmp_path: Path, konfo: KonfoReplay, rules: OfferingRules
) -> None:
    code, out, err = sync(tmp_path, konfo)
    assert code == 0, err
    assert "3 offerings from Opintopolku (kaakko-amk 1, kymi-ammattiopisto 2); catalogue updated" in out
    offerings, synced_at = read_synced(synced_file(tmp_path), rules)
    assert synced_at is not None
    by_id = {o.id: o for o in offerings}
    # Another institution's toteutus in the same search is not a partner's offering.
    assert set(by_id) == {
        "konfo:1.2.246.562.17.00000000000000000201",
        "konfo:1.2.246.562.17.00000000000000000202",
        "konfo:1.2.246.562.17.00000000000000000203",
    }
    degree = by_id["konfo:1.2.246.562.17.00000000000000000201"]
    assert (degree.partner, degree.kind, degree.level, degree.format) == (
        "kymi-ammattiopisto",
        "degree_programme",
        "vocational",
        "blended",
    )
    assert degree.municipalities == ("Kouvola",) and degree.cost_eur == 0.0 and degree.start is None
    assert degree.sectors == ("logistics",) and "competence_path" in degree.needs
    assert degree.summary["fi"] == "Opiskelu alkaa, kun sovitaan."  # markup removed
    assert degree.link["fi"] == "https://opintopolku.fi/konfo/fi/toteutus/1.2.246.562.17.00000000000000000201"
    welding = by_id["konfo:1.2.246.562.17.00000000000000000202"]
    assert (welding.kind, welding.start, welding.cost_eur) == ("continuing_education", "2027-02-22", 350.0)
    online = by_id["konfo:1.2.246.562.17.00000000000000000203"]
    assert (online.partner, online.kind, online.format, online.municipalities) == ("kaakko-amk", "open_studies", "online", ())
    assert (
        online.languages == ("fi", "en") and online.start == "2027-01-01" and online.title["en"] == "Basics of logistics, online"
    )
    # Every request names the caller, as Opintopolku asks.
    assert konfo.requests and all(headers.get("Caller-Id") == CALLER_ID for _path, headers in konfo.requests)


def test_a_second_sync_changes_nothing(tmp_path: Path, konfo: KonfoReplay) -> None:
    assert sync(tmp_path, konfo)[0] == 0
    before = synced_file(tmp_path).read_bytes(), synced_file(tmp_path).stat().st_mtime_ns
    code, out, _err = sync(tmp_path, konfo)
    assert code == 0 and "catalogue unchanged" in out
    assert (synced_file(tmp_path).read_bytes(), synced_file(tmp_path).stat().st_mtime_ns) == before


def test_an_api_error_keeps_the_previous_catalogue_and_says_so(tmp_path: Path, konfo: KonfoReplay) -> None:
    assert sync(tmp_path, konfo)[0] == 0
    before = synced_file(tmp_path).read_bytes()
    konfo.fail = True
    code, _out, err = sync(tmp_path, konfo)
    assert code == 1
    assert "answered HTTP 500" in err and "(3 offerings) stays in use" in err
    assert synced_file(tmp_path).read_bytes() == before
    # Retried with backoff before giving up: the first call and three retries.
    assert sum(1 for path, _h in konfo.requests[-4:] if "search" in path) == 4


def test_a_timeout_keeps_the_previous_catalogue_and_says_so(tmp_path: Path, konfo: KonfoReplay) -> None:
    assert sync(tmp_path, konfo)[0] == 0
    before = synced_file(tmp_path).read_bytes()
    konfo.delay = 3.0  # longer than the read timeout the test sets (1 s)
    code, _out, err = sync(tmp_path, konfo)
    assert code == 1 and "no answer in 1 s (4 tries)" in err and "stays in use" in err
    assert synced_file(tmp_path).read_bytes() == before


def test_a_first_sync_that_fails_says_the_curated_offerings_are_used(tmp_path: Path, konfo: KonfoReplay) -> None:
    konfo.fail = True
    code, _out, err = sync(tmp_path, konfo)
    assert code == 1 and "nothing was synced before" in err
    assert not synced_file(tmp_path).exists()


def test_the_list_shows_curated_and_synced_offerings(tmp_path: Path, konfo: KonfoReplay) -> None:
    assert sync(tmp_path, konfo)[0] == 0
    env = {**os.environ, "FRONTDOOR_CATALOGUE_DIR": str(tmp_path / "catalogue")}
    listed = run("catalogue", "list", "--json", "--network", str(NETWORK), env=env)
    assert listed.returncode == 0, listed.stderr
    ids = [o["id"] for o in json.loads(listed.stdout)]
    assert "ao-logistiikka-pt" in ids and "konfo:1.2.246.562.17.00000000000000000203" in ids


def test_a_partner_gets_at_most_its_limit_of_offerings(konfo: KonfoReplay) -> None:
    plan = SyncPlan(
        partners=(KonfoPartner("kymi-ammattiopisto", (KAO,), ("amm", "amm-tutkinnon-osa")),),
        municipality_codes=("kunta_286", "kunta_285"),
        limit=1,
    )
    offerings = fetch(KonfoClient(konfo_session(), konfo.url, read_timeout=5), plan, lambda _text: None)
    assert [o.partner for o in offerings] == ["kymi-ammattiopisto"]
    assert sum(1 for path, _h in konfo.requests if "/toteutus/" in path) == 1


def test_an_answer_in_another_shape_keeps_the_previous_catalogue_and_says_so(tmp_path: Path, konfo: KonfoReplay) -> None:
    assert sync(tmp_path, konfo)[0] == 0
    before = synced_file(tmp_path).read_bytes()
    konfo.reshaped = True
    code, _out, err = sync(tmp_path, konfo)
    assert code == 1 and "not in konfo's published shape" in err and "(3 offerings) stays in use" in err
    assert "Traceback" not in err
    assert synced_file(tmp_path).read_bytes() == before


def test_a_toteutus_named_only_in_swedish_keeps_that_name_as_its_finnish_one(rules: OfferingRules) -> None:
    hit = {"toteutusOid": "1.2.246.562.17.00000000000000000999", "oppilaitosOid": KAO, "kunnat": []}
    details = {
        "nimi": {"sv": "Grundexamen i logistik"},
        "metadata": {
            "kuvaus": {"en": "<p>Logistics in English only.</p>"},
            "opetus": {"koulutuksenAlkamiskausi": {"koulutuksenAlkamispaivamaara": "2027-13-45T00:00"}},
        },
    }
    offering = to_offering("kymi-ammattiopisto", "amm", hit, details, lambda _text: None)
    assert offering.title == {"fi": "Grundexamen i logistik", "sv": "Grundexamen i logistik"}
    assert offering.summary["fi"] == "Logistics in English only."
    assert offering.start is None  # not a date: no start rather than a wrong one
    assert in_language(offering.title, "en") == "Grundexamen i logistik"
    # It passes the checks the front door reads synced offerings with.
    assert rules.check([offering.to_json()], "test") == [offering]
