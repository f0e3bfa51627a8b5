"""The coordinator's desk over HTTP (Starlette's TestClient): the case list, reassigning, the network,
the outbox, the report and personal data; a mentor gets 403 on all of it, a form without its token too."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from httpx2 import Response
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.desk import create_web_app
from bot.desk.rendering import Desk
from bot.desk.security import SESSION_COOKIE
from bot.insight.demodata import DemoData
from bot.register.models import AWAITING_STATUSES, Case, OutboxMessage
from bot.settings import DEFAULT_NETWORK, Settings
from tests.bot.register.test_cases import INTAKE

LISTED = re.compile(r'<th scope="row"><a href="/desk/cases/(FD-\d{4}-\d+)">')
COORDINATOR_PAGES = ("/desk/all", "/desk/network", "/desk/outbox", "/desk/report", "/desk/privacy", "/desk/report/summary.csv")


@dataclass
class Signed:
    """A browser with someone's desk session, and the token its forms carry."""

    client: TestClient
    csrf: str

    def post(self, path: str, data: dict[str, str], *, token: bool = True) -> Response:
        return self.client.post(path, data={**data, **({"csrf": self.csrf} if token else {})})


def desk_of(client: TestClient) -> Desk:
    desk: Desk = client.app.state.desk  # type: ignore[attr-defined]
    return desk


@pytest.fixture
def client(frontdoor: FrontDoor) -> TestClient:
    return TestClient(create_web_app(frontdoor), follow_redirects=False)


def sign_in(client: TestClient, person_id: str) -> Signed:
    """``person_id`` signed in on this client (a link made and used, its session id in the cookie)."""
    access = desk_of(client).access
    opened = access.sign_in(access.issue_link(person_id))
    client.cookies.set(SESSION_COOKIE, opened.session_id)
    session = access.session(opened.session_id)
    assert session is not None
    return Signed(client, session.csrf_token)


@pytest.fixture
def coordinator(client: TestClient) -> Signed:
    return sign_in(client, "coordinator")


def demo_cases(frontdoor: FrontDoor, count: int) -> None:
    DemoData(
        frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.municipalities, frontdoor.clock
    ).generate(count)


def newest_first(frontdoor: FrontDoor, *conditions: object) -> list[str]:
    with frontdoor.sessions() as session:
        query = select(Case.reference).where(*conditions).order_by(Case.created_at.desc(), Case.id.desc())
        return [str(r) for r in session.execute(query).scalars()]


def test_the_case_list_pages_newest_first_and_filters(frontdoor: FrontDoor, coordinator: Signed) -> None:
    demo_cases(frontdoor, 130)
    everything = newest_first(frontdoor)
    first = coordinator.client.get("/desk/all")
    assert first.status_code == 200
    assert LISTED.findall(first.text) == everything[:50]
    assert "Tapauksia: 130" in first.text and "Sivu 1/3" in first.text and 'href="?page=2"' in first.text
    last = coordinator.client.get("/desk/all", params={"page": "3"})
    assert LISTED.findall(last.text) == everything[100:]
    assert 'href="?page=2"' in last.text and "Seuraava sivu" not in last.text
    assert LISTED.findall(coordinator.client.get("/desk/all?page=junk").text) == everything[:50]

    accepted = newest_first(frontdoor, Case.status == "accepted", Case.need == "cooperation")
    filtered = coordinator.client.get("/desk/all", params={"status": "accepted", "need": "cooperation"})
    assert LISTED.findall(filtered.text) == accepted[:50] and f"Tapauksia: {len(accepted)}" in filtered.text
    assert '<option value="accepted" selected>' in filtered.text
    kotka = newest_first(frontdoor, Case.area == "kotka-hamina", Case.partner == "kaakko-amk")
    shown = coordinator.client.get("/desk/all", params={"area": "kotka-hamina", "partner": "kaakko-amk", "status": "nonsense"})
    assert LISTED.findall(shown.text) == kotka[:50]


def test_overdue_cases_are_marked_and_filtered(frontdoor: FrontDoor, coordinator: Signed) -> None:
    demo_cases(frontdoor, 60)
    past = frontdoor.clock() - timedelta(hours=3)
    with frontdoor.sessions.begin() as session:
        session.execute(update(Case).where(Case.status.in_(AWAITING_STATUSES)).values(respond_by=past))
    late = newest_first(frontdoor, Case.status.in_(AWAITING_STATUSES))
    assert late
    shown = coordinator.client.get("/desk/all", params={"overdue": "yes"})
    assert LISTED.findall(shown.text) == late[:50]
    assert shown.text.count("(myöhässä)") == min(50, len(late))
    on_time = coordinator.client.get("/desk/all", params={"overdue": "no"})
    assert set(LISTED.findall(on_time.text)).isdisjoint(late)


def test_a_mentor_gets_403_on_every_coordinator_page_and_action_never_a_redirect(
    frontdoor: FrontDoor, client: TestClient
) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    mentor = sign_in(client, "ao-marja")
    for path in (*COORDINATOR_PAGES, f"/desk/cases/{reference}/reassign"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "location" not in answer.headers
    for path, data in (
        (f"/desk/cases/{reference}/reassign", {"mentor": "ao-marja"}),
        ("/desk/outbox/retry", {"all": "1"}),
        ("/desk/privacy/erase", {"email": INTAKE.email or "", "confirm": "yes"}),
        ("/desk/privacy/export", {"email": INTAKE.email or ""}),
    ):
        answer = mentor.post(path, data)
        assert answer.status_code == 403, path
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["email"] == INTAKE.email and shown["mentor"] == "ao-marja"


def test_a_visitor_not_signed_in_is_sent_to_sign_in_and_cannot_post(client: TestClient) -> None:
    answer = client.get("/desk/all")
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/?next=%2Fdesk%2Fall"
    assert client.post("/desk/outbox/retry", data={"all": "1"}).status_code == 403


def test_reassigning_gives_the_case_to_the_chosen_mentor_through_the_desk(frontdoor: FrontDoor, coordinator: Signed) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    form = coordinator.client.get(f"/desk/cases/{reference}/reassign")
    assert form.status_code == 200
    assert '<label for="mentor">Uusi mentori</label>' in form.text and "Siirrä mentorille" in form.text
    assert re.search(r'<option value="ao-marja"\s+disabled>', form.text)  # the case's mentor now

    answer = coordinator.post(f"/desk/cases/{reference}/reassign", {"mentor": "amk-jussi", "note": "Jussi tuntee yrityksen"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/desk/cases/{reference}?said=coord_said_reassigned"
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["mentor"] == "amk-jussi" and shown["status"] == "assigned"
    event = next(e for e in shown["events"] if e["kind"] == "reassigned")
    assert event["actor"] == "coordinator"
    assert event["detail"] == {
        "from_mentor": "ao-marja",
        "to_mentor": "amk-jussi",
        "note": "Jussi tuntee yrityksen",
        "via": "desk",
    }
    with frontdoor.sessions() as session:
        kinds = session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "case_assigned")).scalars().all()
    assert "amk-jussi" in kinds

    again = coordinator.post(f"/desk/cases/{reference}/reassign", {"mentor": "amk-jussi"})
    assert again.status_code == 409 and "Tapaus on jo tällä mentorilla" in again.text
    nobody = coordinator.post(f"/desk/cases/{reference}/reassign", {"mentor": "nobody"})
    assert nobody.status_code == 400 and 'aria-invalid="true"' in nobody.text
    assert coordinator.client.get("/desk/cases/FD-1999-00001/reassign").status_code == 404


def test_a_form_without_its_token_is_refused(frontdoor: FrontDoor, coordinator: Signed) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    for path, data in (
        (f"/desk/cases/{reference}/reassign", {"mentor": "amk-jussi"}),
        ("/desk/privacy/erase", {"email": INTAKE.email or "", "confirm": "yes"}),
        ("/desk/outbox/retry", {"all": "1"}),
    ):
        answer = coordinator.post(path, data, token=False)
        assert answer.status_code == 403, path
        wrong = coordinator.client.post(path, data={**data, "csrf": "not-the-token"})
        assert wrong.status_code == 403, path
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["mentor"] == "ao-marja" and shown["email"] == INTAKE.email


def test_erasing_shows_what_it_would_erase_first_and_erases_on_confirmation(frontdoor: FrontDoor, coordinator: Signed) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    other = frontdoor.cases.create_case(replace(INTAKE, email="someone.else@example.org", phone=None)).reference
    asked = coordinator.post("/desk/privacy/erase", {"email": INTAKE.email.upper() if INTAKE.email else ""})
    assert asked.status_code == 200
    text = asked.text
    assert "Tapauksia, joista henkilötiedot poistetaan: 1" in text and reference in text and other not in text
    assert str(INTAKE.contact_name) not in text and str(INTAKE.phone) not in text  # nothing needless of the person
    assert 'name="confirm" value="yes"' in text and "Poista tiedot pysyvästi" in text
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["email"] == INTAKE.email  # only shown, nothing erased yet

    done = coordinator.post("/desk/privacy/erase", {"email": INTAKE.email or "", "conversation_id": "", "confirm": "yes"})
    assert done.status_code == 200 and "Henkilötiedot poistettiin 1 tapauksesta" in done.text
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None and shown["email"] is None and shown["contact_name"] is None
    erased = [e for e in shown["events"] if e["kind"] == "erased"]
    assert [(e["actor"], e["detail"]) for e in erased] == [("coordinator", {"reason": "request", "via": "desk"})]
    still = frontdoor.cases.show_case(other)
    assert still is not None and still["email"] == "someone.else@example.org"

    by_conversation = coordinator.post("/desk/privacy/erase", {"conversation_id": "no-such-conversation"})
    assert "Tapauksia, joista henkilötiedot poistetaan: 0" in by_conversation.text
    nothing = coordinator.post("/desk/privacy/erase", {"email": "", "conversation_id": ""})
    assert nothing.status_code == 400 and "Anna sähköpostiosoite tai keskustelun tunnus" in nothing.text
    bad = coordinator.post("/desk/privacy/erase", {"email": "not an address"})
    assert bad.status_code == 400


def test_export_downloads_the_json_the_cli_prints(frontdoor: FrontDoor, coordinator: Signed) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    answer = coordinator.client.post("/desk/privacy/export", data={"email": INTAKE.email or "", "csrf": coordinator.csrf})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert re.fullmatch(r'attachment; filename="export-\d{4}-\d{2}-\d{2}\.json"', answer.headers["content-disposition"])
    assert answer.headers["cache-control"] == "no-store"
    exported = json.loads(answer.text)
    expected = frontdoor.privacy.export(INTAKE.email or "")
    assert {**exported, "exported_at": None} == {**expected, "exported_at": None}
    assert [c["reference"] for c in exported["cases"]] == [reference]
    refused = coordinator.client.post("/desk/privacy/export", data={"email": "", "csrf": coordinator.csrf})
    assert refused.status_code == 400 and "Anna henkilön sähköpostiosoite" in refused.text


def test_the_outbox_lists_given_up_notifications_without_addresses_and_retries_them(
    frontdoor: FrontDoor, coordinator: Signed
) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    with frontdoor.sessions.begin() as session:
        row = session.execute(select(OutboxMessage).where(OutboxMessage.channel == "email")).scalars().first()
        assert row is not None
        row.status, row.attempts, row.last_error = "dead", 8, "550 no mailbox marja.oppila@example.org"
        dead_id = row.id
    page = coordinator.client.get("/desk/outbox")
    assert page.status_code == 200 and reference in page.text and "case_assigned" in page.text
    assert "marja.oppila@example.org" not in page.text and "550 no mailbox [email]" in page.text
    assert f'name="id" value="{dead_id}"' in page.text and "Yritä uudelleen" in page.text

    answer = coordinator.post("/desk/outbox/retry", {"id": str(dead_id)})
    assert answer.headers["location"] == "/desk/outbox?said=coord_said_retried"
    with frontdoor.sessions() as session:
        again = session.get(OutboxMessage, dead_id)
        assert again is not None and (again.status, again.attempts) == ("pending", 0)
    told = coordinator.client.get("/desk/outbox?said=coord_said_retried")
    assert re.search(r'role="status"[^>]*><p>Ilmoitukset palautettiin jonoon', told.text)
    assert "Kaikki ilmoitukset ovat menneet perille" in told.text
    none = coordinator.post("/desk/outbox/retry", {"all": "1"})
    assert none.headers["location"] == "/desk/outbox?said=coord_said_retry_none"


def test_the_report_is_in_the_page_and_its_tables_download_as_csv(frontdoor: FrontDoor, coordinator: Signed) -> None:
    demo_cases(frontdoor, 80)
    today = frontdoor.clock().date()
    period = {"from": (today - timedelta(days=90)).isoformat(), "to": today.isoformat()}
    page = coordinator.client.get("/desk/report", params=period)
    assert page.status_code == 200
    assert '<h2 id="table-by_need">Asiat tarpeittain</h2>' in page.text
    assert f'href="/desk/report/by_need.csv?from={period["from"]}&amp;to={period["to"]}"' in page.text
    with frontdoor.sessions() as session:
        start = date.fromisoformat(period["from"])
        counted = session.execute(select(func.count(Case.id)).where(Case.created_at >= start)).scalar_one()
    assert f": {counted} tapausta." in page.text

    download = coordinator.client.get("/desk/report/by_need.csv", params=period)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == f'attachment; filename="by_need-{period["from"]}-{period["to"]}.csv"'
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["need", "name", "cases", "share"]
    assert sum(int(r[2]) for r in rows[1:]) == counted

    assert coordinator.client.get("/desk/report/nonsense.csv", params=period).status_code == 404
    assert coordinator.client.get("/desk/report", params={"from": "2026-13-01"}).status_code == 400
    backwards = coordinator.client.get("/desk/report", params={"from": "2026-11-02", "to": "2026-11-01"})
    assert backwards.status_code == 400 and "Aloituspäivä on päättymispäivän jälkeen" in backwards.text


@pytest.fixture
def own_network(tmp_path: Path) -> Iterator[tuple[FrontDoor, Path]]:
    """A front door over a copy of the demo network file that the test may break."""
    path = tmp_path / "network.yml"
    shutil.copy(DEFAULT_NETWORK, path)
    frontdoor = create_frontdoor(Settings(database_url=f"sqlite:///{tmp_path / 'cases.db'}", network_path=path))
    yield frontdoor, path
    frontdoor.engine.dispose()


def test_the_network_page_shows_capacity_load_away_and_the_file_check(own_network: tuple[FrontDoor, Path]) -> None:
    frontdoor, path = own_network
    client = TestClient(create_web_app(frontdoor), follow_redirects=False)
    coordinator = sign_in(client, "coordinator")
    frontdoor.cases.create_case(INTAKE)  # to ao-marja
    desk = desk_of(client)
    desk.availability.set_capacity("ao-marja", 3, "ao-marja")
    today = frontdoor.clock().date()
    desk.availability.add_away("ao-pekka", today - timedelta(days=1), today + timedelta(days=2), "ao-pekka")
    desk.availability.add_away("ty-anna", today + timedelta(days=10), today + timedelta(days=12), "ty-anna")
    page = coordinator.client.get("/desk/network")
    assert page.status_code == 200
    assert "Tiedosto on kunnossa: 4 kumppania ja 7 mentoria." in page.text
    marja = re.search(r"Marja Oppila.*?</tr>", page.text, re.S)
    assert marja is not None and re.findall(r'<td class="n">(\d+)</td>', marja.group(0))[:3] == ["20", "3", "3"]
    assert "Poissa nyt, " + (today + timedelta(days=2)).strftime("%d.%m.%Y") + " asti" in page.text
    assert "Tulossa: " + (today + timedelta(days=10)).strftime("%d.%m.%Y") in page.text

    path.write_text(path.read_text(encoding="utf-8").replace("capacity: 15", "capacity: many", 1), encoding="utf-8")
    broken = coordinator.client.get("/desk/network")
    assert broken.status_code == 200 and "Tiedostossa on ongelmia (1)" in broken.text
    assert "mentors[0].capacity: must be a whole number" in broken.text
    assert "Leena Osaaja" in broken.text  # the last working network stays in use
