"""A small web server: the widget's files, the privacy notice and a demo partner page.

The demo page names the Rasa server the widget talks to: ``FRONTDOOR_RASA_PUBLIC_URL``,
or the host the page was asked from with Rasa's port.
"""

from __future__ import annotations

import functools
import html
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

WEB_ROOT = PROJECT_ROOT / "web"


DEMO_PAGES = ("/", "/index.html")
SERVER_MARK = "__FRONTDOOR_SERVER__"


class _Handler(SimpleHTTPRequestHandler):
    """Serves files without logging requests (addresses are personal data)."""

    settings: Settings

    def log_message(self, format: str, *args: Any) -> None:
        return

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def _rasa_url(self) -> str:
        if self.settings.rasa_public_url:
            return self.settings.rasa_public_url
        host = (self.headers.get("Host") or "localhost").rsplit(":", 1)[0] or "localhost"
        return f"http://{host}:{self.settings.rasa_port}"

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in DEMO_PAGES:
            super().do_GET()
            return
        page = (WEB_ROOT / "index.html").read_text(encoding="utf-8")
        body = page.replace(SERVER_MARK, html.escape(self._rasa_url(), quote=True)).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def start_web_server(settings: Settings, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``web/`` on the web port in a background thread."""
    handler_class = type("Handler", (_Handler,), {"settings": settings})
    handler = functools.partial(handler_class, directory=str(WEB_ROOT))
    server = ThreadingHTTPServer((host, settings.web_port), handler)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
