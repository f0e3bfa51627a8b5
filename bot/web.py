"""A small static web server for the privacy notice and the demo page."""

from __future__ import annotations

import functools
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

WEB_ROOT = PROJECT_ROOT / "web"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging requests (addresses are personal data)."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def start_web_server(settings: Settings, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``web/`` on the web port in a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(WEB_ROOT))
    server = ThreadingHTTPServer((host, settings.web_port), handler)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
