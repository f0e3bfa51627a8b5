from __future__ import annotations

import pytest
import yaml

from bot.network.needs import Taxonomy
from bot.settings import NEEDS_FILE, PROJECT_ROOT
from tests.conftest import SHARED


def test_the_shipped_taxonomy_is_the_shared_contract() -> None:
    shared = SHARED / "spec" / "needs.yml"
    if not shared.exists():
        pytest.fail(f"{shared} is missing: the tests run with ../shared beside the checkout")
    assert NEEDS_FILE.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_every_need_has_its_intent_in_the_domain(taxonomy: Taxonomy) -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert {n.intent for n in taxonomy.needs.values()} <= set(domain["intents"])


def test_contract_slots_are_in_the_domain() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    contract = {
        "need",
        "customer_type",
        "contact_name",
        "organization",
        "email",
        "phone",
        "municipality",
        "sector",
        "consent",
        "language",
    }
    assert contract <= set(domain["slots"])


def test_implied_customer_types(taxonomy: Taxonomy) -> None:
    assert taxonomy.implied_customer_type("staff_training") == "employer"
    assert taxonomy.implied_customer_type("job_search") == "individual"
    assert taxonomy.implied_customer_type("apprenticeship") is None
    recruitment = taxonomy.need_for_intent("need_recruitment")
    assert recruitment is not None and recruitment.id == "recruitment"
    assert taxonomy.need_for_intent("greet") is None


def test_sector_names_with_commas_are_read_whole(taxonomy: Taxonomy) -> None:
    assert taxonomy.sectors["bioeconomy"].names == {
        "fi": "Biotalous (metsä, energia, puu)",
        "en": "Bioeconomy (forest, energy, wood)",
        "sv": "Bioekonomi (skog, energi, trä)",
    }


def test_a_sectors_names_in_every_language(taxonomy: Taxonomy) -> None:
    assert sorted(taxonomy.sector_names("bioeconomy")) == sorted(
        ["Biotalous (metsä, energia, puu)", "Bioeconomy (forest, energy, wood)", "Bioekonomi (skog, energi, trä)"]
    )
