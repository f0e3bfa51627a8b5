"""The web part's HTTP server: the desk and the widget's site on uvicorn, in a thread of ``frontdoor web``.

Client addresses and the scheme come from ``X-Forwarded-For`` / ``-Proto`` only
when the request comes from one of ``FRONTDOOR_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import threading

import uvicorn

from bot.app import FrontDoor
from bot.delivery.notifiers.email import EmailNotifier, SmtpServer
from bot.desk import create_web_app
from bot.desk.rendering import Mailer


def desk_mailer(frontdoor: FrontDoor) -> Mailer | None:
    """The email notifier the desk sends sign-in links with; ``None`` when email is off."""
    settings = frontdoor.settings
    if not settings.smtp_url:
        return None
    sender = settings.smtp_from or frontdoor.network.contact_email
    return EmailNotifier(SmtpServer.from_url(settings.smtp_url).connect, sender)


class WebServer:
    """uvicorn serving the web part's application until :meth:`stop`."""

    def __init__(self, frontdoor: FrontDoor, host: str, port: int):
        settings = frontdoor.settings
        trusted = ",".join(settings.trusted_proxies)
        config = uvicorn.Config(
            create_web_app(frontdoor, desk_mailer(frontdoor)),
            host=host,
            port=port,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or "",
            access_log=False,  # client addresses are personal data
            log_config=None,
            lifespan="off",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
