"""Signed HTTP calls to registered webhooks: POST a remediation, GET its status."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aiohttp

from bot.domain.clock import Clock, utcnow
from bot.domain.retry import retry_after_seconds, retryable_status
from bot.ports.adapters import AdapterError
from integrations.common.hmac_auth import sign
from integrations.generic.source import SIGNATURE_HEADER
from integrations.webhook_action.config import RegisteredWebhook, host_of

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Names for answers the shared table calls retryable; which ones are is its to say.
STATUS_CODES = {408: "timeout", 409: "conflict", 425: "too_early", 429: "rate_limited"}


def encode_body(payload: Mapping[str, object]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(webhook: RegisteredWebhook, body: bytes, idempotency_key: str) -> dict[str, str]:
    """Headers in the format our inbound generic webhook verifies: sha256=<hex HMAC of body>."""
    digest = sign(webhook.secret.get_secret_value().encode(), body)
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: f"sha256={digest}",
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def status_error(
    name: str, host: str, status: int, retry_after: float | None = None
) -> AdapterError:
    """A refused POST, retryable as `bot.domain.retry` says; any other status needs a fix.

    `retry_after` (seconds the receiver asked us to wait) travels with a retryable error only.
    """
    message = f"webhook {name} ({host}) answered HTTP {status}"
    if retryable_status(status):
        code = STATUS_CODES.get(status, "server_error")
        return AdapterError(code, message, retryable=True, retry_after=retry_after)
    code = "rejected" if 400 <= status < 500 else "unexpected_status"
    return AdapterError(code, message, retryable=False)


def transport_error(name: str, host: str, what: str, exc: BaseException) -> AdapterError:
    """A call that got no HTTP answer; retryable, and named without its URL."""
    where = f"webhook {name} ({host}) {what}"
    if isinstance(exc, TimeoutError):
        return AdapterError("timeout", f"{where}: no answer in time", retryable=True)
    return AdapterError(
        "connection_error", f"{where}: failed ({type(exc).__name__})", retryable=True
    )


class WebhookClient:
    """Sends signed requests; never follows redirects, so a signature cannot travel elsewhere."""

    def __init__(self, session: aiohttp.ClientSession, clock: Clock = utcnow) -> None:
        self._session = session
        # Reads a Retry-After given as an HTTP date.
        self._clock = clock

    async def post(
        self, name: str, webhook: RegisteredWebhook, body: bytes, idempotency_key: str
    ) -> int:
        """POST `body` signed; the status when it is one of the webhook's success statuses."""
        host = host_of(webhook.url)
        try:
            async with self._session.post(
                webhook.url,
                data=body,
                headers=signed_headers(webhook, body, idempotency_key),
                timeout=aiohttp.ClientTimeout(total=webhook.timeout_seconds),
                allow_redirects=False,
            ) as response:
                status = response.status
                asked = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise transport_error(name, host, "POST", exc) from None
        if status not in webhook.success_statuses:
            raise status_error(name, host, status, asked)
        return status

    async def get_status(
        self, name: str, webhook: RegisteredWebhook, status_url: str, idempotency_key: str
    ) -> int:
        """GET the webhook's status URL; whatever status it answers."""
        try:
            async with self._session.get(
                status_url,
                headers={IDEMPOTENCY_HEADER: idempotency_key},
                timeout=aiohttp.ClientTimeout(total=webhook.timeout_seconds),
                allow_redirects=False,
            ) as response:
                return response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise transport_error(name, host_of(status_url), "status check", exc) from None
