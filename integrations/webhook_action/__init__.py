"""Generic remediation webhooks: signed POSTs to receivers registered by name."""

from __future__ import annotations

import aiohttp

from integrations.webhook_action.adapter import WebhookActionRemediator
from integrations.webhook_action.client import WebhookClient
from integrations.webhook_action.config import RegisteredWebhook, WebhookActionConfig

__all__ = [
    "RegisteredWebhook",
    "WebhookActionConfig",
    "WebhookActionRemediator",
    "WebhookClient",
    "setup",
]


def setup(config: WebhookActionConfig, session: aiohttp.ClientSession) -> WebhookActionRemediator:
    """The webhook remediator on the shared HTTP session."""
    return WebhookActionRemediator(WebhookClient(session), config)
