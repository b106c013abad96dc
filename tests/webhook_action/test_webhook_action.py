"""run_webhook: a signed POST to a registered receiver, classified by its answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

import aiohttp
import pytest
from pydantic import SecretStr

from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult, VerifyStatus
from integrations.webhook_action.client import WebhookClient, encode_body, signed_headers
from integrations.webhook_action.config import RegisteredWebhook
from integrations.webhook_action.fake import FakeWebhookReceiver
from tests.webhook_action.conftest import RESTART_SECRET, SENT_AT, build, webhook_request


async def test_execute_posts_the_documented_body_signed_with_an_idempotency_key(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    request = webhook_request(reason="queue-stuck")

    result = await build(receiver, http).execute(request)

    (delivery,) = receiver.runs("restart-worker")
    assert delivery.idempotency_key == request.idempotency_key
    assert delivery.body == {
        "incident_id": "inc-42",
        "action": "run_webhook",
        "service": "checkout",
        "environment": "production",
        "params": {"webhook": "restart-worker", "reason": "queue-stuck"},
        "idempotency_key": request.idempotency_key,
        "timestamp": SENT_AT.isoformat(),
    }
    assert result.summary == "POST to restart-worker (127.0.0.1) answered HTTP 202"
    assert dict(result.details) == {
        "webhook": "restart-worker",
        "status": "202",
        "idempotency_key": request.idempotency_key,
    }
    assert receiver.refusals == []


def test_the_signature_is_hex_hmac_sha256_of_the_exact_body() -> None:
    webhook = RegisteredWebhook(url="https://hooks.example.com/x", secret=SecretStr(RESTART_SECRET))
    body = encode_body({"b": "2", "a": "1"})

    headers = signed_headers(webhook, body, "key-1")

    expected = hmac.new(RESTART_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Smokejumper-Signature"] == f"sha256={expected}"
    assert headers["Idempotency-Key"] == "key-1"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"a": "1", "b": "2"}


async def test_a_retry_with_the_same_key_is_delivered_but_runs_once(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)

    await remediator.execute(webhook_request())
    again = await remediator.execute(webhook_request())

    assert again.details["status"] == "202"
    assert len(receiver.deliveries) == 2
    assert len(receiver.runs("restart-worker")) == 1
    assert receiver.deliveries[1].duplicate is True


async def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retryable(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http, secret="whsec-someone-elses")

    with pytest.raises(AdapterError) as caught:
        await remediator.execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == ("rejected", False)
    assert receiver.refusals == [("restart-worker", 401, "invalid_signature")]
    assert receiver.runs("restart-worker") == []


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_client_errors_need_a_fix_and_are_not_retryable(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession, status: int
) -> None:
    receiver.answer("restart-worker", status)

    with pytest.raises(AdapterError) as caught:
        await build(receiver, http).execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == ("rejected", False)
    assert caught.value.message == f"webhook restart-worker (127.0.0.1) answered HTTP {status}"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "server_error"),
        (502, "server_error"),
        (503, "server_error"),
        (408, "timeout"),
        (409, "conflict"),  # the shared table: the far side changed under us
        (425, "too_early"),
        (429, "rate_limited"),
    ],
)
async def test_server_errors_timeouts_and_rate_limits_are_retryable(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession, status: int, code: str
) -> None:
    receiver.answer("restart-worker", status)
    remediator = build(receiver, http)

    with pytest.raises(AdapterError) as caught:
        await remediator.execute(webhook_request())
    # The receiver did no work, so the retry with the same key runs it.
    await remediator.execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert caught.value.retry_after is None
    assert len(receiver.runs("restart-worker")) == 1


@pytest.mark.parametrize(
    ("status", "header", "seconds"),
    [
        (429, "7", 7.0),  # delta seconds
        (503, "Sat, 14 Mar 2026 09:28:23 GMT", 90.0),  # a date, read on the client's clock
        (503, "soon", None),  # unreadable: the retry stage's own backoff applies
        (403, "7", None),  # a refusal: no wait makes it pass
    ],
)
async def test_a_refusal_reports_the_wait_the_receiver_asked_for(
    receiver: FakeWebhookReceiver,
    http: aiohttp.ClientSession,
    status: int,
    header: str,
    seconds: float | None,
) -> None:
    receiver.answer("restart-worker", status, retry_after=header)
    client = WebhookClient(http, clock=lambda: SENT_AT)

    with pytest.raises(AdapterError) as caught:
        await build(receiver, http, client=client).execute(webhook_request())

    assert caught.value.retry_after == seconds


async def test_no_answer_in_time_is_a_retryable_timeout(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.hold("restart-worker")

    with pytest.raises(AdapterError) as caught:
        await build(receiver, http, timeout_seconds=0.2).execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert caught.value.message == "webhook restart-worker (127.0.0.1) POST: no answer in time"


async def test_a_refused_connection_is_retryable(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)
    await receiver.stop()

    with pytest.raises(AdapterError) as caught:
        await remediator.execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)


async def test_a_redirect_is_not_followed(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.answer("restart-worker", 307)

    with pytest.raises(AdapterError) as caught:
        await build(receiver, http).execute(webhook_request())

    assert (caught.value.code, caught.value.retryable) == ("unexpected_status", False)
    assert len(receiver.deliveries) == 1


async def test_success_is_whatever_statuses_the_webhook_declares(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http, success_statuses=[200])

    with pytest.raises(AdapterError) as accepted_is_not_done:
        await remediator.execute(webhook_request())
    receiver.answer("restart-worker", 200)
    done = await remediator.execute(replace(webhook_request(), idempotency_key="k2"))

    assert accepted_is_not_done.value.code == "unexpected_status"
    assert done.details["status"] == "200"


async def test_an_unknown_webhook_name_is_not_retryable_and_sends_nothing(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)

    for call in (remediator.describe, remediator.execute):
        with pytest.raises(AdapterError) as caught:
            await call(webhook_request("drop-database"))
        assert (caught.value.code, caught.value.retryable) == ("unknown_webhook", False)
    assert receiver.deliveries == []
    assert receiver.refusals == []


async def test_describe_names_the_host_only_and_sends_nothing(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    url = receiver.hook_url("restart-worker") + "?token=query-secret-5e1"

    plan = await build(receiver, http, url=url).describe(webhook_request())

    assert plan.adapter == "webhook"
    assert plan.summary == "POST to restart-worker (127.0.0.1)"
    assert dict(plan.details) == {
        "webhook": "restart-worker",
        "host": "127.0.0.1",
        "verifiable": "false",
        "rollback_webhook": "",
    }
    assert receiver.deliveries == []


async def test_describe_says_whether_the_call_can_be_checked_and_undone(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(
        receiver,
        http,
        status_url=receiver.status_url("restart-worker"),
        rollback_webhook="restart-worker-undo",
    )

    plan = await remediator.describe(webhook_request())

    assert plan.details["verifiable"] == "true"
    assert plan.details["rollback_webhook"] == "restart-worker-undo"
    assert receiver.deliveries == []
    assert receiver.status_checks == []


async def test_verify_is_unknown_without_a_status_url(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)
    result = await remediator.execute(webhook_request())

    verdict = await remediator.verify(webhook_request(), result)

    assert verdict.status is VerifyStatus.UNKNOWN
    assert receiver.status_checks == []


async def test_verify_asks_the_status_url_about_this_run(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http, status_url=receiver.status_url("restart-worker"))
    before = await remediator.verify(webhook_request(), ExecutionResult("not run"))
    result = await remediator.execute(webhook_request())

    after = await remediator.verify(webhook_request(), result)
    receiver.answer_status("restart-worker", 503)
    unhealthy = await remediator.verify(webhook_request(), result)

    # The receiver knows no run under the key before execute, so it answers 404.
    assert before.status is VerifyStatus.FAILED
    assert after.status is VerifyStatus.HEALTHY
    assert after.summary == "status check of restart-worker (127.0.0.1) answered HTTP 200"
    assert unhealthy.status is VerifyStatus.FAILED
    assert {key for _, key in receiver.status_checks} == {webhook_request().idempotency_key}


async def test_rollback_is_not_reversible_without_a_rollback_webhook(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)
    result = await remediator.execute(webhook_request())

    with pytest.raises(AdapterError) as caught:
        await remediator.rollback(webhook_request(), result)

    assert (caught.value.code, caught.value.retryable) == ("not_reversible", False)
    assert len(receiver.deliveries) == 1


async def test_rollback_calls_the_registered_rollback_webhook(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http, rollback_webhook="restart-worker-undo")
    request = webhook_request()
    result = await remediator.execute(request)

    undone = await remediator.rollback(request, result)

    (delivery,) = receiver.runs("restart-worker-undo")
    assert delivery.idempotency_key == f"{request.idempotency_key}:rollback"
    assert delivery.body["params"] == {
        "webhook": "restart-worker-undo",
        "rollback_of": "restart-worker",
    }
    assert undone.summary == "POST to restart-worker-undo (127.0.0.1) answered HTTP 200"


async def test_other_actions_are_refused(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    remediator = build(receiver, http)
    wrong = replace(webhook_request(), action="page_oncall")

    with pytest.raises(AdapterError) as caught:
        await remediator.execute(wrong)

    assert (caught.value.code, caught.value.retryable) == ("unsupported_action", False)
    assert remediator.actions == frozenset({"run_webhook"})
    await remediator.probe()
    assert receiver.deliveries == []
