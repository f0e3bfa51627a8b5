"""The follow-up's answer page over HTTP: the question in the customer's language, nothing recorded by
opening it, the button's answer once, "don't ask again", and nothing about the customer on the page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.desk.pages.followup import FOLLOWUP_COOKIE
from bot.register.followups import FollowUps
from bot.settings import Settings
from tests.bot.desk.test_signin import csrf_in, desk_client
from tests.bot.register.test_followups import INTAKE, TEN_WORKING_DAYS_LATER, contacted, followup_of, kinds, token_of
from tests.bot.register.test_lifecycle import MONDAY_MORNING, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


@pytest.fixture
def client(app: FrontDoor) -> TestClient:
    return desk_client(app)


def asked(app: FrontDoor, clock: Clock, **changes: str) -> tuple[str, str]:
    """A customer asked by email: (case reference, the path their links lead to)."""
    reference = contacted(app, replace(INTAKE, **changes))  # type: ignore[arg-type]
    clock.now = TEN_WORKING_DAYS_LATER
    FollowUps(app.sessions, app.networks.current, app.clock).send_due()
    return reference, f"/followup/{token_of(app, reference)}"


def test_the_page_asks_in_the_customers_language_and_shows_nothing_about_them(
    app: FrontDoor, clock: Clock, client: TestClient
) -> None:
    reference, path = asked(app, clock, language="en")
    shown = client.get(path)
    assert shown.status_code == 200 and '<html lang="en">' in shown.text and "Did you get help?" in shown.text
    for private in (str(INTAKE.contact_name), str(INTAKE.email), reference):
        assert private not in shown.text
    assert 'lang="sv"' in shown.text  # the other languages are offered
    assert "Fick du hjälp?" in client.get(f"{path}?lang=sv").text
    assert shown.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="referrer" content="no-referrer">' in shown.text  # the token is in the path
    assert shown.headers["referrer-policy"] == "no-referrer"
    assert f"{FOLLOWUP_COOKIE}=" in shown.headers["set-cookie"] and "Path=/followup" in shown.headers["set-cookie"]
    assert followup_of(app, reference).status == "sent"


def test_a_press_without_an_answer_asks_for_one_and_records_nothing(app: FrontDoor, clock: Clock, client: TestClient) -> None:
    reference, path = asked(app, clock)
    answer = client.post(path, data={"csrf": csrf_in(client.get(path)), "words": "Hmm"})
    assert answer.status_code == 400 and "Valitse vastaus" in answer.text and ">Hmm</textarea>" in answer.text
    assert followup_of(app, reference).status == "sent"


def test_yes_with_words_is_recorded_once_and_the_link_then_says_so(app: FrontDoor, clock: Clock, client: TestClient) -> None:
    reference, path = asked(app, clock)
    token = csrf_in(client.get(path))
    words = "<b>Pääsin</b> koulutukseen"
    assert "Kiitos vastauksestasi!" in client.post(path, data={"csrf": token, "answer": "yes", "words": words}).text
    assert (followup_of(app, reference).answer, followup_of(app, reference).words) == ("yes", words)
    later = client.get(path)
    assert later.status_code == 200 and "jo tallessa" in later.text and 'name="answer"' not in later.text
    assert "jo tallessa" in client.post(path, data={"csrf": token, "answer": "no"}).text
    assert followup_of(app, reference).answer == "yes"


def test_dont_ask_again_from_the_page(app: FrontDoor, clock: Clock, client: TestClient) -> None:
    reference, path = asked(app, clock)
    answer = client.post(path, data={"csrf": csrf_in(client.get(path)), "answer": "stop"})
    assert "emme kysy sinulta tätä enää" in answer.text
    assert followup_of(app, reference).status == "refused"


@pytest.mark.parametrize("form", [{"answer": "yes"}, {"csrf": "forged", "answer": "yes"}, {"csrf": "", "answer": "no"}])
def test_a_press_without_the_pages_token_records_nothing(
    app: FrontDoor, clock: Clock, client: TestClient, form: dict[str, str]
) -> None:
    """Another site's form (or a page whose cookie went): 403, nothing recorded, the page asks to press again."""
    reference, path = asked(app, clock)
    client.get(path)  # the page's cookie is set: only the form's token is missing or wrong
    refused = client.post(path, data={**form, "words": "Hmm"})
    assert refused.status_code == 403 and "Paina painiketta uudelleen" in refused.text
    followup = followup_of(app, reference)
    assert (followup.status, followup.answer, followup.words) == ("sent", None, None)
    assert [k for k in kinds(app, reference) if k.startswith("followup_")] == ["followup_asked"]


def test_only_known_answers_go_into_the_pages_links(app: FrontDoor, clock: Clock, client: TestClient) -> None:
    _, path = asked(app, clock)
    chosen = client.get(f"{path}?a=partly")
    assert f'href="{path}?lang=en&amp;a=partly"' in chosen.text and 'value="partly" required checked' in chosen.text
    for unknown in ('"><script>alert(1)</script>', "stop", "maybe"):
        shown = client.get(path, params={"a": unknown})
        assert shown.status_code == 200 and "&amp;a=" not in shown.text and "checked" not in shown.text, unknown


def test_a_link_that_is_not_valid_says_so(client: TestClient) -> None:
    gone = client.get("/followup/abc")
    assert gone.status_code == 404 and "Tätä kysymystä ei löydy" in gone.text
    assert client.post("/followup/abc", data={"answer": "yes"}).status_code == 404
