"""A local stand-in of the Telegram Bot API on loopback, for the real python-telegram-bot client.

It implements the methods the front door uses (getMe, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, getUpdates with
long polling, sendChatAction, setWebhook, deleteWebhook) for any number of bot tokens, records what each bot sent, lets
a test play a user (a message, a command, a button press) and injects faults:
HTTP errors and 429 with ``retry_after`` for a number of calls, and a call held
until the test releases it (to kill the bot's process while it waits).
"""

from __future__ import annotations

import builtins
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Fault:
    """Answer the next ``times`` calls of ``method`` with an error."""

    method: str
    times: int
    status: int = 500
    retry_after: int | None = None


@dataclass
class Hold:
    """Keeps the bot's next ``method`` call for ``chat`` waiting until released; that call then fails
    (as if the Bot API went away) and nothing is recorded as sent."""

    token: str
    method: str
    chat: int
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class BotState:
    token: str
    username: str
    bot_id: int
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    next_update: int = 1
    next_message: int = 1


def _value(raw: Any) -> Any:
    """Form fields arrive as strings; nested objects (reply_markup) as JSON text."""
    if isinstance(raw, str) and raw[:1] in "{[":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


class TelegramApi:
    """The stand-in server; use as a context manager."""

    def __init__(self) -> None:
        self.bots: dict[str, BotState] = {}
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.lock = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TelegramApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- set-up by tests -------------------------------------------------------
    def add_bot(self, token: str, username: str) -> BotState:
        with self.lock:
            state = self.bots[token] = BotState(token, username, 7000 + len(self.bots))
            return state

    def hold(self, token: str, method: str, chat: int) -> Hold:
        """Keep the next ``method`` call of bot ``token`` for ``chat`` waiting (see :class:`Hold`)."""
        hold = Hold(token, method, chat)
        with self.lock:
            self.holds.append(hold)
        return hold

    def _held(self, token: str, method: str, params: dict[str, Any]) -> bool:
        """Whether this call was held (and has now been released)."""
        with self.lock:
            hold = next(
                (h for h in self.holds if (h.token, h.method, str(h.chat)) == (token, method, str(params.get("chat_id")))),
                None,
            )
            if hold is None:
                return False
            self.holds.remove(hold)
        hold.arrived.set()
        hold.released.wait(timeout=600)
        return True

    def fail(self, method: str, times: int, status: int = 500, retry_after: int | None = None) -> None:
        with self.lock:
            self.faults.append(Fault(method, times, status, retry_after))

    # -- a user's side ---------------------------------------------------------
    def _push(self, token: str, update: dict[str, Any]) -> None:
        with self.lock:
            state = self.bots[token]
            update["update_id"] = state.next_update
            state.next_update += 1
            state.updates.append(update)
            self.lock.notify_all()

    @staticmethod
    def user(user_id: int, first_name: str = "Test", language: str = "fi") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language}

    def type(self, token: str, user_id: int, text: str, language: str = "fi", group: int | None = None) -> None:
        """The user writes ``text`` in their private chat with the bot, or in the ``group`` chat with this id
        (commands get their entity)."""
        chat = (
            {"id": user_id, "type": "private", "first_name": "Test"}
            if group is None
            else {"id": group, "type": "group", "title": "Tiimi"}
        )
        message: dict[str, Any] = {
            "message_id": 100000 + self.bots[token].next_update,
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language=language),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]
        self._push(token, {"message": message})

    def press(self, token: str, user_id: int, message: dict[str, Any], data: str, language: str = "fi") -> None:
        """The user presses the inline button with ``data`` under ``message`` (one the bot sent)."""
        state = self.bots[token]
        query = {
            "id": f"cq-{state.next_update}",
            "from": self.user(user_id, language=language),
            "chat_instance": f"ci-{message['chat']['id']}",
            "message": message,
            "data": data,
        }
        self._push(token, {"callback_query": query})

    # -- what the bots did -------------------------------------------------------
    def wait_for(self, check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                result = check()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.lock.wait(min(remaining, 0.2))

    def sent_to(self, token: str, chat_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.bots[token].sent if str(m["chat"]["id"]) == str(chat_id)]

    # -- the HTTP side -----------------------------------------------------------
    def _fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _message(self, state: BotState, params: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": state.next_message,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": state.bot_id, "is_bot": True, "first_name": state.username, "username": state.username},
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        state.next_message += 1
        return message

    def call(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One Bot API call: (HTTP status, JSON body)."""
        if self._held(token, method, params):
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway: stand-in held this call"}
        with self.lock:
            state = self.bots.get(token)
            if state is None:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            state.calls.append(method)
            fault = self._fault(method)
            if fault is not None:
                body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": "stand-in fault"}
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                    body["description"] = f"Too Many Requests: retry after {fault.retry_after}"
                return fault.status, body
            if method == "getMe":
                user = {"id": state.bot_id, "is_bot": True, "first_name": state.username, "username": state.username}
                return 200, {
                    "ok": True,
                    "result": {
                        **user,
                        "can_join_groups": False,
                        "can_read_all_group_messages": False,
                        "supports_inline_queries": False,
                    },
                }
            if method == "setWebhook":
                state.webhook = params
                return 200, {"ok": True, "result": True}
            if method in ("deleteWebhook", "setMyCommands", "close", "logOut", "sendChatAction"):
                return 200, {"ok": True, "result": True}
            if method == "sendMessage":
                message = self._message(state, params)
                state.sent.append(message)
                self.lock.notify_all()
                return 200, {"ok": True, "result": message}
            if method in ("editMessageText", "editMessageReplyMarkup"):
                state.edits.append(params)
                self.lock.notify_all()
                message = self._message(state, params)
                message["message_id"] = int(params.get("message_id", 0))
                return 200, {"ok": True, "result": message}
            if method == "answerCallbackQuery":
                state.answers.append(params)
                self.lock.notify_all()
                return 200, {"ok": True, "result": True}
            if method != "getUpdates":
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: stand-in has no {method}"}
        return 200, {"ok": True, "result": self._updates(state, params)}

    def _updates(self, state: BotState, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self.lock:
            state.updates = [u for u in state.updates if u["update_id"] >= offset]
            while not state.updates and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            return list(state.updates)

    def _handler(self) -> builtins.type[BaseHTTPRequestHandler]:  # plain `type` here is this class's type() method
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _params(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type", "")
                params: dict[str, Any] = dict(parse_qsl(urlsplit(self.path).query))
                if raw and "json" in kind:
                    params.update(json.loads(raw))
                elif raw:
                    params.update(parse_qsl(raw.decode()))
                return {k: _value(v) for k, v in params.items()}

            def _serve(self) -> None:
                parts = urlsplit(self.path).path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    self.send_error(404)
                    return
                status, body = api.call(parts[0][3:], parts[1], self._params())
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a long poll cut short at shutdown)

            do_GET = _serve
            do_POST = _serve

        return Handler
