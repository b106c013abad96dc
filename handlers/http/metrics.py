"""`GET /metrics`: this process's live counters and the store's figures, in Prometheus text."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot.domain.clock import Clock
from bot.metrics.live import LiveMetrics
from bot.metrics.store import StoreCollector, read_figures
from bot.store.database import SessionFactory
from handlers.http.alerts import Handler


def metrics_handler(metrics: LiveMetrics, sessions: SessionFactory, clock: Clock) -> Handler:
    async def handle(_request: web.Request) -> web.StreamResponse:
        async with sessions() as session:
            figures = await read_figures(session, clock())
        snapshot = CollectorRegistry(auto_describe=False)
        snapshot.register(StoreCollector(figures))
        body = generate_latest(metrics.registry) + generate_latest(snapshot)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
