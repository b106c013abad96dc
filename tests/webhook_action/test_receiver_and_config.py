"""The local receiver refuses what a careful receiver would; the config refuses bad webhooks."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr, ValidationError

from integrations.webhook_action.client import encode_body, signed_headers
from integrations.webhook_action.config import RegisteredWebhook, WebhookActionConfig
from integrations.webhook_action.fake import FakeWebhookReceiver
from tests.webhook_action.conftest import RESTART_SECRET, SENT_AT

GOOD_BODY: dict[str, Any] = {
    "incident_id": "inc-42",
    "action": "run_webhook",
    "service": "checkout",
    "environment": "production",
    "params": {"webhook": "restart-worker"},
    "idempotency_key": "k1",
    "timestamp": SENT_AT.isoformat(),
}


async def _post(
    receiver: FakeWebhookReceiver,
    http: aiohttp.ClientSession,
    body: bytes,
    headers: dict[str, str],
) -> int:
    async with http.post(receiver.hook_url("restart-worker"), data=body, headers=headers) as r:
        return r.status


def _signed(body: bytes, key: str = "k1") -> dict[str, str]:
    webhook = RegisteredWebhook(url="http://127.0.0.1/", secret=SecretStr(RESTART_SECRET))
    return signed_headers(webhook, body, key)


async def test_a_correctly_signed_body_is_accepted(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession
) -> None:
    body = encode_body(GOOD_BODY)

    assert await _post(receiver, http, body, _signed(body)) == 202
    assert len(receiver.runs("restart-worker")) == 1


@pytest.mark.parametrize(
    ("trailer", "header_changes", "reason"),
    [
        (b" ", {}, "invalid_signature"),
        (b"", {"X-Smokejumper-Signature": "sha1=00"}, "invalid_signature"),
        (b"", {"Idempotency-Key": ""}, "missing_idempotency_key"),
        (b"", {"Idempotency-Key": "k2"}, "idempotency_key_mismatch"),
        (b"", {"Content-Type": "text/plain"}, "content_type_must_be_json"),
    ],
)
async def test_tampered_requests_are_refused(
    receiver: FakeWebhookReceiver,
    http: aiohttp.ClientSession,
    trailer: bytes,
    header_changes: dict[str, str],
    reason: str,
) -> None:
    # The signature covers the original body; the trailer changes what is sent.
    body = encode_body(GOOD_BODY)
    headers = {**_signed(body), **header_changes}

    status = await _post(receiver, http, body + trailer, headers)

    assert status in {400, 401, 415}
    assert receiver.refusals == [("restart-worker", status, reason)]
    assert receiver.runs("restart-worker") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({k: v for k, v in GOOD_BODY.items() if k != "timestamp"}, "body_fields_wrong"),
        ({**GOOD_BODY, "params": {"n": 1}}, "params_not_strings"),
        ({**GOOD_BODY, "timestamp": "yesterday"}, "timestamp_not_iso8601"),
        ({**GOOD_BODY, "timestamp": "2026-03-14T09:26:53"}, "timestamp_without_timezone"),
        ({**GOOD_BODY, "service": ""}, "body_field_not_a_string"),
    ],
)
async def test_bodies_off_the_documented_shape_are_refused(
    receiver: FakeWebhookReceiver, http: aiohttp.ClientSession, body: dict[str, Any], reason: str
) -> None:
    raw = json.dumps(body).encode()

    assert await _post(receiver, http, raw, _signed(raw)) == 400
    assert receiver.refusals == [("restart-worker", 400, reason)]


def _webhooks(**restart_worker: Any) -> dict[str, Any]:
    return {
        "webhooks": {
            "restart-worker": {
                "url": "https://hooks.example.com/run?key=url-secret-42",
                "secret": "whsec-x",
                **restart_worker,
            }
        }
    }


def test_the_repr_shows_neither_the_url_nor_the_secret() -> None:
    config = WebhookActionConfig.model_validate(
        _webhooks(status_url="https://hooks.example.com/status?key=url-secret-42")
    )

    text = repr(config) + str(config)

    assert "url-secret-42" not in text
    assert "whsec-x" not in text
    assert "restart-worker" in text


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        (_webhooks(rollback_webhook="missing"), "rollback webhook 'missing'"),
        (_webhooks(rollback_webhook="restart-worker"), "another registered webhook"),
        (_webhooks(url="ftp://hooks.example.com/run?key=url-secret-42"), "http(s) URL"),
        (_webhooks(success_statuses=[]), "at least 1 item"),
        (_webhooks(success_statuses=[99]), "between 200 and 599"),
        ({"webhooks": {"Restart Worker": _webhooks()["webhooks"]["restart-worker"]}}, "must match"),
        (_webhooks(timeout_seconds=0), "greater than 0"),
        (_webhooks(retries=3), "Extra inputs are not permitted"),
    ],
)
def test_bad_webhook_config_is_refused_without_echoing_its_inputs(
    config: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookActionConfig.model_validate(config)

    assert fragment in str(caught.value)
    assert "url-secret-42" not in str(caught.value)
    assert "whsec-x" not in str(caught.value)
