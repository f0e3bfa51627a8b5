"""Competence paths in the dialogue: suggestions from several partners, in the customer's language, drafted for the mentor."""

from __future__ import annotations

import json
import re

import yaml

from bot.settings import DEFAULT_NETWORK
from tests.e2e.conftest import Conversation, Stack
from tests.e2e.test_languages import _english
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
LINK = re.compile(r"https://\S+")
PARTNERS = [p["name"] for p in yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))["partners"]]


def suggestions(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("• ")]


def link(line: str) -> str:
    """The link a suggestion line carries."""
    match = LINK.search(line)
    assert match is not None, line
    return match.group(0)


def test_a_career_change_gets_suggestions_from_several_partners_in_finnish(conversation: Conversation) -> None:
    answer = conversation.say("Haluaisin vaihtaa alaa logistiikkaan, asun Kouvolassa")
    assert "Verkoston tarjonnasta sinulle voisi sopia" in answer
    lines = suggestions(answer)
    assert 2 <= len(lines) <= 4
    assert all(LINK.search(line) for line in lines)
    assert len({name for name in PARTNERS for line in lines if name in line}) >= 2
    assert any("Logistiikan" in line for line in lines)
    assert "Saanko tallentaa" in answer  # the intake goes on: a mentor can still be asked for


def test_the_same_question_in_english_gets_them_in_english(conversation: Conversation) -> None:
    answer = conversation.say("I would like to change careers to logistics, I live in Kouvola")
    _english(answer)
    assert "From the network's offerings" in answer
    lines = suggestions(answer)
    assert 2 <= len(lines) <= 4
    assert all("/en/" in link(line) for line in lines)
    assert len({name for name in PARTNERS for line in lines if name in line}) >= 2
    assert any("logistics" in line.lower() for line in lines)


def test_the_mentor_and_the_register_get_the_drafted_path(conversation: Conversation, stack: Stack) -> None:
    seen = [link(line) for line in suggestions(conversation.say("Haluaisin vaihtaa alaa logistiikkaan, asun Kouvolassa"))]
    conversation.say("kyllä")
    conversation.say("Polku Testinen")
    conversation.say("polku.e2e@example.org")
    summary = conversation.say("ohita")
    assert "polku.e2e@example.org" in summary, summary
    reference = REFERENCE.search(conversation.click("Kyllä, lähetä"))
    assert reference, conversation.last
    shown = json.loads(stack.frontdoor("cases", "show", reference.group(0), "--json").stdout)
    assert len(shown["path"]) >= 2 and len({step["partner"] for step in shown["path"]}) >= 2
    assert [step["link"]["fi"] for step in shown["path"]] == seen  # the path the customer saw, in that order
    text = stack.frontdoor("cases", "show", reference.group(0))
    assert "drafted competence path:" in text.stdout
    assert all(step["link"]["fi"] in text.stdout for step in shown["path"])
    mentor = shown["mentor"]
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    address = next(
        c["email"] for m in [raw["coordinator"], *raw["mentors"]] if m["id"] == mentor for c in m["channels"] if "email" in c
    )
    told = wait(
        lambda: [m for m in stack.mail.inbox.to(address) if reference.group(0) in str(m["Subject"])],
        "the mentor's email",
    )
    body = told[0].get_content()
    assert "Ehdotettu osaamispolku" in body
    assert all(step["link"]["fi"] in body for step in shown["path"])
    # Done with: the mentors' workload is as the other tests expect it.
    for change in (["accept"], ["close", "--outcome", "served"]):
        done = stack.frontdoor("cases", *change[:1], reference.group(0), "--as", shown["mentor"], *change[1:])
        assert done.returncode == 0, done.stderr
