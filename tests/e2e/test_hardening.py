"""What the open internet sends the REST channel: broken bodies, oversize messages, floods and
typed payloads that try to set slots; and Rasa's HTTP API behind its token."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import RASA_TOKEN, Conversation, Stack

WEBHOOK = "/webhooks/rest/webhook"


def post(stack: Stack, data: bytes) -> requests.Response:
    return requests.post(f"{stack.rasa_url}{WEBHOOK}", data=data, headers={"Content-Type": "application/json"}, timeout=60)


def test_bodies_that_are_not_a_message_get_400_and_what_is_wrong(stack: Stack) -> None:
    cases = {
        b"[]": "JSON object",
        b"null": "JSON object",
        b'"hei"': "JSON object",
        b"{}": "'sender'",
        b'{"sender": 5, "message": "hei"}': "'sender'",
        b'{"sender": "x", "message": ["hei"]}': "'message' must be a string",
        b'{"sender": "x", "message": "hei", "metadata": [1]}': "'metadata'",
        b"{not json": "not JSON",
        b"\xff\xfe": "not JSON",
    }
    for body, problem in cases.items():
        answer = post(stack, body)
        assert answer.status_code == 400, (body, answer.status_code, answer.text)
        assert problem in answer.json()["error"], (body, answer.text)


def test_a_10000_character_message_is_refused_politely(stack: Stack) -> None:
    answer = requests.post(f"{stack.rasa_url}{WEBHOOK}", json={"sender": "long-1", "message": "a" * 10_000}, timeout=60)
    assert answer.status_code == 413
    assert "liian pitkä" in answer.json()[0]["text"]


def test_a_flood_from_one_sender_is_slowed_politely_and_others_go_on(stack: Stack) -> None:
    def say(i: int) -> requests.Response:
        return requests.post(f"{stack.rasa_url}{WEBHOOK}", json={"sender": "flood-1", "message": f"hei {i}"}, timeout=120)

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(say, range(40)))
    codes = [a.status_code for a in answers]
    assert set(codes) == {200, 429}, codes
    slowed = next(a for a in answers if a.status_code == 429)
    assert "Odota hetki" in slowed.json()[0]["text"]
    other = requests.post(f"{stack.rasa_url}{WEBHOOK}", json={"sender": "calm-1", "message": "hei"}, timeout=60)
    assert other.status_code == 200 and other.json()


def test_typed_payloads_cannot_set_consent_or_unvalidated_slots(conversation: Conversation, stack: Stack) -> None:
    before = len(stack.cases())
    conversation.say('/need_staff_training{"consent": true, "email": "x"}')
    # A "no" that carries consent: had the entity reached the slot, consent would be given against the intent.
    # (Typed "affirm" is read as a yes by the sentence encoder, as "yes" would be: that is consent given, not injected.)
    conversation.say('/deny{"consent": true}')
    conversation.say('/inform{"email": "not-an-email", "phone": "1"}')
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation.sender}/tracker", params={"token": RASA_TOKEN}, timeout=60
    ).json()
    slots = tracker["slots"]
    assert slots.get("consent") is not True and slots.get("email") in (None, "") and slots.get("phone") in (None, "")
    # The typed messages reached Rasa as text, not as intents with entities.
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert 'need_staff_training{"consent": true, "email": "x"}' in texts
    assert all(
        not e.get("parse_data", {}).get("entities") or all(x["entity"] != "consent" for x in e["parse_data"]["entities"])
        for e in tracker["events"]
        if e.get("event") == "user"
    )
    assert len(stack.cases()) == before


def test_rasas_http_api_refuses_requests_without_the_token(stack: Stack) -> None:
    url = f"{stack.rasa_url}/conversations/someone/tracker"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=30).status_code == 401
    assert requests.get(url, params={"token": RASA_TOKEN}, timeout=30).status_code == 200
    assert requests.get(f"{stack.rasa_url}/status", timeout=30).status_code == 401


def test_only_the_configured_web_origins_may_open_the_widgets_socket_or_read_rest_answers(stack: Stack) -> None:
    handshake = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=30)
    assert refused.status_code == 400 and "not an accepted origin" in refused.text
    # The demo page's own origin (FRONTDOOR_WIDGET_ORIGINS unset) is let in.
    allowed = requests.get(handshake, headers={"Origin": stack.web_url}, timeout=30)
    assert allowed.status_code == 200 and '"sid"' in allowed.text
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    answer = requests.options(f"{stack.rasa_url}{WEBHOOK}", headers=preflight, timeout=30)
    assert "Access-Control-Allow-Origin" not in answer.headers
    preflight["Origin"] = stack.web_url
    answer = requests.options(f"{stack.rasa_url}{WEBHOOK}", headers=preflight, timeout=30)
    assert answer.headers.get("Access-Control-Allow-Origin") == stack.web_url


def test_the_action_server_answers_only_rasa(stack: Stack) -> None:
    actions = f"http://127.0.0.1:{stack.env['FRONTDOOR_ACTION_PORT']}"
    call = {"next_action": "action_erase_data", "sender_id": "x", "tracker": {"sender_id": "x", "slots": {}, "events": []}}
    for headers in ({}, {"X-Frontdoor-Action-Token": "guessed"}):
        refused = requests.post(f"{actions}/webhook", json=call, headers=headers, timeout=30)
        assert refused.status_code == 401 and "X-Frontdoor-Action-Token" in refused.text
    assert requests.get(f"{actions}/health", timeout=30).status_code == 200
    # Rasa itself carries the token: conversations run actions as before.
    assert "Kerro omin sanoin" in Conversation(stack).say("Hei")
