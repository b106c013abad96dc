"""A running smokejumper wired to the Slack emulator, driven over real HTTP."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import func
from sqlmodel import select

from bot.app import Smokejumper
from bot.config import load_settings
from bot.domain.clock import TimeSource, VirtualTime
from bot.store.models import EventRow, IncidentRow, OutboxRow, SignalRow
from integrations.slack.emulator import SlackDriver, SlackEmulator
from policies.runbooks import Runbook, load_runbooks
from tests.support.database import DatabaseTarget

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
GENERIC_SECRET = "generic-shared-secret"
PAGERDUTY_SECRET = "pagerduty-subscription-secret"
RESPONDERS = ["U0ALICE", "U0BOB"]


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


class Harness:
    def __init__(
        self,
        app: Smokejumper,
        emulator: SlackEmulator,
        driver: SlackDriver,
        http: aiohttp.ClientSession,
        time: TimeSource,
    ) -> None:
        self.app = app
        self.time = time
        self.emulator = emulator
        self.driver = driver
        self.http = http

    @property
    def sessions(self) -> Any:
        return self.app.runtime.sessions

    async def post(
        self,
        path: str,
        body: bytes | dict[str, Any] | list[Any],
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": content_type, **(headers or {})}
        async with self.http.post(self.app.url + path, data=raw, headers=all_headers) as resp:
            text = await resp.text()
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = {"raw": text}
            return Reply(resp.status, parsed)

    async def get(self, path: str) -> Reply:
        async with self.http.get(self.app.url + path) as resp:
            return Reply(resp.status, await resp.json())

    async def settle(self) -> None:
        """Wait for the work Slack requests started after their ack (receipts, listeners)."""
        await self.app.slack_work.idle()

    async def drain(self) -> None:
        """Run every job, moving the app's clock past the ones that wait (backoff, verify)."""
        await self.app.worker.drain(timeout=60)

    async def drain_due(self) -> None:
        """Run every job that is due now; later ones (the next verify look) stay queued."""
        await self.app.worker.drain(timeout=60, due_only=True)

    async def count(self, model: type[Any]) -> int:
        async with self.sessions() as session:
            result = await session.exec(select(func.count()).select_from(model))
            return int(result.one())

    async def counts(self) -> dict[str, int]:
        return {
            "signals": await self.count(SignalRow),
            "incidents": await self.count(IncidentRow),
            "events": await self.count(EventRow),
            "outbox": await self.count(OutboxRow),
        }

    async def incidents(self) -> list[IncidentRow]:
        async with self.sessions() as session:
            return list((await session.exec(select(IncidentRow).order_by(IncidentRow.id))).all())

    async def events(self, incident_id: int | None = None) -> list[EventRow]:
        async with self.sessions() as session:
            query = select(EventRow).order_by(EventRow.id)
            if incident_id is not None:
                query = query.where(EventRow.incident_id == incident_id)
            return list((await session.exec(query)).all())

    def incident_channels(self) -> list[Any]:
        return [c for c in self.emulator.state.channels.values() if c.name.startswith("inc-")]

    def messages_marked(self, channel_id: str, block_prefix: str) -> list[Any]:
        """Messages of a channel whose first block's id starts with `block_prefix`."""
        return [
            m
            for m in self.emulator.state.messages_in(channel_id)
            if m.blocks and str(m.blocks[0].get("block_id", "")).startswith(block_prefix)
        ]

    def incident_cards(self, channel_id: str) -> list[Any]:
        return self.messages_marked(channel_id, "incident-card-")

    def triage_cards(self, channel_id: str) -> list[Any]:
        return self.messages_marked(channel_id, "triage-card-")


def sign_body(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_signed(harness: Harness, path: str, body: dict[str, Any]) -> Reply:
    """POST a body signed like the generic webhook (and /changes) expect."""
    raw = json.dumps(body).encode()
    signature = f"sha256={sign_body(GENERIC_SECRET, raw)}"
    return await harness.post(path, raw, headers={"X-Smokejumper-Signature": signature})


def generic_alert(**overrides: Any) -> dict[str, Any]:
    """A firing generic-webhook alert, stamped now."""
    from datetime import UTC, datetime

    body: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(),
        "dedup_key": "checkout-crashloop",
        "status": "firing",
        "service": "checkout",
        "summary": "Pod checkout-7d9 is crash looping",
        "severity": "critical",
        "labels": {"alertname": "KubePodCrashLooping", "namespace": "production"},
        "annotations": {"description": "Back-off restarting failed container"},
    }
    body.update(overrides)
    return body


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@functools.cache
def shipped_runbooks() -> list[Runbook]:
    """The shipped runbooks, parsed once per test process instead of once per app."""
    return load_runbooks()


async def start_harness(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    *,
    time: TimeSource | None = None,
    run_outbox: bool = False,
    triager: Any = None,
    adapters: Any = None,
    **overrides: Any,
) -> Harness:
    settings = load_settings(
        **{
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_app_token": "",
            "slack_api_url": emulator.api_url,
            "database_url": database.url,
            "database_schema": database.schema,
            "generic_webhook_secret": GENERIC_SECRET,
            "pagerduty_webhook_secret": PAGERDUTY_SECRET,
            # Most tests post Alertmanager bodies without a token; the auth tests override.
            "alertmanager_allow_unauthenticated": True,
            "announce_channel": "incidents",
            "responders": RESPONDERS,
            "outbox_poll_seconds": 0.05,
            # Tests never see a burst that a warm pool would help; opening ten
            # connections per app only costs time.
            "database_warm_up": False,
            **overrides,
        }
    )
    if "clock" in overrides:
        # Settings ignore unknown names; a clock passed here would be silently dropped.
        raise TypeError("start_harness takes time=VirtualTime(...), not clock=")
    # Virtual unless the test brings its own: paced Slack calls, retries and outbox
    # backoff move the app's clock instead of waiting on the wall clock.
    time = time if time is not None else VirtualTime()
    app = Smokejumper(
        settings,
        time=time,
        run_outbox=run_outbox,
        triager=triager,
        adapters=adapters,
        runbooks=shipped_runbooks(),
    )
    await app.start("127.0.0.1", 0)
    driver = SlackDriver(
        bot_url=f"{app.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        emulator=emulator,
        # Signed on the app's clock, which checks the timestamp.
        clock=lambda: time.now().timestamp(),
    )
    return Harness(app, emulator, driver, aiohttp.ClientSession(), time)


async def stop_harness(harness: Harness) -> None:
    await harness.http.close()
    await harness.driver.close()
    await harness.app.stop()
