"""A partner's webhook receiver and a mail server, both real servers on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Records every POST; answers ``status`` (a test can make it fail for good)."""

    def __init__(self, status: int = 200, fail_first: int = 0) -> None:
        self.status = status
        # Answer 500 to this many requests first, then ``status``.
        self.fail_first = fail_first
        self.received: list[Delivery] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/frontdoor"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(Delivery({k: v for k, v in self.headers.items()}, body))
                    status = receiver.status
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


@dataclass
class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)
    # The client's (host, port) of each accepted message: one port per connection.
    peers: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.peers.append(tuple(session.peer))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


class MailServer:
    """A real SMTP server (aiosmtpd) on a free loopback port."""

    def __init__(self, *, idle_timeout: float | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.inbox = Inbox()
        # idle_timeout: the server closes a connection idle that long (with a 421), as real ones do.
        # Controller's untyped **kwargs go on to aiosmtpd.smtp.SMTP; mypy would check a dict[str, float] against its `loop` too.
        extra: dict[str, Any] = {"timeout": idle_timeout} if idle_timeout is not None else {}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port, **extra)
        self.url = f"smtp://127.0.0.1:{port}"

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
