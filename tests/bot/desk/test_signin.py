"""Signing in to the desk over HTTP: the email form, the emailed link and its button, signing out.

The web part's application runs in Starlette's TestClient; sign-in links go
out through the delivery's real email notifier to a real local SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from httpx2 import Response
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.delivery.notifiers.email import EmailNotifier, SmtpServer
from bot.desk import create_web_app
from bot.desk.access import DeskAccess
from bot.desk.rendering import Desk
from bot.desk.security import FORM_COOKIE, SESSION_COOKIE
from bot.register.models import Case, OutboxMessage
from bot.settings import Settings
from tests.bot.desk.test_access import Clock
from tests.bot.register.test_cases import INTAKE
from tests.standins.receivers import MailServer
from tests.waiting import wait

SENDER = "etuovi@example.org"
MARJA = "marja.oppila@example.org"  # ao-marja's email channel in networks/kymenlaakso.yml
STRANGER = "outsider@example.org"  # nobody of the network file
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
LINK = re.compile(r"(https?://\S+)?(/desk/link/[A-Za-z0-9_-]+)")


# -- helpers the desk's other test modules share -------------------------------
def desk_client(
    frontdoor: FrontDoor,
    mail: MailServer | None = None,
    *,
    base_url: str = "http://testserver",
    cookies: dict[str, str] | None = None,
) -> TestClient:
    """The web part's application over ``frontdoor``; links go by email when ``mail`` is given."""
    mailer = EmailNotifier(SmtpServer.from_url(mail.url).connect, SENDER) if mail else None
    return TestClient(create_web_app(frontdoor, mailer), base_url=base_url, cookies=cookies, follow_redirects=False)


def desk_of(client: TestClient) -> Desk:
    desk: Desk = client.app.state.desk  # type: ignore[attr-defined]
    return desk


def access_of(client: TestClient) -> DeskAccess:
    return desk_of(client).access


def csrf_in(page: Response) -> str:
    """The CSRF token the page's forms carry."""
    found = CSRF.search(page.text)
    assert found, f"no form token on the page: {page.text[:300]}"
    return found.group(1)


def press_sign_in(client: TestClient, link_path: str) -> Response:
    """Open the link's page and press its button, as a browser would; the answer to the button."""
    shown = client.get(link_path)
    assert shown.status_code == 200, shown.text
    return client.post(link_path, data={"csrf": csrf_in(shown)})


def sign_in(client: TestClient, person_id: str, next_path: str | None = None) -> str:
    """Sign ``person_id`` in on this client with a fresh link; the session id its cookie holds."""
    token = access_of(client).issue_link(person_id, next_path)
    answer = press_sign_in(client, f"/desk/link/{token}")
    assert answer.status_code == 303, answer.text
    session_id = client.cookies.get(SESSION_COOKIE)
    assert session_id
    return str(session_id)


def signed_in_token(client: TestClient) -> str:
    """The signed-in session's CSRF token, from its desk page."""
    return csrf_in(client.get("/desk/"))


def ask_for_link(client: TestClient, address: str, next_path: str = "") -> Response:
    """Type an address into the sign-in form and send it."""
    token = csrf_in(client.get("/desk/"))
    return client.post("/desk/sign-in", data={"csrf": token, "email": address, "next": next_path})


def emailed_link(mail: MailServer, address: str, count: int = 1) -> str:
    """The path of the ``count``-th sign-in link emailed to ``address`` (waits for it)."""

    def arrived() -> list[EmailMessage]:
        found = mail.inbox.to(address)
        return found if len(found) >= count else []

    messages = wait(arrived, f"email {count} to {address}")
    found = LINK.search(messages[count - 1].get_content())
    assert found, messages[count - 1].get_content()
    return found.group(2)


def without_token(page: Response) -> str:
    return CSRF.sub('name="csrf" value=""', page.text)


# -- fixtures -----------------------------------------------------------------
@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


@pytest.fixture
def client(timed: FrontDoor, mail: MailServer) -> Iterator[TestClient]:
    with desk_client(timed, mail) as client:
        yield client


# -- the sign-in form and the emailed link --------------------------------------
def test_a_visitor_gets_the_sign_in_form_with_its_form_token_in_a_cookie(client: TestClient) -> None:
    page = client.get("/desk/")
    assert page.status_code == 200
    assert 'type="email"' in page.text and 'action="/desk/sign-in?lang=fi"' in page.text
    assert csrf_in(page) == client.cookies.get(FORM_COOKIE) and len(csrf_in(page)) >= 24
    english = client.get("/desk/?lang=en")
    assert "Sign in to the desk" in english.text and '<html lang="en">' in english.text
    swedish = client.get("/desk/", headers={"Accept-Language": "sv-FI,sv;q=0.9"})
    assert "Logga in på skrivbordet" in swedish.text


def test_a_mentor_signs_in_with_the_link_emailed_to_them(client: TestClient, mail: MailServer, timed: FrontDoor) -> None:
    reference = timed.cases.create_case(INTAKE).reference  # routed to ao-marja
    answer = ask_for_link(client, "Marja.Oppila@Example.org")
    assert answer.status_code == 200 and "Katso sähköpostisi" in answer.text
    message = wait(lambda: mail.inbox.to(MARJA) or mail.inbox.to("Marja.Oppila@example.org"), "the sign-in email")[0]
    assert message["Subject"] == "Kirjautumislinkki verkoston työpöydälle" and message["From"] == SENDER
    body = message.get_content()
    assert "Hei Marja Oppila" in body and f"{timed.settings.public_url}/desk/link/" in body
    link = LINK.search(body)
    assert link and link.group(1) == timed.settings.public_url
    shown = client.get(link.group(2))
    assert shown.status_code == 200 and "Marja Oppila" in shown.text and ">Kirjaudu</button>" in shown.text
    assert SESSION_COOKIE not in client.cookies
    signed = client.post(link.group(2), data={"csrf": csrf_in(shown)})
    assert signed.status_code == 303 and signed.headers["location"] == "/desk/"
    desk = client.get("/desk/")
    assert "Kirjautuneena: Marja Oppila" in desk.text and reference in desk.text


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(client: TestClient, mail: MailServer) -> None:
    known = ask_for_link(client, MARJA)
    unknown = ask_for_link(client, STRANGER)
    other = desk_client(desk_of(client).frontdoor, None)
    elsewhere = ask_for_link(other, "nobody.at.all@example.com")
    assert known.status_code == unknown.status_code == elsewhere.status_code == 200
    assert known.content == unknown.content  # the same browser: even the form token is the same
    assert without_token(known) == without_token(elsewhere)
    assert {k: v for k, v in known.headers.items() if k != "content-length"} == {
        k: v for k, v in unknown.headers.items() if k != "content-length"
    }
    emailed_link(mail, MARJA)
    assert not mail.inbox.to(STRANGER) and len(mail.inbox.messages) == 1


def test_an_address_that_is_not_an_address_is_asked_again(client: TestClient, mail: MailServer) -> None:
    answer = ask_for_link(client, "not an address")
    assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text and "ei kelpaa" in answer.text
    assert not mail.inbox.messages


def test_a_flood_of_requests_for_one_address_is_slowed_without_telling_whether_it_is_known(
    client: TestClient, mail: MailServer
) -> None:
    for _ in range(3):
        assert ask_for_link(client, MARJA).status_code == 200
        assert ask_for_link(client, STRANGER).status_code == 200
    known, unknown = ask_for_link(client, MARJA), ask_for_link(client, STRANGER)
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content and "Liian monta" in known.text
    emailed_link(mail, MARJA, count=3)
    assert len(mail.inbox.to(MARJA)) == 3 and not mail.inbox.to(STRANGER)
    # The same address written in another letter case is the same address.
    assert ask_for_link(client, MARJA.upper()).status_code == 429


def test_a_flood_from_one_client_is_slowed(client: TestClient, mail: MailServer) -> None:
    for i in range(10):
        assert ask_for_link(client, f"someone{i}@example.org").status_code == 200
    refused = ask_for_link(client, MARJA)
    assert refused.status_code == 429 and "Liian monta" in refused.text
    assert not mail.inbox.to(MARJA)


def test_opening_a_link_signs_nobody_in_and_it_still_works_afterwards(client: TestClient) -> None:
    token = access_of(client).issue_link("ao-marja")
    for _ in range(3):  # a mail scanner, a preview, the person
        opened = client.get(f"/desk/link/{token}")
        assert opened.status_code == 200 and "Marja Oppila" in opened.text
    assert SESSION_COOKIE not in client.cookies
    assert 'type="email"' in client.get("/desk/").text  # still the sign-in form
    assert press_sign_in(client, f"/desk/link/{token}").status_code == 303
    assert "Kirjautuneena: Marja Oppila" in client.get("/desk/").text


def _refused(client: TestClient, path: str) -> None:
    """Both the link's page and its button refuse the link, and nobody is signed in."""
    page = client.get(path)
    assert page.status_code == 410 and "Linkki ei enää kelpaa" in page.text
    token = client.cookies.get(FORM_COOKIE) or csrf_in(client.get("/desk/"))
    pressed = client.post(path, data={"csrf": str(token)})
    assert pressed.status_code == 410 and "set-cookie" not in {k.lower() for k in pressed.headers}
    assert SESSION_COOKIE not in client.cookies
    assert 'type="email"' in client.get("/desk/").text


def test_a_used_link_is_refused(client: TestClient, timed: FrontDoor, mail: MailServer) -> None:
    token = access_of(client).issue_link("ao-marja")
    with desk_client(timed, mail) as first:
        assert press_sign_in(first, f"/desk/link/{token}").status_code == 303
    _refused(client, f"/desk/link/{token}")


def test_an_expired_link_is_refused(client: TestClient, clock: Clock) -> None:
    token = access_of(client).issue_link("ao-marja")
    clock.advance(minutes=15)
    _refused(client, f"/desk/link/{token}")


def test_a_tampered_link_is_refused(client: TestClient) -> None:
    token = access_of(client).issue_link("ao-marja")
    _refused(client, f"/desk/link/{token[:-2]}{'xy' if token[-2:] != 'xy' else 'yz'}")
    _refused(client, f"/desk/link/{token}extra")
    _refused(client, "/desk/link/not-a-token")
    assert press_sign_in(client, f"/desk/link/{token}").status_code == 303  # the real link still works


def test_the_sign_in_forms_refuse_a_post_without_the_form_token(client: TestClient, mail: MailServer) -> None:
    token = csrf_in(client.get("/desk/"))
    assert client.post("/desk/sign-in", data={"email": MARJA}).status_code == 403
    assert client.post("/desk/sign-in", data={"email": MARJA, "csrf": "wrong"}).status_code == 403
    # The token from another browser's page, without that browser's cookie (another site's form).
    with desk_client(desk_of(client).frontdoor, None) as other:
        assert other.post("/desk/sign-in", data={"email": MARJA, "csrf": token}).status_code == 403
    link = f"/desk/link/{access_of(client).issue_link('ao-marja')}"
    client.get(link)
    refused = client.post(link, data={})
    assert refused.status_code == 403 and "Lomake vanheni" in refused.text
    assert client.post(link, data={"csrf": "wrong"}).status_code == 403
    assert SESSION_COOKIE not in client.cookies and not mail.inbox.messages
    assert press_sign_in(client, link).status_code == 303  # the refused posts used nothing up


def test_a_signed_in_form_refuses_a_post_without_the_sessions_token(client: TestClient) -> None:
    session_id = sign_in(client, "ao-marja")
    form_token = str(client.cookies.get(FORM_COOKIE))
    for path, data in (("/desk/sign-out", {}), ("/desk/language", {"language": "en"})):
        for sent in ({}, {"csrf": "wrong"}, {"csrf": form_token}):
            refused = client.post(path, data={**data, **sent})
            assert refused.status_code == 403, (path, sent)
    signed = access_of(client).session(session_id)
    assert signed is not None and signed.language == "fi"  # still signed in, still in Finnish
    assert "Kirjautuneena: Marja Oppila" in client.get("/desk/").text


def test_a_signed_in_form_posted_without_a_session_is_refused_not_redirected(client: TestClient) -> None:
    refused = client.post("/desk/sign-out", data={"csrf": "anything"})
    assert refused.status_code == 403 and "location" not in refused.headers


def test_signing_out_ends_the_session_on_the_server(client: TestClient, timed: FrontDoor, mail: MailServer) -> None:
    session_id = sign_in(client, "ao-marja")
    token = signed_in_token(client)
    out = client.post("/desk/sign-out", data={"csrf": token})
    assert out.status_code == 303 and out.headers["location"].startswith("/desk/?said=said_signed_out")
    assert SESSION_COOKIE not in client.cookies
    assert "Olet kirjautunut ulos" in client.get(out.headers["location"]).text
    # The old cookie, kept by someone: it opens nothing any more.
    with desk_client(timed, mail, cookies={SESSION_COOKIE: session_id}) as kept:
        page = kept.get("/desk/")
        assert 'type="email"' in page.text and "Marja" not in page.text
        assert kept.post("/desk/language", data={"csrf": token, "language": "en"}).status_code == 403
    assert access_of(client).session(session_id) is None


def test_the_language_switch_changes_the_desk_for_the_session(client: TestClient) -> None:
    sign_in(client, "ao-marja")
    changed = client.post("/desk/language", data={"csrf": signed_in_token(client), "language": "sv", "next": "/desk/"})
    assert changed.status_code == 303 and changed.headers["location"] == "/desk/"
    assert "Inloggad som Marja Oppila" in client.get("/desk/").text
    away = client.post(
        "/desk/language", data={"csrf": signed_in_token(client), "language": "en", "next": "https://evil.example/"}
    )
    assert away.headers["location"] == "/desk/"


# -- a case link from a notification ---------------------------------------------
def _emailed_case_link(frontdoor: FrontDoor, reference: str) -> str:
    """The case link in the email notification of the case's assignment, as the worker would render it."""
    with frontdoor.sessions() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        row = session.execute(
            select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.channel == "email")
        ).scalar_one()
        notice = frontdoor.notices.render(row, case, frontdoor.network, frontdoor.clock())
    found = re.search(r"https?://\S+/desk/cases/\S+", notice.text)
    assert found, notice.text
    assert found.group(0) == f"{frontdoor.settings.public_url}/desk/cases/{reference}"
    return found.group(0).removeprefix(frontdoor.settings.public_url)


def test_a_case_link_in_an_email_leads_through_sign_in_back_to_the_case(
    client: TestClient, timed: FrontDoor, mail: MailServer
) -> None:
    reference = timed.cases.create_case(INTAKE).reference
    case_path = _emailed_case_link(timed, reference)
    assert case_path == f"/desk/cases/{reference}"
    away = client.get(case_path)
    assert away.status_code == 303 and away.headers["location"] == f"/desk/?next=%2Fdesk%2Fcases%2F{reference}"
    form = client.get(away.headers["location"])
    assert f'name="next" value="/desk/cases/{reference}"' in form.text and "suoraan tapaukseen" in form.text
    asked = client.post("/desk/sign-in", data={"csrf": csrf_in(form), "email": MARJA, "next": case_path})
    assert asked.status_code == 200
    signed = press_sign_in(client, emailed_link(mail, MARJA))
    assert signed.status_code == 303 and signed.headers["location"] == case_path
    case_page = client.get(case_path)
    assert case_page.status_code == 200 and reference in case_page.text
