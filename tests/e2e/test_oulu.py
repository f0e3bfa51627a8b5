"""Whole conversations over the Oulu network (networks/oulu.yml) through the REST channel.

Haukipudas is a former municipality, part of Oulu today, but served by the
northern-Oulu unit: the place the customer named must reach routing, the case
and the mentor's notice. And the review holds: nothing is sent until the
customer confirms the summary shown to them.
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import Conversation, Stack
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
NETWORK = PROJECT_ROOT / "networks" / "oulu.yml"
# The northern unit's area (Haukipudas, Kiiminki, Ylikiiminki, Yli-Ii and Ii) and the college's unit there.
NORTH = "pohjoinen-oulu"
NORTH_COLLEGE = "osao-pohjoinen"


def shown(stack: Stack, reference: str) -> dict[str, Any]:
    result = stack.frontdoor("cases", "show", reference, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def dry_run(stack: Stack, need: str, municipality: str, sector: str) -> dict[str, Any]:
    """Who ``frontdoor route --dry-run`` says would get the case."""
    result = stack.frontdoor("route", "--dry-run", "--need", need, "--municipality", municipality, "--sector", sector, "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def mentor_email(mentor: str) -> str:
    network = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    (entry,) = [m for m in network["mentors"] if m["id"] == mentor]
    return str(next(c["email"] for c in entry["channels"] if "email" in c))


def mentors_notice(stack: Stack, case: dict[str, Any]) -> str:
    """The email the worker sends the case's mentor, as text."""
    address = mentor_email(case["mentor"])

    def arrived() -> list[EmailMessage]:
        return [m for m in stack.mail.inbox.to(address) if case["reference"] in str(m["Subject"])]

    (notice, *_) = wait(arrived, "the mentor's email", timeout=120)
    return str(notice.get_content())


def give_contact_details(conversation: Conversation, email: str) -> str:
    """Consent, name, organisation, email and phone, in the order the form asks them; the last answer."""
    assert "Mikä on nimesi" in conversation.say("kyllä")
    assert "organisaation" in conversation.say("Maija Meikäläinen")
    assert "sähköpostiosoitteeseen" in conversation.say("Puu ja Kone Oy")
    assert "puhelinnumerosi" in conversation.say(email)
    return conversation.say("ohita")


def test_haukiputaalla_in_the_first_message_reaches_the_northern_unit(oulu_stack: Stack) -> None:
    conversation = Conversation(oulu_stack)
    answer = conversation.say("Etsimme työntekijöitä, yritys on Haukiputaalla")
    assert "Rekrytointi" in answer and "Saanko tallentaa" in answer
    # The municipality came with the first message: it is not asked.
    answer = give_contact_details(conversation, "maija.haukipudas@example.org")
    assert "Mikä on toimialanne" in answer
    summary = conversation.say("sahalla")
    assert "Tarkistetaan vielä tiedot" in summary and "Kunta: Oulu (Haukipudas)" in summary
    reference = REFERENCE.search(conversation.click("Kyllä, lähetä"))
    assert reference, conversation.last

    case = shown(oulu_stack, reference.group(0))
    assert (case["need"], case["municipality"], case["place_named"]) == ("recruitment", "Oulu", "Haukipudas")
    # Routed as `frontdoor route --dry-run --municipality Haukipudas` says, not as for Oulu.
    north = dry_run(oulu_stack, "recruitment", "Haukipudas", case["sector"])
    assert (case["area"], case["partner"]) == (north["area"], north["partner"]) and case["area"] == NORTH
    assert dry_run(oulu_stack, "recruitment", "Oulu", case["sector"])["area"] != NORTH
    assert "Oulu (Haukipudas)" in mentors_notice(oulu_stack, case)


def test_haukipudas_as_the_answer_to_the_municipality_question(oulu_stack: Stack) -> None:
    conversation = Conversation(oulu_stack)
    answer = conversation.say("Tarvitsisimme oppisopimusopiskelijan")
    assert "Oppisopimus" in answer and "Asioitko työnantajan" in answer
    assert "Saanko tallentaa" in conversation.click("Työnantajana / organisaationa")
    answer = give_contact_details(conversation, "maija.kunta@example.org")
    assert "Missä kunnassa" in answer
    assert "Mikä on toimialanne" in conversation.say("Haukipudas")
    summary = conversation.say("konepaja")
    assert "Kunta: Oulu (Haukipudas)" in summary
    answer = conversation.click("Kyllä, lähetä")
    reference = REFERENCE.search(answer)
    assert reference, conversation.last
    assert "Haukiputaan yksikkö" in answer

    case = shown(oulu_stack, reference.group(0))
    assert (case["need"], case["municipality"], case["place_named"]) == ("apprenticeship", "Oulu", "Haukipudas")
    assert (case["area"], case["partner"]) == (NORTH, NORTH_COLLEGE)
    assert dry_run(oulu_stack, "apprenticeship", "Oulu", case["sector"])["partner"] != NORTH_COLLEGE
    assert "Oulu (Haukipudas)" in mentors_notice(oulu_stack, case)


def test_an_unexpected_answer_at_the_review_gets_the_review_again(oulu_stack: Stack) -> None:
    conversation = Conversation(oulu_stack)
    conversation.say("Tarvitsemme työpaikkaohjaajakoulutusta")
    give_contact_details(conversation, "maija.review@example.org")
    conversation.say("Kiimingissä")
    summary = conversation.say("logistiikka")
    assert "Tarkistetaan vielä tiedot" in summary and "Kunta: Oulu (Kiiminki)" in summary
    before = {c["reference"] for c in oulu_stack.cases()}

    # Neither a confirmation nor a correction: the summary again, with its buttons; nothing is sent.
    again = conversation.say("työnantaja")
    assert "Tarkistetaan vielä tiedot" in again and "Kerro omin sanoin" not in again
    assert "Kyllä, lähetä" in conversation.buttons()
    again = conversation.say("Hei")
    assert "Tarkistetaan vielä tiedot" in again
    # A question is answered first, then the summary follows.
    answered = conversation.say("Mitä tiedoilleni tapahtuu?")
    assert "/privacy/fi.html" in conversation.last[0]["text"] and "Tarkistetaan vielä tiedot" in conversation.last[-1]["text"]
    assert answered.index("/privacy/fi.html") < answered.index("Tarkistetaan vielä tiedot")
    assert {c["reference"] for c in oulu_stack.cases()} == before

    reference = REFERENCE.search(conversation.say("kyllä"))
    assert reference, conversation.last
    made = {c["reference"] for c in oulu_stack.cases()} - before
    assert made == {reference.group(0)}
    case = shown(oulu_stack, reference.group(0))
    assert (case["need"], case["place_named"], case["area"]) == ("instructor_training", "Kiiminki", NORTH)
