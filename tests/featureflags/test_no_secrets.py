"""No token, signing secret or URL secret of these adapters shows in an error or a log."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult
from integrations.webhook_action import WebhookActionConfig, WebhookActionRemediator, WebhookClient
from integrations.webhook_action.fake import FakeWebhookReceiver
from tests.featureflags.conftest import (
    LAUNCHDARKLY_TOKEN,
    UNLEASH_TOKEN,
    Vendor,
    flag_request,
)
from tests.support.flag_servers import LaunchDarklyServer, UnleashServer

WRONG_TOKEN = "wrong-token-0d9e8f7a6b"
WEBHOOK_SECRET = "whsec-never-show-4c3b2a"
WRONG_WEBHOOK_SECRET = "whsec-wrong-never-show-1f2e"
URL_SECRET = "url-key-never-show-77aa"
SECRETS = [
    UNLEASH_TOKEN,
    LAUNCHDARKLY_TOKEN,
    WRONG_TOKEN,
    WEBHOOK_SECRET,
    WRONG_WEBHOOK_SECRET,
    URL_SECRET,
]


class Seen:
    """Everything a failure or success could show a person or a log."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def call(self, operation: Callable[[], Awaitable[Any]]) -> None:
        try:
            outcome = await operation()
        except AdapterError as exc:
            self.texts += [str(exc), repr(exc), exc.message, exc.code, repr(exc.args)]
            self.texts += traceback.format_exception(exc)
            self.texts.append(repr(vars(exc)))
        else:
            self.texts.append(repr(outcome))

    def text(self, caplog: pytest.LogCaptureFixture) -> str:
        logged = [record.getMessage() for record in caplog.records]
        logged += [str(record.exc_info) for record in caplog.records if record.exc_info]
        return "\n".join(self.texts + logged)


async def _flag_failures(seen: Seen, vendor: Vendor) -> None:
    server = vendor.server
    server.add_flag("new-checkout", production=True)
    good = vendor.remediator()
    request = flag_request()
    await seen.call(good.probe)
    await seen.call(vendor.remediator(token=WRONG_TOKEN).probe)
    await seen.call(lambda: vendor.remediator(token=WRONG_TOKEN).execute(request))
    server.inject(429, method=vendor.write_method, headers={"Retry-After": "5"})
    await seen.call(lambda: good.execute(request))
    server.inject(500)
    await seen.call(lambda: good.describe(request))
    server.inject(403, method=vendor.write_method)
    await seen.call(lambda: good.execute(request))
    await seen.call(lambda: good.execute(flag_request(flag="missing-flag")))
    await seen.call(lambda: good.execute(flag_request(environment="qa")))
    await seen.call(lambda: good.execute(flag_request(flag="a/b")))
    await seen.call(lambda: good.execute(flag_request("restart_deployment")))
    await seen.call(lambda: good.execute(replace(request, params={})))
    result = ExecutionResult("executed", {"changed": "true"})
    await seen.call(lambda: good.rollback(request, result))
    executed = await good.execute(request)
    await seen.call(lambda: good.verify(request, executed))
    await seen.call(lambda: good.rollback(request, executed))
    dead_url = server.base_url
    await server.stop()
    await seen.call(vendor.remediator(base_url=dead_url).probe)
    await seen.call(lambda: vendor.remediator(base_url=dead_url).execute(request))


async def _webhook_failures(seen: Seen, http: aiohttp.ClientSession) -> None:
    receiver = FakeWebhookReceiver()
    receiver.register("restart-worker", WEBHOOK_SECRET)
    await receiver.start()
    query = f"?key={URL_SECRET}"

    def remediator(secret: str = WEBHOOK_SECRET, timeout: float = 5.0) -> WebhookActionRemediator:
        config = WebhookActionConfig.model_validate(
            {
                "webhooks": {
                    "restart-worker": {
                        "url": receiver.hook_url("restart-worker") + query,
                        "secret": secret,
                        "timeout_seconds": timeout,
                        "status_url": receiver.status_url("restart-worker") + query,
                    }
                }
            }
        )
        seen.texts.append(repr(config))
        return WebhookActionRemediator(WebhookClient(http), config)

    request = replace(flag_request(), action="run_webhook", params={"webhook": "restart-worker"})
    try:
        await seen.call(lambda: remediator().describe(request))
        await seen.call(lambda: remediator().execute(request))
        await seen.call(lambda: remediator().verify(request, ExecutionResult("done")))
        await seen.call(lambda: remediator(WRONG_WEBHOOK_SECRET).execute(request))
        for status in (400, 404, 429, 503, 307):
            receiver.answer("restart-worker", status)
            await seen.call(lambda: remediator().execute(replace(request, idempotency_key="k2")))
        await seen.call(lambda: remediator().rollback(request, ExecutionResult("done")))
        await seen.call(lambda: remediator().execute(replace(request, params={"webhook": "nope"})))
        receiver.hold("restart-worker")
        await seen.call(
            lambda: remediator(timeout=0.2).execute(replace(request, idempotency_key="k3"))
        )
    finally:
        await receiver.stop()
    await seen.call(lambda: remediator().execute(replace(request, idempotency_key="k4")))
    await seen.call(lambda: remediator().verify(request, ExecutionResult("done")))


async def test_no_adapter_error_or_log_line_carries_a_secret(
    http: aiohttp.ClientSession,
    unleash_server: UnleashServer,
    launchdarkly_server: LaunchDarklyServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = Seen()

    await _flag_failures(seen, Vendor("unleash", unleash_server, http, staging="development"))
    await _flag_failures(seen, Vendor("launchdarkly", launchdarkly_server, http, staging="test"))
    await _webhook_failures(seen, http)

    text = seen.text(caplog)
    # The failures really happened and were captured, logs included.
    for expected in (
        "HTTP 401",
        "HTTP 429",
        "HTTP 500",
        "HTTP 503",
        "cannot reach 127.0.0.1",
        "no answer in time",
        "unknown_webhook",
        "unleash turned flag new-checkout off in production",
        "launchdarkly turned flag new-checkout off in production",
        "webhook restart-worker (127.0.0.1) answered HTTP 202",
    ):
        assert expected in text
    for secret in SECRETS:
        assert secret not in text
