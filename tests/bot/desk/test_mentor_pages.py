"""The mentor's desk over HTTP: my cases, the case page and its actions, notes, away periods and capacity.

The web part's application runs in Starlette's TestClient over a real SQLite
register; the clock stands still on a working Monday morning.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.desk import create_web_app
from bot.desk.rendering import Desk
from bot.desk.security import SESSION_COOKIE
from bot.settings import Settings
from tests.bot.register.test_inbox import add_case
from tests.bot.register.test_lifecycle import INTAKE, Clock

# Monday 23 November 2026, 10:00 in Helsinki.
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


@pytest.fixture
def client(app: FrontDoor) -> Iterator[TestClient]:
    with TestClient(create_web_app(app), follow_redirects=False) as test_client:
        yield test_client


class Desk_:
    """A browser signed in as one person: pages, and forms posted with the session's token."""

    def __init__(self, client: TestClient, person_id: str) -> None:
        self.client = client
        desk: Desk = client.app.state.desk  # type: ignore[attr-defined]
        token = desk.access.issue_link(person_id)
        client.cookies.clear()
        link = client.get(f"/desk/link/{token}")
        answer = client.post(f"/desk/link/{token}", data={"csrf": self._token(link)})
        assert answer.status_code == 303 and client.cookies.get(SESSION_COOKIE)
        self.csrf = self._token(client.get("/desk/"))

    @staticmethod
    def _token(page: Response) -> str:
        found = CSRF.search(page.text)
        assert found, page.text[:300]
        return found.group(1)

    def get(self, path: str) -> Response:
        return self.client.get(path)

    def post(self, path: str, **data: str) -> Response:
        return self.client.post(path, data={"csrf": self.csrf, **data})


def case_of(app: FrontDoor, reference: str) -> dict[str, Any]:
    shown = app.cases.show_case(reference)
    assert shown is not None
    return shown


def new_case(app: FrontDoor, n: int, **changes: Any) -> str:
    """A routed case of its own customer (distinct email: repeated requests join the first case)."""
    return app.cases.create_case(replace(INTAKE, email=f"customer{n}@example.org", **changes)).reference


def text_of(page: Response) -> str:
    """The page's visible text, roughly: tags out, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


# -- my cases -----------------------------------------------------------------------
def test_my_cases_are_waiting_ones_by_deadline_then_the_rest_newest_first(client: TestClient, app: FrontDoor) -> None:
    hour = timedelta(hours=1)
    add_case(app, "FD-2026-00001", mentor="ao-marja", status="assigned", respond_by=MONDAY + 5 * hour, held_by=("ao-marja",))
    add_case(app, "FD-2026-00002", mentor="ao-marja", status="escalated", respond_by=MONDAY - 2 * hour, held_by=("ao-marja",))
    add_case(app, "FD-2026-00003", mentor="ao-marja", status="accepted", created=MONDAY - 9 * hour, held_by=("ao-marja",))
    add_case(app, "FD-2026-00004", mentor="ao-pekka", status="declined", created=MONDAY - hour, held_by=("ao-marja", "ao-pekka"))
    add_case(app, "FD-2026-00005", mentor="ao-pekka", status="assigned", held_by=("ao-pekka",))
    page = Desk_(client, "ao-marja").get("/desk/")
    assert page.status_code == 200
    shown = re.findall(r'href="/desk/cases/(FD-2026-\d+)"', page.text)
    assert shown == ["FD-2026-00002", "FD-2026-00001", "FD-2026-00004", "FD-2026-00003"]
    text = text_of(page)
    assert "Myöhässä 2 h 0 min" in text and "5 h 0 min jäljellä" in text
    assert "Odottavat hyväksyntääsi" in text and "Muut tapauksesi" in text
    assert 'class="overdue"' in page.text


def test_my_cases_come_fifty_a_page(client: TestClient, app: FrontDoor) -> None:
    for n in range(1, 61):
        add_case(
            app,
            f"FD-2026-{n:05d}",
            mentor="ao-marja",
            status="closed",
            created=MONDAY - timedelta(minutes=n),
            held_by=("ao-marja",),
        )
    desk = Desk_(client, "ao-marja")
    first, second = desk.get("/desk/"), desk.get("/desk/?page=2")
    assert len(re.findall(r'href="/desk/cases/FD', first.text)) == 50
    assert re.findall(r'href="/desk/cases/(FD-2026-\d+)"', second.text) == [f"FD-2026-{n:05d}" for n in range(51, 61)]
    assert "Sivu 1 / 2" in text_of(first) and 'href="/desk/?page=2"' in first.text
    assert "Sivu 2 / 2" in text_of(second) and 'href="/desk/?page=1"' in second.text
    assert desk.get("/desk/?page=x").status_code == 200


# -- who may see a case ----------------------------------------------------------------
def test_a_case_is_404_for_anyone_who_never_held_it_and_open_to_the_coordinator(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    assert case_of(app, reference)["mentor"] == "ao-marja"
    pekka = Desk_(client, "ao-pekka")
    assert pekka.get(f"/desk/cases/{reference}").status_code == 404
    assert pekka.get("/desk/cases/FD-2026-99999").status_code == 404
    refused = pekka.post(f"/desk/cases/{reference}/accept")
    assert refused.status_code == 404 and "Sivua tai tapausta ei löydy" in text_of(refused)
    assert pekka.post(f"/desk/cases/{reference}/note", text="kurkistus").status_code == 404
    assert [e["kind"] for e in case_of(app, reference)["events"]][-1] != "noted"
    coordinator = Desk_(client, "coordinator")
    seen = coordinator.get(f"/desk/cases/{reference}")
    assert seen.status_code == 200 and ">Hyväksy</button>" in seen.text
    client.cookies.clear()
    anonymous = client.get(f"/desk/cases/{reference}")
    assert anonymous.status_code == 303 and "/desk/?next=" in anonymous.headers["location"]


def test_the_case_page_shows_the_customer_and_escapes_their_words(client: TestClient, app: FrontDoor) -> None:
    words = '<script>alert("x")</script> <b>Tarvitsemme</b> oppisopimusopiskelijan'
    reference = new_case(app, 1, need_text=words, organization="Kuljetus Virtanen Oy", phone="+358401234567")
    page = Desk_(client, "ao-marja").get(f"/desk/cases/{reference}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<b>Tarvitsemme" not in page.text
    assert html.escape(words, quote=False) in page.text.replace("&#34;", '"').replace("&quot;", '"')
    text = text_of(page)
    for shown in (
        "Maija Meikäläinen",
        "Kuljetus Virtanen Oy",
        "customer1@example.org",
        "+358401234567",
        "Kouvola",
        "Oppisopimus",
    ):
        assert shown in text, shown
    assert "Ehdotettu osaamispolku" in text and "Miksi tapaus ohjattiin tänne" in text
    assert case_of(app, reference)["routing_reason"] in text
    assert "Tapaus luotiin" in text and "Ohjattiin mentorille" in text
    assert [label in page.text for label in (">Hyväksy</button>", ">Kieltäydy</button>", ">Siirrä</button>")] == [True] * 3
    assert ">Sulje</button>" not in page.text and ">Yhteys otettu</button>" not in page.text


def test_an_erased_case_says_its_personal_data_were_erased(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1, need_text="Soittakaa minulle")
    app.privacy.erase(email="customer1@example.org", actor="coordinator")
    page = Desk_(client, "ao-marja").get(f"/desk/cases/{reference}")
    text = text_of(page)
    assert "Asiakkaan henkilötiedot poistettiin" in text and "Yhteystiedot on poistettu" in text
    assert "customer1@example.org" not in text and "Soittakaa minulle" not in text


# -- actions ---------------------------------------------------------------------------
def test_a_post_without_the_session_token_is_refused_and_changes_nothing(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    refused = client.post(f"/desk/cases/{reference}/accept", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert client.post(f"/desk/cases/{reference}/note", data={"text": "x"}).status_code == 403
    assert client.post("/desk/availability", data={"do": "capacity", "capacity": "3"}).status_code == 403
    assert case_of(app, reference)["status"] == "assigned"
    assert desk.post(f"/desk/cases/{reference}/accept").status_code == 303


def test_accept_contact_and_close_go_through_the_lifecycle_as_made_on_the_desk(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    for verb, extra, status in (
        ("accept", {}, "accepted"),
        ("contacted", {}, "contacted"),
        ("close", {"note": "Sovittu", "outcome": "served"}, "closed"),
    ):
        answer = desk.post(f"/desk/cases/{reference}/{verb}", **extra)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/desk/cases/{reference}?said=mentor_said_{verb}"
        event = case_of(app, reference)["events"][-1]
        assert (event["kind"], event["actor"], event["detail"]["via"]) == (status, "ao-marja", "desk")
    assert case_of(app, reference)["events"][-1]["detail"]["note"] == "Sovittu"
    shown = desk.get(f"/desk/cases/{reference}?said=mentor_said_close")
    assert '<div role="status" class="status" id="status"><p>Suljit tapauksen.</p>' in shown.text
    assert not re.search(r">(Hyväksy|Kieltäydy|Siirrä|Yhteys otettu|Sulje)</button>", shown.text)  # a closed case has no actions
    assert "et muuttaa sitä" not in shown.text  # still Marja's case, only closed
    assert "kautta: työpöytä" in text_of(shown)


def test_an_action_the_status_no_longer_allows_says_so_in_the_persons_language(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    assert desk.post(f"/desk/cases/{reference}/accept").status_code == 303
    again = desk.post(f"/desk/cases/{reference}/accept")
    assert again.status_code == 409
    assert "Tätä ei voi tehdä: tapauksen tila on nyt ”hyväksytty”" in text_of(again)
    assert "cannot be accepted" not in again.text and 'role="alert"' in again.text
    assert desk.post("/desk/language", language="en", next=f"/desk/cases/{reference}").status_code == 303
    english = desk.post(f"/desk/cases/{reference}/accept")
    assert english.status_code == 409 and "This cannot be done: the case is now “accepted”" in text_of(english)
    assert (
        desk.post(f"/desk/cases/{reference}/bogus").status_code == 405
    )  # no such act: the path has a page (GET) but no such form


def test_declining_with_a_reason_hands_the_case_on_and_leaves_it_readable(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    answer = desk.post(f"/desk/cases/{reference}/decline", reason="Ei kapasiteettia tällä viikolla")
    assert answer.status_code == 303 and answer.headers["location"].endswith("said=mentor_said_decline")
    shown = case_of(app, reference)
    declined = next(e for e in shown["events"] if e["kind"] == "declined")
    assert declined["actor"] == "ao-marja" and declined["detail"]["reason"] == "Ei kapasiteettia tällä viikolla"
    assert declined["detail"]["via"] == "desk" and shown["mentor"] not in (None, "ao-marja")
    page = desk.get(answer.headers["location"])
    assert page.status_code == 200 and "Kieltäydyit tapauksesta" in text_of(page)
    assert '<button type="submit">Hyväksy</button>' not in page.text and "et muuttaa sitä" in text_of(page)
    refused = desk.post(f"/desk/cases/{reference}/accept")
    assert refused.status_code == 409 and "Tapaus ei ole enää sinulla" in text_of(refused)


def test_forwarding_needs_another_partner_and_takes_a_note(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    page = desk.get(f"/desk/cases/{reference}")
    options = re.findall(r'<option value="([a-z-]+)"', page.text.split('id="forward-partner"', 1)[1].split("</select>", 1)[0])
    assert "kymi-ammattiopisto" not in options and "kymi-tyollisyys" in options
    missing = desk.post(f"/desk/cases/{reference}/forward", note="x")
    assert missing.status_code == 400 and "Valitse kumppani" in text_of(missing)
    assert 'id="forward-partner" name="partner" aria-invalid="true"' in missing.text
    answer = desk.post(f"/desk/cases/{reference}/forward", partner="kymi-tyollisyys", note="Työllisyyspalveluiden asia")
    assert answer.status_code == 303
    shown = case_of(app, reference)
    forwarded = next(e for e in shown["events"] if e["kind"] == "forwarded")
    assert forwarded["detail"] == {
        "from_mentor": "ao-marja",
        "to_partner": "kymi-tyollisyys",
        "note": "Työllisyyspalveluiden asia",
        "via": "desk",
    }
    assert shown["partner"] == "kymi-tyollisyys" and shown["status"] == "forwarded"
    history = text_of(desk.get(f"/desk/cases/{reference}"))
    assert "Kumppanille Kymenlaakson työllisyyspalvelut (demo)" in history


def test_a_private_note_is_kept_with_the_case(client: TestClient, app: FrontDoor) -> None:
    reference = new_case(app, 1)
    desk = Desk_(client, "ao-marja")
    empty = desk.post(f"/desk/cases/{reference}/note", text="   ")
    assert empty.status_code == 400 and "Muistiinpano on tyhjä" in text_of(empty)
    assert 'id="note-text" name="text" maxlength="4000" aria-invalid="true"' in empty.text
    too_long = desk.post(f"/desk/cases/{reference}/note", text="x" * 4001)
    assert too_long.status_code == 400 and "Teksti on liian pitkä" in text_of(too_long)
    answer = desk.post(f"/desk/cases/{reference}/note", text="Soitan <torstaina>")
    assert answer.status_code == 303 and answer.headers["location"].endswith("said=mentor_said_noted")
    event = case_of(app, reference)["events"][-1]
    assert (event["kind"], event["actor"], event["detail"]) == (
        "noted",
        "ao-marja",
        {"note": "Soitan <torstaina>", "via": "desk"},
    )
    page = desk.get(f"/desk/cases/{reference}")
    assert "Soitan &lt;torstaina&gt;" in page.text and "Muistiinpano lisättiin" not in page.text


# -- away periods and capacity ---------------------------------------------------------------
def test_capacity_is_a_whole_number_up_to_500_or_empty(client: TestClient, app: FrontDoor) -> None:
    desk = Desk_(client, "ao-marja")
    page = desk.get("/desk/availability")
    assert page.status_code == 200 and "otat enintään 20 avointa tapausta" in text_of(page)
    for bad in ("abc", "501", "-1", "2.5"):
        refused = desk.post("/desk/availability", do="capacity", capacity=bad)
        assert refused.status_code == 400, bad
        assert "Kapasiteetin pitää olla kokonaisluku 0–500" in text_of(refused)
        assert 'aria-invalid="true" aria-describedby="form-error capacity-hint"' in refused.text
    saved = desk.post("/desk/availability", do="capacity", capacity="5")
    assert saved.status_code == 303 and saved.headers["location"] == "/desk/availability?said=mentor_said_capacity_saved"
    assert "Oma rajasi on nyt 5" in text_of(desk.get("/desk/availability"))
    assert desk.post("/desk/availability", do="capacity", capacity="").status_code == 303
    assert "Käytössä on verkoston tiedoston raja" in text_of(desk.get("/desk/availability"))


def test_away_periods_are_added_checked_and_removed(client: TestClient, app: FrontDoor) -> None:
    desk = Desk_(client, "ao-marja")
    backwards = desk.post("/desk/availability", do="add_away", starts="2026-12-10", ends="2026-12-01")
    assert backwards.status_code == 400 and "Viimeinen poissaolopäivä on ennen ensimmäistä" in text_of(backwards)
    assert 'value="2026-12-10"' in backwards.text  # what was typed stays
    missing = desk.post("/desk/availability", do="add_away", starts="", ends="2026-12-01")
    assert missing.status_code == 400 and "Anna sekä ensimmäinen että viimeinen" in text_of(missing)
    past = desk.post("/desk/availability", do="add_away", starts="2026-11-01", ends="2026-11-02")
    assert past.status_code == 400 and "Poissaolo on jo päättynyt" in text_of(past)
    added = desk.post("/desk/availability", do="add_away", starts="2026-11-23", ends="2026-11-30")
    assert added.status_code == 303
    page = desk.get("/desk/availability")
    assert "23.11.2026" in page.text and "30.11.2026" in page.text
    # Routing respects it at once: Marja's kind of case goes to someone else.
    assert case_of(app, new_case(app, 1))["mentor"] != "ao-marja"
    away_id = re.search(r'name="away" value="(\d+)"', page.text)
    assert away_id
    assert desk.post("/desk/availability", do="remove_away", away=away_id.group(1)).status_code == 303
    assert "Sinulla ei ole merkittyjä poissaoloja" in text_of(desk.get("/desk/availability"))
    pekka = Desk_(client, "ao-pekka")
    assert pekka.post("/desk/availability", do="remove_away", away=away_id.group(1)).status_code == 404


def test_the_coordinator_has_no_availability_page(client: TestClient) -> None:
    assert Desk_(client, "coordinator").get("/desk/availability").status_code == 404
