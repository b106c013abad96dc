"""HTTP entry points for alert sources: read the body safely, run the intake pipeline."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from bot.domain.clock import Clock
from bot.domain.errors import IntakeError
from bot.intake.context import IntakeContext
from bot.intake.pipeline import Pipeline
from bot.metrics.live import LiveMetrics
from bot.ports.alerts import AlertSource
from handlers.http.bodies import read_limited_body

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def alert_handler(
    source: AlertSource | None,
    *,
    pipeline: Pipeline,
    clock: Clock,
    max_body_bytes: int,
    on_accepted: Callable[[], None],
    not_configured: str = "",
    metrics: LiveMetrics | None = None,
) -> Handler:
    """A POST handler for one alert source; 202 only after the signals are committed."""

    async def handle(request: web.Request) -> web.StreamResponse:
        # Measured, not waited on: the real elapsed time of this request.
        started = time.perf_counter()
        try:
            response, outcomes = await accept(request)
        except IntakeError as exc:
            if metrics is not None and source is not None:
                metrics.webhook_answered(
                    source.name, exc.status, time.perf_counter() - started, {"refused": 1}
                )
            raise
        if metrics is not None and source is not None:
            metrics.webhook_answered(
                source.name, response.status, time.perf_counter() - started, outcomes
            )
        return response

    async def accept(request: web.Request) -> tuple[web.StreamResponse, dict[str, int]]:
        if source is None:
            raise IntakeError(503, "not_configured", not_configured)
        body = await read_limited_body(request, max_body_bytes)
        ctx = IntakeContext(
            source=source,
            headers=request.headers,
            content_type=request.headers.get("Content-Type", ""),
            body=body,
            received_at=clock(),
            correlation_id=uuid.uuid4().hex,
        )
        try:
            await pipeline.run(ctx)
        except IntakeError as exc:
            log.info("refused %s alert: %s (%s)", source.name, exc.code, exc.message)
            raise
        on_accepted()
        summary = ctx.summary()
        outcomes = summary["outcomes"]
        # Resends of what is stored already are most deliveries and change nothing: one
        # line each would bury the deliveries that did something, and cost a write each.
        level = logging.DEBUG if set(outcomes) == {"duplicate"} else logging.INFO
        log.log(level, "accepted %s alert %s: %s", source.name, ctx.correlation_id, outcomes)
        answer = web.Response(
            body=orjson.dumps(summary), status=202, content_type="application/json"
        )
        return answer, dict(outcomes)

    return handle
