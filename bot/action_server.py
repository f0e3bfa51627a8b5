"""Starts rasa-sdk's action server with the front door's services built up front.

Building the services before the server listens means a broken network file or
an unreachable database stops the start with a clear message, instead of
failing the first customer's conversation.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app

from actions import runtime
from bot.settings import Settings

logger = logging.getLogger(__name__)


def serve(settings: Settings, port: int, host: str = "127.0.0.1") -> int:
    """Run the action server until it is stopped."""
    services = runtime.build_services(settings)
    runtime.use(services)
    app = create_app("actions", cors_origins=None)
    logger.info("action server listening on http://%s:%d/webhook", host, port)
    app.run(host=os.environ.get("SANIC_HOST", host), port=port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0
