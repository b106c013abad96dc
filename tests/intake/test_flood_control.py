"""Alert sources are authenticated (or explicitly open) and bounded per request and minute."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.domain.clock import VirtualTime
from integrations.slack.emulator import SlackEmulator
from tests.conftest import fixture_json
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness
from tests.support.raw_http import raw_post

FIRING = "alertmanager/alertmanager_0.25_firing.json"
TOKEN = "am-bearer-token"
NOTHING = {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


def batch(count: int) -> dict[str, Any]:
    """One Alertmanager webhook carrying `count` distinct firing alerts."""
    body = copy.deepcopy(fixture_json(FIRING))
    template = body["alerts"][0]
    body["alerts"] = [
        {**template, "fingerprint": f"fp{i:04d}", "labels": {**template["labels"], "n": str(i)}}
        for i in range(count)
    ]
    return body


async def test_without_a_token_or_the_opt_in_the_route_is_off(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    h = await start_harness(
        database, emulator, time=virtual_time, alertmanager_allow_unauthenticated=False
    )
    try:
        reply = await h.post("/alerts/alertmanager", fixture_json(FIRING))
        assert reply.status == 503 and reply.body["error"] == "not_configured"
        assert "SMOKEJUMPER_ALERTMANAGER_TOKEN" in reply.body["message"]
        assert "SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED" in reply.body["message"]
        assert await h.counts() == NOTHING
    finally:
        await stop_harness(h)


async def test_the_bearer_token_is_checked_and_its_scheme_ignores_case(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    h = await start_harness(
        database,
        emulator,
        time=virtual_time,
        alertmanager_token=TOKEN,
        alertmanager_allow_unauthenticated=False,
    )
    url = h.app.url + "/alerts/alertmanager"
    raw = json.dumps(fixture_json(FIRING)).encode()
    json_type = (b"Content-Type", b"application/json")
    try:
        missing = await h.post("/alerts/alertmanager", raw)
        wrong = await h.post("/alerts/alertmanager", raw, headers={"Authorization": "Bearer x"})
        # Not UTF-8 at all, and not even valid header text: still a plain 401.
        garbled = await raw_post(url, raw, [json_type, (b"Authorization", b"Bearer \xff\xfe")])
        assert (missing.status, wrong.status, garbled[0]) == (401, 401, 401)
        assert garbled[1]["error"] == "invalid_token"
        assert await h.counts() == NOTHING

        lower = await h.post(
            "/alerts/alertmanager", raw, headers={"Authorization": f"bearer {TOKEN}"}
        )
        assert lower.status == 202 and lower.body["outcomes"] == {"opened": 1}
    finally:
        await stop_harness(h)


async def test_more_alerts_than_one_request_may_carry_is_refused_whole(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    h = await start_harness(database, emulator, time=virtual_time, max_alerts_per_request=3)
    try:
        over = await h.post("/alerts/alertmanager", batch(4))
        assert over.status == 413 and over.body["error"] == "too_many_alerts"
        assert "SMOKEJUMPER_MAX_ALERTS_PER_REQUEST" in over.body["message"]
        assert await h.counts() == NOTHING
        assert (await h.post("/alerts/alertmanager", batch(3))).status == 202
    finally:
        await stop_harness(h)


@pytest.mark.both_databases
async def test_a_source_over_its_minute_gets_429_with_retry_after_and_nothing_written(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    h = await start_harness(database, emulator, time=virtual_time, max_alerts_per_minute=5)
    url = h.app.url + "/alerts/alertmanager"
    try:
        assert (await h.post("/alerts/alertmanager", batch(3))).status == 202
        before = await h.counts()
        async with h.http.post(url, json=batch(3)) as response:
            refused = (response.status, response.headers.get("Retry-After"), await response.json())
        assert refused[0] == 429 and refused[2]["error"] == "rate_limited"
        # Two alerts are left; a third comes back after 60 s / 5 = 12 s.
        assert refused[1] == "12"
        assert await h.counts() == before

        virtual_time.advance(seconds=12)
        assert (await h.post("/alerts/alertmanager", batch(3))).status == 202
    finally:
        await stop_harness(h)


@pytest.mark.both_databases
async def test_one_bad_alert_is_reported_and_the_rest_of_the_batch_is_stored(
    harness: Harness,
) -> None:
    body = batch(4)
    del body["alerts"][1]["fingerprint"]
    body["alerts"][2]["labels"]["service"] = "s" * 300
    body["alerts"][3]["labels"]["environment"] = "e" * 65

    reply = await harness.post("/alerts/alertmanager", body)

    assert reply.status == 202
    assert reply.body["outcomes"] == {"opened": 1}
    rejected = {r["index"]: r["reason"] for r in reply.body["rejected"]}
    assert set(rejected) == {1, 2, 3}
    assert "alerts.1.fingerprint" in rejected[1]
    assert "service" in rejected[2] and "255" in rejected[2]
    assert "environment" in rejected[3] and "64" in rejected[3]
    assert (await harness.counts())["signals"] == 1


async def test_a_batch_of_nothing_but_bad_alerts_is_refused(harness: Harness) -> None:
    body = batch(2)
    for alert in body["alerts"]:
        alert["status"] = "exploded"

    reply = await harness.post("/alerts/alertmanager", body)

    assert reply.status == 422 and "alerts.0.status" in reply.body["message"]
    assert await harness.counts() == NOTHING


async def test_a_group_key_longer_than_its_column_is_refused(harness: Harness) -> None:
    reply = await harness.post("/alerts/alertmanager", {**batch(1), "groupKey": "g" * 256})

    assert reply.status == 422 and "groupKey" in reply.body["message"]
    assert await harness.counts() == NOTHING


@pytest.mark.both_databases
async def test_a_5000_alert_request_queues_nothing_ahead_of_the_next_incident(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    """The flood is refused whole (default cap), so the next real alert waits behind nothing."""
    body = batch(5000)
    for n, alert in enumerate(body["alerts"]):  # small alerts: under the body size limit
        alert["annotations"] = {}
        alert["labels"] = {"alertname": "Flood", "n": str(n)}
        alert.pop("generatorURL", None)
    raw = json.dumps(body).encode()
    assert len(raw) < 1024 * 1024
    flood = await harness.post("/alerts/alertmanager", raw)
    assert flood.status == 413 and flood.body["error"] == "too_many_alerts"
    assert await harness.counts() == NOTHING

    real = copy.deepcopy(fixture_json(FIRING))
    real["alerts"][0]["labels"] = {**real["alerts"][0]["labels"], "service": "payments"}
    start = virtual_time.now()
    assert (await harness.post("/alerts/alertmanager", real)).status == 202
    await harness.drain_due()
    # Its channel and card came in the first drain, with no time waited for a backlog.
    [channel] = harness.incident_channels()
    assert "payments" in channel.name
    assert len(harness.incident_cards(channel.id)) == 1
    assert (virtual_time.now() - start).total_seconds() < 5
