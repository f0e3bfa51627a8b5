"""The web part's HTTP server: the desk and the widget's site on uvicorn, in a thread of ``frontdoor web``.

Client addresses and the scheme come from ``X-Forwarded-For`` / ``-Proto`` only
when the request comes from one of ``FRONTDOOR_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import threading
import time

import uvicorn

from bot.app import FrontDoor
from bot.delivery.notifiers.email import EmailNotifier, SmtpServer
from bot.desk import create_web_app
from bot.desk.rendering import Desk, Mailer


def desk_mailer(frontdoor: FrontDoor) -> Mailer | None:
    """The email notifier the desk sends sign-in links with; ``None`` when email is off."""
    settings = frontdoor.settings
    if not settings.smtp_url:
        return None
    sender = settings.smtp_from or frontdoor.network.contact_email
    return EmailNotifier(SmtpServer.from_url(settings.smtp_url).connect, sender)


class WebServerError(RuntimeError):
    """The web server could not start."""


class WebServer:
    """uvicorn serving the web part's application until :meth:`stop`."""

    def __init__(self, frontdoor: FrontDoor, host: str, port: int):
        settings = frontdoor.settings
        trusted = ",".join(settings.trusted_proxies)
        app = create_web_app(frontdoor, desk_mailer(frontdoor))
        self.desk: Desk = app.state.desk
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or "",
            access_log=False,  # client addresses are personal data
            log_config=None,
            lifespan="off",
            # Rasa 3.6 pins websockets 10, older than uvicorn's websockets protocol needs; the web part has no websockets.
            ws="none",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; raises :class:`WebServerError` when the server did not come up (the reason is logged)."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise WebServerError(f"the web server did not start on port {self.server.config.port}: see the log above")
            time.sleep(0.05)

    @property
    def alive(self) -> bool:
        """Whether the server thread still serves."""
        return self._thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
