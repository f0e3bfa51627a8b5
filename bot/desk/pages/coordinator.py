"""The coordinator's desk: all cases, reassigning, the network at a glance, the outbox, the report, personal data."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
