"""The desk's guards: response headers, the session cookie, sessions that end, a customer's words as text,
and the scheme and client address taken from a proxy only when it is trusted (uvicorn itself)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
import yaml
from httpx2 import Response
from starlette.testclient import TestClient

from bot.app import FrontDoor, create_frontdoor
from bot.desk.access import DeskAccess
from bot.desk.security import FORM_COOKIE, SESSION_COOKIE
from bot.ops.localservices import free_port
from bot.ops.webserver import WebServer
from bot.settings import DEFAULT_NETWORK, PROJECT_ROOT, Settings
from tests.bot.desk.test_access import Clock
from tests.bot.desk.test_signin import (
    CSRF,
    MARJA,
    access_of,
    ask_for_link,
    desk_client,
    press_sign_in,
    sign_in,
    signed_in_token,
)
from tests.bot.register.test_cases import INTAKE
from tests.waiting import wait

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


@pytest.fixture
def client(timed: FrontDoor) -> Iterator[TestClient]:
    with desk_client(timed) as client:
        yield client


def cookie_line(response: Response, name: str) -> str:
    """The ``Set-Cookie`` header that sets ``name``."""
    lines = [line for line in response.headers.get_list("set-cookie") if line.startswith(f"{name}=")]
    assert len(lines) == 1, response.headers.get_list("set-cookie")
    return lines[0]


def flags(line: str) -> set[str]:
    return {part.strip().lower() for part in line.split(";")[1:]}


# -- headers ---------------------------------------------------------------
def _desk_answers(client: TestClient) -> dict[str, Response]:
    """One answer of each kind the desk gives: pages, refusals, redirects, errors."""
    answers = {"sign-in form": client.get("/desk/"), "bad address": ask_for_link(client, "no")}
    answers["csrf refused"] = client.post("/desk/sign-in", data={"email": MARJA})
    answers["link refused"] = client.get("/desk/link/nothing-here")
    answers["unknown page"] = client.get("/desk/no-such-page")
    token = access_of(client).issue_link("ao-marja")
    answers["link page"] = client.get(f"/desk/link/{token}")
    answers["signed in"] = press_sign_in(client, f"/desk/link/{token}")
    answers["inbox"] = client.get("/desk/")
    return answers


def test_every_desk_answer_forbids_framing_inline_scripts_sniffing_and_caching(client: TestClient) -> None:
    for what, answer in _desk_answers(client).items():
        csp = answer.headers["content-security-policy"]
        directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
        assert directives["script-src"] == ["'self'"], what
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, what
        assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"], what
        assert directives["form-action"] == ["'self'"] and directives["base-uri"] == ["'none'"], what
        assert answer.headers["x-frame-options"] == "DENY", what
        assert answer.headers["x-content-type-options"] == "nosniff", what
        assert answer.headers["cache-control"] == "no-store", what
        assert answer.headers["referrer-policy"] == "no-referrer", what
        if answer.headers.get("content-type", "").startswith("text/html"):
            # Nothing the CSP would block (and nothing that runs on its own): no inline scripts, styles or handlers.
            assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), what
            assert not re.search(r"\sstyle=|\son[a-z]+=", answer.text), what


# -- the session cookie ----------------------------------------------------
def test_the_session_cookie_is_http_only_same_site_and_for_the_desk_only(client: TestClient) -> None:
    token = access_of(client).issue_link("ao-marja")
    line = cookie_line(press_sign_in(client, f"/desk/link/{token}"), SESSION_COOKIE)
    assert {"httponly", "samesite=lax", "path=/desk"} <= flags(line)
    assert "secure" not in flags(line)  # plain http (a developer's machine): a Secure cookie would never come back
    assert not any(flag.startswith(("expires", "max-age", "domain")) for flag in flags(line))  # gone with the browser


def test_over_https_both_cookies_are_secure(timed: FrontDoor) -> None:
    with desk_client(timed, base_url="https://testserver") as client:
        page = client.get("/desk/")
        assert {"httponly", "secure", "samesite=strict", "path=/desk"} <= flags(cookie_line(page, FORM_COOKIE))
        token = access_of(client).issue_link("ao-marja")
        line = cookie_line(press_sign_in(client, f"/desk/link/{token}"), SESSION_COOKIE)
        assert {"httponly", "secure", "samesite=lax", "path=/desk"} <= flags(line)
        assert "Kirjautuneena: Marja Oppila" in client.get("/desk/").text
        out = client.post("/desk/sign-out", data={"csrf": signed_in_token(client)})
        gone = cookie_line(out, SESSION_COOKIE)
        assert {"secure", "httponly", "path=/desk"} <= flags(gone) and ("max-age=0" in flags(gone) or "expires" in gone.lower())


def test_sign_in_gives_a_new_session_id_never_one_the_browser_brought(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker", domain="testserver.local", path="/desk")
    assert 'type="email"' in client.get("/desk/").text  # an unknown id is nobody
    first = sign_in(client, "ao-marja")
    assert first != "chosen-by-an-attacker" and access_of(client).session("chosen-by-an-attacker") is None
    second = sign_in(client, "ao-marja")  # signing in again on the same browser
    assert second != first


# -- sessions end on the server --------------------------------------------
def test_an_idle_session_ends_and_its_cookie_opens_nothing(client: TestClient, clock: Clock) -> None:
    session_id = sign_in(client, "ao-marja")
    token = signed_in_token(client)
    clock.advance(minutes=119)
    assert "Kirjautuneena: Marja Oppila" in client.get("/desk/").text  # used: the idle time starts again
    clock.advance(minutes=120)
    assert client.cookies.get(SESSION_COOKIE) == session_id
    page = client.get("/desk/")
    assert 'type="email"' in page.text and "Marja" not in page.text
    assert client.post("/desk/language", data={"csrf": token, "language": "en"}).status_code == 403


def _network_copy(folder: Path) -> Path:
    path = folder / "network.yml"
    path.write_text(DEFAULT_NETWORK.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_session_ends_when_its_person_leaves_the_network_file(settings: Settings, tmp_path: Path) -> None:
    network = _network_copy(tmp_path)
    frontdoor = create_frontdoor(replace(settings, network_path=network))
    try:
        with desk_client(frontdoor) as pekka, desk_client(frontdoor) as marja:
            sign_in(pekka, "ao-pekka")
            sign_in(marja, "ao-marja")
            token = signed_in_token(pekka)
            link = access_of(pekka).issue_link("ao-pekka")  # one he has not used yet
            raw = yaml.safe_load(network.read_text(encoding="utf-8"))
            raw["mentors"] = [m for m in raw["mentors"] if m["id"] != "ao-pekka"]
            network.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
            wait(lambda: frontdoor.network.mentor("ao-pekka") is None, "the network file to be reloaded")
            page = pekka.get("/desk/")
            assert 'type="email"' in page.text and "Pekka" not in page.text
            assert pekka.post("/desk/language", data={"csrf": token, "language": "sv"}).status_code == 403
            assert pekka.get(f"/desk/link/{link}").status_code == 410
            assert "Kirjautuneena: Marja Oppila" in marja.get("/desk/").text  # the others work on
    finally:
        frontdoor.engine.dispose()


# -- what people wrote is shown as text --------------------------------------
def test_a_customers_html_is_shown_as_text(client: TestClient, timed: FrontDoor) -> None:
    reference = timed.cases.create_case(replace(INTAKE, need_text=HOSTILE, contact_name='Maija "<b>" Meikäläinen')).reference
    sign_in(client, "ao-marja")
    for path in ("/desk/", f"/desk/cases/{reference}"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>" not in page.text, path
    case_page = client.get(f"/desk/cases/{reference}").text
    assert ESCAPED in case_page and reference in case_page


def test_what_a_visitor_puts_in_the_address_is_shown_as_text(client: TestClient) -> None:
    page = client.get("/desk/", params={"next": '/desk/"><script>alert(1)</script>', "lang": "<b>", "said": "<i>x</i>"})
    assert page.status_code == 200 and "<script>alert" not in page.text and "<i>x</i>" not in page.text
    assert 'value="/desk/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    assert '<html lang="fi">' in page.text


# -- behind a proxy: uvicorn itself -----------------------------------------
class Served:
    """``frontdoor web``'s server on a free port, for requests from this process (127.0.0.1)."""

    def __init__(self, frontdoor: FrontDoor):
        self.frontdoor = frontdoor
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = WebServer(frontdoor, "127.0.0.1", self.port)

    def __enter__(self) -> Served:
        self.server.start()
        wait(self._answers, "the web server to answer")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/desk/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def form(self, path: str, data: dict[str, str], headers: dict[str, str]) -> requests.Response:
        """Fetch a page for its form token, and post ``data`` with it (the cookie sent by hand: it may be Secure)."""
        page = requests.get(f"{self.url}{path}", headers=headers, timeout=10)
        token = CSRF.search(page.text)
        assert token, page.text[:300]
        cookie = f"{FORM_COOKIE}={token.group(1)}"
        return requests.post(
            f"{self.url}{path}",
            data={**data, "csrf": token.group(1)},
            headers={**headers, "Cookie": cookie},
            allow_redirects=False,
            timeout=10,
        )

    def signed_cookie(self, headers: dict[str, str]) -> str:
        """Sign ao-marja in through a fresh link; the ``Set-Cookie`` line of the session cookie."""
        access = DeskAccess(self.frontdoor.sessions, self.frontdoor.networks.current, self.frontdoor.clock)
        answer = self.form(f"/desk/link/{access.issue_link('ao-marja')}", {}, headers)
        assert answer.status_code == 303, answer.text
        line = next((v for k, v in answer.raw.headers.items() if k.lower() == "set-cookie" and v.startswith(SESSION_COOKIE)), "")
        assert line, answer.headers
        return str(line)

    def ask(self, address: str, headers: dict[str, str]) -> int:
        """Ask for a sign-in link from the form on ``/desk/``; the answer's status."""
        page = requests.get(f"{self.url}/desk/", headers=headers, timeout=10)
        token = CSRF.search(page.text)
        assert token, page.text[:300]
        answer = requests.post(
            f"{self.url}/desk/sign-in",
            data={"email": address, "csrf": token.group(1)},
            headers={**headers, "Cookie": f"{FORM_COOKIE}={token.group(1)}"},
            allow_redirects=False,
            timeout=10,
        )
        return answer.status_code


FORWARDED = {"X-Forwarded-Proto": "https"}


def test_an_untrusted_client_cannot_claim_https_or_another_address(settings: Settings) -> None:
    frontdoor = create_frontdoor(replace(settings, trusted_proxies=()))
    try:
        with Served(frontdoor) as web:
            assert "secure" not in flags(web.signed_cookie(FORWARDED))
            # A new X-Forwarded-For with each request does not make a flood look like many clients.
            codes = [web.ask(f"p{i}@example.org", {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(11)]
            assert codes == [200] * 10 + [429]
    finally:
        frontdoor.engine.dispose()


def test_behind_a_trusted_proxy_the_browsers_https_and_address_count(settings: Settings) -> None:
    frontdoor = create_frontdoor(replace(settings, trusted_proxies=("127.0.0.1",)))
    try:
        with Served(frontdoor) as web:
            assert {"secure", "httponly", "samesite=lax", "path=/desk"} <= flags(web.signed_cookie(FORWARDED))
            assert "secure" not in flags(web.signed_cookie({}))  # the proxy says plain http: no Secure
            codes = [web.ask(f"q{i}@example.org", {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(11)]
            assert codes == [200] * 11  # eleven browsers behind the proxy, each within its own limit
            same = [web.ask(f"r{i}@example.org", {"X-Forwarded-For": "203.0.113.9"}) for i in range(11)]
            assert same == [200] * 10 + [429]
    finally:
        frontdoor.engine.dispose()


def test_no_template_has_inline_script_or_style_that_the_csp_would_block() -> None:
    """The CSP allows scripts and styles from the desk's own files only: no template may carry them inline."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    templates = sorted((PROJECT_ROOT / "bot" / "desk" / "templates").glob("*.html"))
    assert templates
    assert {
        path.name: inline.findall(path.read_text(encoding="utf-8"))
        for path in templates
        if inline.search(path.read_text(encoding="utf-8"))
    } == {}
