"""`WebhookActionRemediator`: the Remediator capability as a signed POST to a registered webhook."""

from __future__ import annotations

import logging

from bot.domain.clock import Clock, utcnow
from bot.ports.adapters import AdapterError
from bot.ports.remediation import (
    ActionPlan,
    ActionRequest,
    ExecutionResult,
    VerificationResult,
    VerifyStatus,
)
from integrations.webhook_action.client import WebhookClient, encode_body
from integrations.webhook_action.config import RegisteredWebhook, WebhookActionConfig, host_of

logger = logging.getLogger(__name__)

ACTION = "run_webhook"


class WebhookActionRemediator:
    """Runs `run_webhook` by name; where a webhook points and how it is signed is config."""

    name = "webhook"
    actions = frozenset({ACTION})

    def __init__(
        self, client: WebhookClient, config: WebhookActionConfig, clock: Clock = utcnow
    ) -> None:
        self._client = client
        self._config = config
        self._clock = clock

    async def probe(self) -> None:
        # Receivers are arbitrary services with no common health call; a POST would run them.
        return None

    async def describe(self, request: ActionRequest) -> ActionPlan:
        name, webhook = self._registered(request)
        host = host_of(webhook.url)
        return ActionPlan(
            adapter=self.name,
            summary=f"POST to {name} ({host})",
            details={
                "webhook": name,
                "host": host,
                # What an approver needs to weigh: can we check it, and can we undo it.
                "verifiable": "true" if webhook.status_url else "false",
                "rollback_webhook": webhook.rollback_webhook or "",
            },
        )

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        name, webhook = self._registered(request)
        return await self._deliver(request, name, webhook, request.idempotency_key, {})

    async def verify(self, request: ActionRequest, result: ExecutionResult) -> VerificationResult:
        name, webhook = self._registered(request)
        if webhook.status_url is None:
            return VerificationResult(
                VerifyStatus.UNKNOWN, f"webhook {name} has no status URL to check"
            )
        host = host_of(webhook.status_url)
        status = await self._client.get_status(
            name, webhook, webhook.status_url, request.idempotency_key
        )
        if 200 <= status < 300:
            return VerificationResult(
                VerifyStatus.HEALTHY, f"status check of {name} ({host}) answered HTTP {status}"
            )
        return VerificationResult(
            VerifyStatus.FAILED, f"status check of {name} ({host}) answered HTTP {status}"
        )

    async def rollback(self, request: ActionRequest, result: ExecutionResult) -> ExecutionResult:
        name, webhook = self._registered(request)
        if webhook.rollback_webhook is None:
            raise AdapterError(
                "not_reversible", f"webhook {name} has no rollback webhook", retryable=False
            )
        undo_name = webhook.rollback_webhook
        undo = self._config.webhooks[undo_name]
        return await self._deliver(
            request,
            undo_name,
            undo,
            f"{request.idempotency_key}:rollback",
            {"webhook": undo_name, "rollback_of": name},
        )

    async def _deliver(
        self,
        request: ActionRequest,
        name: str,
        webhook: RegisteredWebhook,
        idempotency_key: str,
        params_override: dict[str, str],
    ) -> ExecutionResult:
        body = encode_body(
            {
                "incident_id": request.incident_id,
                "action": request.action,
                "service": request.service,
                "environment": request.environment,
                "params": {**request.params, **params_override},
                "idempotency_key": idempotency_key,
                "timestamp": self._clock().isoformat(),
            }
        )
        status = await self._client.post(name, webhook, body, idempotency_key)
        host = host_of(webhook.url)
        logger.info("webhook %s (%s) answered HTTP %s", name, host, status)
        return ExecutionResult(
            summary=f"POST to {name} ({host}) answered HTTP {status}",
            details={"webhook": name, "status": str(status), "idempotency_key": idempotency_key},
        )

    def _registered(self, request: ActionRequest) -> tuple[str, RegisteredWebhook]:
        """The registered webhook the request names."""
        if request.action != ACTION:
            raise AdapterError(
                "unsupported_action", f"webhook cannot run {request.action}", retryable=False
            )
        name = request.params.get("webhook", "")
        webhook = self._config.webhooks.get(name)
        if webhook is None:
            raise AdapterError(
                "unknown_webhook", f"no webhook is registered as {name[:64]!r}", retryable=False
            )
        return name, webhook
