from __future__ import annotations

import re
from pathlib import Path

from bot.messages import Catalog

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def test_values_are_filled_and_missing_ones_kept_visible() -> None:
    catalog = Catalog.load()
    message = catalog.render("case_created", "fi", reference="FD-2026-00001", contact_person="Marja")
    assert "FD-2026-00001" in message.text and "Marja" in message.text
    assert "{reference}" in catalog.render("case_created", "fi").text


def test_an_unknown_language_falls_back_to_finnish() -> None:
    catalog = Catalog.load()
    assert catalog.render("ask_contact_name", "de").text == catalog.render("ask_contact_name", "fi").text


def test_every_message_the_actions_use_exists() -> None:
    catalog = Catalog.load()
    used: set[str] = set()
    for path in ACTIONS.glob("*.py"):
        used |= set(re.findall(r'say\(services, dispatcher, tracker, "([a-z_.]+)"', path.read_text(encoding="utf-8")))
    used |= {
        f"ask_{slot}" for slot in ("customer_type", "contact_name", "organization", "email", "phone", "municipality", "sector")
    }
    used |= {"ask_phone_required"}
    assert used, "no messages found: the pattern no longer matches the actions"
    assert used <= set(catalog.keys())
    problems = {"name_invalid", "organization_invalid", "email_invalid", "phone_invalid", "email_or_phone_required"}
    problems |= {"municipality_unknown", "sector_unknown"}
    assert {f"invalid.{p}" for p in problems} <= set(catalog.keys())
