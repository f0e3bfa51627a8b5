"""Starts rasa-sdk's action server with the front door's services built up front.

Building the services before the server listens means a broken network file or
an unreachable database stops the start with a clear message, instead of
failing the first customer's conversation.
"""

from __future__ import annotations

import hmac
import logging
import os

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from actions import runtime
from bot.rasa.heap import freeze_loaded
from bot.rasa.numerics import one_blas_thread
from bot.settings import ACTION_TOKEN_HEADER, Settings

logger = logging.getLogger(__name__)


def require_token(app: Sanic, token: str) -> None:
    """Refuse every call but the health check that does not carry the token: only Rasa may run actions."""

    @app.on_request
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        given = request.headers.get(ACTION_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return json({"error": f"missing or wrong {ACTION_TOKEN_HEADER} header: only the front door's Rasa may call"}, 401)
        return None


def serve(settings: Settings, port: int, host: str = "127.0.0.1") -> int:
    """Run the action server until it is stopped."""
    services = runtime.build_services(settings)
    runtime.use(services)
    freeze_loaded("action server")  # the language models and the catalogue's index, loaded just now
    one_blas_thread("action server")
    app = create_app("actions", cors_origins=None)
    if settings.action_token:
        require_token(app, settings.action_token)
    else:
        logger.warning("FRONTDOOR_ACTION_TOKEN is not set: anyone who reaches port %d can run actions", port)
    logger.info("action server listening on http://%s:%d/webhook", host, port)
    app.run(host=os.environ.get("SANIC_HOST", host), port=port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0
