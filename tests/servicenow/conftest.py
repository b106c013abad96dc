"""A ServiceNow Table API server on 127.0.0.1 and the real adapter pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.ports.ticketing import TicketDraft
from integrations.servicenow import ServiceNowConfig, ServiceNowTicketing
from integrations.servicenow.emulator import ServiceNowServer


def make_config(server: ServiceNowServer, **overrides: Any) -> ServiceNowConfig:
    settings: dict[str, Any] = {
        "instance_url": server.url,
        "user": server.user,
        "password": server.password,
        "timeout_seconds": 5.0,
        **overrides,
    }
    return ServiceNowConfig.model_validate(settings)


def draft(correlation_id: str = "inc-20260101-0001", **overrides: str) -> TicketDraft:
    fields = {
        "correlation_id": correlation_id,
        "short_description": "checkout-api: error rate above 5%",
        "description": "Alertmanager HighErrorRate fired for checkout-api in eu-west-1.",
        "classification": "high",
        "team": "payments",
        "channel_url": "https://example.slack.com/archives/C0INC0001",
        **overrides,
    }
    return TicketDraft(**fields)


@pytest.fixture
async def server() -> AsyncIterator[ServiceNowServer]:
    async with ServiceNowServer() as running:
        yield running


@pytest.fixture
async def ticketing(server: ServiceNowServer) -> AsyncIterator[ServiceNowTicketing]:
    adapter = ServiceNowTicketing(make_config(server))
    yield adapter
    await adapter.close()
