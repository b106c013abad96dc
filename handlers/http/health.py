"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.ports.chat import ChatError

Check = Callable[[], Awaitable[None]]
Fact = Callable[[], Awaitable[object]]


async def healthz(_request: web.Request) -> web.Response:
    """The process is up and serving."""
    return web.json_response({"status": "ok"})


class Readiness:
    """Runs named checks; caches a passing result briefly so probes stay cheap."""

    def __init__(self, checks: dict[str, Check], cache_seconds: float = 10.0) -> None:
        self._checks = checks
        self._cache_seconds = cache_seconds
        self._passed_at: dict[str, float] = {}
        self.notes: dict[str, object] = {}
        # Read on every probe and shown, never failing readiness (e.g. the outbox backlog).
        self.facts: dict[str, Fact] = {}

    async def _run(self, name: str, check: Check) -> str:
        now = time.monotonic()
        if now - self._passed_at.get(name, -1e9) < self._cache_seconds:
            return "ok"
        try:
            await asyncio.wait_for(check(), timeout=5)
        except ChatError as exc:
            self._passed_at.pop(name, None)
            return f"failing: {exc.code}"
        except Exception as exc:
            # Driver messages can carry connection details; the type is enough here.
            self._passed_at.pop(name, None)
            return f"failing: {type(exc).__name__}"
        self._passed_at[name] = now
        return "ok"

    async def handle(self, _request: web.Request) -> web.Response:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(n, self._checks[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        ready = all(result == "ok" for result in results)
        body = {"status": "ready" if ready else "not ready", "checks": checks, **self.notes}
        for name, fact in self.facts.items():
            try:
                body[name] = await asyncio.wait_for(fact(), timeout=5)
            except Exception as exc:
                body[name] = f"unavailable: {type(exc).__name__}"
        return web.json_response(body, status=200 if ready else 503)
