"""No secret ever appears in a response, a log line or an event, whatever goes wrong."""

from __future__ import annotations

import json
import logging

import pytest

from integrations.slack.emulator import SlackEmulator
from tests.conftest import fixture_bytes
from tests.support.database import DatabaseTarget
from tests.support.harness import (
    BOT_TOKEN,
    GENERIC_SECRET,
    PAGERDUTY_SECRET,
    SIGNING_SECRET,
    start_harness,
    stop_harness,
)

SECRETS = [BOT_TOKEN, GENERIC_SECRET, PAGERDUTY_SECRET, SIGNING_SECRET, "am-bearer-secret"]


async def test_failures_never_echo_secrets(
    database: DatabaseTarget, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = await start_harness(database, emulator, alertmanager_token="am-bearer-secret")
    try:
        seen: list[str] = []
        wrong_bearer = await h.post(
            "/alerts/alertmanager",
            fixture_bytes("alertmanager/alertmanager_0.25_firing.json"),
            headers={"Authorization": "Bearer guess"},
        )
        assert wrong_bearer.status == 401
        seen.append(json.dumps(wrong_bearer.body))
        for path, header in (
            ("/alerts/generic", "X-Smokejumper-Signature"),
            ("/alerts/pagerduty", "X-PagerDuty-Signature"),
        ):
            reply = await h.post(path, b'{"a": 1}', headers={header: "sha256=00"})
            assert reply.status == 401
            seen.append(json.dumps(reply.body))
        # Slack write failures are logged and recorded, with the token in the client.
        emulator.inject_fault("conversations.create", error="fatal_error", times=20)
        ok = await h.post(
            "/alerts/alertmanager",
            fixture_bytes("alertmanager/alertmanager_0.25_firing.json"),
            headers={"Authorization": "Bearer am-bearer-secret"},
        )
        assert ok.status == 202
        await h.app.worker.run_once()
        seen.extend(e.summary + json.dumps(e.data) for e in await h.events())
        seen.append(json.dumps((await h.get("/readyz")).body))
        seen.extend(record.getMessage() for record in caplog.records)
        seen.extend(str(record.exc_info) for record in caplog.records if record.exc_info)
        text = "\n".join(seen)
        assert "outbox job" in text  # the failure really was logged
        for secret in SECRETS:
            assert secret not in text
    finally:
        await stop_harness(h)
