"""Each partner's own sites in the network file: web origins only, and only a partner's own vouch for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.network.loading import NetworkError, load_network
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.settings import DEFAULT_NETWORK


def _load(tmp_path: Path, sites: Any, taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    raw["partners"][1]["sites"] = sites
    path = tmp_path / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_network(path, taxonomy, municipalities)


@pytest.mark.parametrize(
    "site",
    [
        "www.kymi.example",  # no scheme
        "ftp://www.kymi.example",
        "https://www.kymi.example/yrityksille",  # a page, not an origin
        "https://www.kymi.example?partner=kymi",
        "https://",
    ],
)
def test_a_site_that_is_not_a_web_origin_is_refused(
    tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities, site: str
) -> None:
    with pytest.raises(NetworkError) as error:
        _load(tmp_path, [site], taxonomy, municipalities)
    assert any("partners[1].sites" in p and "is not a web origin" in p for p in error.value.problems)


def test_sites_must_be_a_list(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    with pytest.raises(NetworkError) as error:
        _load(tmp_path, "https://www.kymi.example", taxonomy, municipalities)
    assert any("partners[1].sites" in p and "expected a list of web origins" in p for p in error.value.problems)


def test_sites_are_kept_as_browsers_send_origins(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    network = _load(tmp_path, ["HTTPS://www.Kymi.example/", "http://localhost:8081"], taxonomy, municipalities)
    partner = network.partners[1]
    assert partner.id == "kymi-ammattiopisto"
    assert partner.sites == {"https://www.kymi.example", "http://localhost:8081"}
    assert network.partner_of_site(partner.id, "https://www.kymi.example") == partner.id


def test_only_a_partners_own_site_vouches_for_it(network: Network) -> None:
    # The demo page is Kaakon AMK's: its sites are its public one and `make run`'s local page.
    assert network.partner_of_site("kaakko-amk", "https://www.kaakko-amk.example") == "kaakko-amk"
    assert network.partner_of_site("kaakko-amk", "http://localhost:8080") == "kaakko-amk"
    assert network.partner_of_site("kaakko-amk", "HTTPS://WWW.KAAKKO-AMK.EXAMPLE/") == "kaakko-amk"
    # A copied tag on someone else's page, another port, plain http for an https site: nothing.
    assert network.partner_of_site("kaakko-amk", "https://copycat.example") is None
    assert network.partner_of_site("kaakko-amk", "http://localhost:8081") is None
    assert network.partner_of_site("kaakko-amk", "http://www.kaakko-amk.example") is None
    # Another partner's tag on Kaakon AMK's page, an unknown partner, no origin at all: nothing.
    assert network.partner_of_site("kymi-ammattiopisto", "https://www.kaakko-amk.example") is None
    assert network.partner_of_site("nobody", "https://www.kaakko-amk.example") is None
    assert network.partner_of_site("kaakko-amk", None) is None
    assert network.partner_of_site(None, "https://www.kaakko-amk.example") is None
