"""Whole Finnish conversations over Rasa's REST channel, checked in the case register."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace

import requests

from bot.app import create_frontdoor
from bot.settings import Settings
from tests.bot.register.test_cases import INTAKE
from tests.e2e.conftest import Conversation, Stack

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")


def _counts(stack: Stack) -> dict[str, int]:
    path = stack.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("cases", "case_events", "outbox")}


def test_run_says_where_each_part_listens_and_what_is_off(stack: Stack) -> None:
    output = "\n".join(stack.output)
    assert "rasa:" in output and "actions:" in output and "web:" in output
    assert "telegram (individuals): on (long polling)" in output
    assert "email: on" in output and "telegram (mentors): on" in output
    assert "webhooks: waiting (no FRONTDOOR_WEBHOOK_SECRET_<PARTNER> set)" in output
    assert "worker:   outbox delivery" in output
    assert "catalogue: 29 offerings for competence paths; synced never" in output
    privacy = requests.get(f"{stack.web_url}/privacy/fi.html", timeout=10)
    assert privacy.status_code == 200 and "Tietosuojaseloste" in privacy.text


def test_an_employer_need_becomes_a_routed_case(conversation: Conversation, stack: Stack) -> None:
    assert "Kerro omin sanoin" in conversation.say("Hei")
    answer = conversation.say("Tarvitsisimme oppisopimusopiskelijan varastoomme")
    assert "Oppisopimus" in answer
    assert "Asioitko työnantajan" in answer
    answer = conversation.click("Työnantajana / organisaationa")
    assert "Saanko tallentaa" in answer and "/privacy/fi.html" in answer
    assert "Mikä on nimesi" in conversation.say("kyllä")
    assert "organisaation" in conversation.say("Maija Meikäläinen")
    assert "sähköpostiosoitteeseen" in conversation.say("Kuljetus Virtanen Oy")
    assert "ei näytä sähköpostiosoitteelta" in conversation.say("maija.example.org")
    assert "puhelinnumerosi" in conversation.say("maija@example.org")
    assert "En tunnistanut puhelinnumeroa" in conversation.say("123")
    assert "Missä kunnassa" in conversation.say("040 123 4567")
    assert 'En tunnistanut kuntaa "Atlantis"' in conversation.say("Atlantis")
    # "varastoomme" in the first message already told the sector: it is not asked again.
    summary = conversation.say("Kouvolassa")
    assert "+358401234567" in summary and "Kouvola" in summary and "Logistiikka" in summary
    assert "Mikä on toimialanne" in conversation.click("Korjaa toimiala")
    assert "En tunnistanut toimialaa" in conversation.say("zzz")
    summary = conversation.say("metsäkoneenkuljettajia")
    assert "Biotalous" in summary
    assert "Mikä on puhelinnumerosi" in conversation.click("Korjaa puhelin")
    summary = conversation.say("050 765 4321")
    assert "+358507654321" in summary and "Tarkistetaan" in summary
    answer = conversation.click("Kyllä, lähetä")
    reference = REFERENCE.search(answer)
    assert reference, answer
    assert "Marja Oppila" in answer

    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert case["need"] == "apprenticeship"
    assert case["customer_type"] == "employer"
    assert case["municipality"] == "Kouvola" and case["area"] == "kouvola"
    assert case["sector"] == "bioeconomy"
    assert (case["partner"], case["mentor"]) == ("kymi-ammattiopisto", "ao-marja")
    assert case["channel"] == "rest" and case["language"] == "fi" and case["consent"] is True
    assert case["status"] == "assigned"
    # The running worker delivers them (or is about to); webhooks wait for a partner secret.
    assert {n["status"] for n in case["notifications"]} <= {"pending", "sending", "delivered"}
    shown = stack.frontdoor("cases", "show", reference.group(0), "--json")
    assert shown.returncode == 0
    assert '"phone": "+358507654321"' in shown.stdout and "routing_reason" in shown.stdout


def test_an_individual_gives_only_a_phone_number(conversation: Conversation, stack: Stack) -> None:
    answer = conversation.say("Etsin töitä, olen ollut työttömänä puoli vuotta")
    assert "Työnhaku" in answer and "Saanko tallentaa" in answer
    conversation.say("joo")
    assert "sähköpostiosoitteeseen" in conversation.say("Eino Esimerkki")
    assert "puhelinnumerosi" in conversation.say("ohita")
    assert "joko sähköpostiosoitteen tai puhelinnumeron" in conversation.say("ohita")
    assert "Missä kunnassa" in conversation.say("0401234567")
    summary = conversation.say("Haminassa")
    assert "Hamina" in summary and "ei annettu" in summary
    reference = REFERENCE.search(conversation.click("Kyllä, lähetä"))
    assert reference
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert (case["need"], case["customer_type"], case["partner"]) == ("job_search", "individual", "kymi-tyollisyys")
    assert case["municipality"] == "Hamina" and case["area"] == "kotka-hamina"
    status = conversation.say(f"Mikä on asiani {reference.group(0)} tilanne?")
    assert reference.group(0) in status and "välitetty asiantuntijalle" in status
    answer = conversation.say("haluan puhua ihmisen kanssa")
    assert f"Pyysin, että Anna Työllinen ottaa sinuun yhteyttä asiassa {reference.group(0)}" in answer
    assert "viimeistään" in answer
    shown = json.loads(stack.frontdoor("cases", "show", reference.group(0), "--json").stdout)
    (asked,) = [e for e in shown["events"] if e["kind"] == "human_requested"]
    assert asked["detail"]["transcript"][0] == "Etsin töitä, olen ollut työttömänä puoli vuotta"
    assert asked["detail"]["transcript"][1] == "…"
    assert asked["detail"]["transcript"][-1] == "haluan puhua ihmisen kanssa"
    assert [n["kind"] for n in shown["notifications"]].count("human_requested") >= 1
    offer = conversation.say("lopeta")
    assert f"Haluatko perua asiasi {reference.group(0)}?" in offer
    assert "asiasi jää voimaan" in conversation.click("Ei, asia jää voimaan")
    assert "Haluatko perua asiasi" in conversation.say("lopeta")
    assert "peruttu" in conversation.click("Kyllä, peru asia")
    shown = json.loads(stack.frontdoor("cases", "show", reference.group(0), "--json").stdout)
    assert shown["status"] == "closed"
    assert next(e for e in shown["events"] if e["kind"] == "cancelled")["actor"] == "customer"
    assert "case_cancelled" in [n["kind"] for n in shown["notifications"]]


def test_refusing_consent_stores_nothing(conversation: Conversation, stack: Stack) -> None:
    before = _counts(stack)
    answer = conversation.say("Haluaisin kouluttaa henkilöstöämme trukinkuljettajiksi")
    assert "Saanko tallentaa" in answer
    answer = conversation.click("En anna lupaa")
    assert "en tallenna tietojasi" in answer and "etuovi@example.org" in answer
    assert _counts(stack) == before


def test_status_answers_the_owner_and_refuses_anyone_else(stack: Stack) -> None:
    app = create_frontdoor(Settings(database_url=stack.database_url))
    try:
        owned = replace(INTAKE, conversation_id="the-owner", email="omistaja@example.org", phone=None)
        reference = app.cases.create_case(owned).reference
    finally:
        app.engine.dispose()
    owner, stranger = Conversation(stack), Conversation(stack)
    owner.sender = "the-owner"
    assert "välitetty asiantuntijalle" in owner.say(f"missä vaiheessa asiani {reference} on?")
    refused = stranger.say(f"Mikä on asian {reference} tilanne?")
    assert "vain sille, joka sen jätti" in refused and "välitetty asiantuntijalle" not in refused
    wrong = stranger.say(f"{reference} joku.muu@example.org")
    assert "vain sille, joka sen jätti" in wrong and "välitetty" not in wrong
    answer = stranger.say(f"{reference} omistaja@example.org")
    assert reference in answer and "välitetty asiantuntijalle" in answer
