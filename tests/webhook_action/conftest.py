"""A local signed-webhook receiver and a remediator pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.ports.remediation import ActionRequest
from integrations.webhook_action import WebhookActionConfig, WebhookActionRemediator, WebhookClient
from integrations.webhook_action.fake import FakeWebhookReceiver

RESTART_SECRET = "whsec-restart-3b7e1f0a9c"
UNDO_SECRET = "whsec-undo-8d2c4e6f1a"
SENT_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


def webhook_request(webhook: str = "restart-worker", **params: str) -> ActionRequest:
    return ActionRequest(
        action="run_webhook",
        service="checkout",
        environment="production",
        params={"webhook": webhook, **params},
        idempotency_key="inc-42:run_webhook:restart-worker",
        incident_id="inc-42",
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def receiver() -> AsyncIterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver()
    fake.register("restart-worker", RESTART_SECRET)
    fake.register("restart-worker-undo", UNDO_SECRET, status=200)
    await fake.start()
    yield fake
    await fake.stop()


def build(
    receiver: FakeWebhookReceiver,
    http: aiohttp.ClientSession,
    client: WebhookClient | None = None,
    **restart_worker: Any,
) -> WebhookActionRemediator:
    """A remediator knowing restart-worker (overridable) and its undo webhook."""
    config = WebhookActionConfig.model_validate(
        {
            "webhooks": {
                "restart-worker": {
                    "url": receiver.hook_url("restart-worker"),
                    "secret": RESTART_SECRET,
                    **restart_worker,
                },
                "restart-worker-undo": {
                    "url": receiver.hook_url("restart-worker-undo"),
                    "secret": UNDO_SECRET,
                },
            }
        }
    )
    client = client if client is not None else WebhookClient(http)
    return WebhookActionRemediator(client, config, clock=lambda: SENT_AT)
