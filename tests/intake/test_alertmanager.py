"""Alertmanager bodies captured from a real Alertmanager 0.25, end to end through Slack."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from bot.domain.events import EventKind
from tests.conftest import fixture_bytes, fixture_json
from tests.support.harness import RESPONDERS, Harness

FIRING = "alertmanager/alertmanager_0.25_firing.json"
RESOLVED = "alertmanager/alertmanager_0.25_resolved.json"


async def test_firing_alert_opens_one_channel_with_a_pinned_card(harness: Harness) -> None:
    reply = await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    assert reply.status == 202
    assert reply.body["outcomes"] == {"opened": 1}
    await harness.drain()

    [channel] = harness.incident_channels()
    assert channel.name.startswith("inc-") and channel.name.endswith("-db-1")
    assert "db" in channel.topic and "Disk 95% full" in channel.topic
    assert set(RESPONDERS) <= set(channel.members)
    [card] = harness.incident_cards(channel.id)
    [_triage_card] = harness.triage_cards(channel.id)
    assert [p.ts for p in harness.emulator.state.pins.get(channel.id, [])] == [card.ts]
    card_text = json.dumps(card.blocks)
    for expected in (
        "Disk 95% full",
        "critical",
        "triggered",
        "http://runbooks/disk",
        "no ticket yet",
    ):
        assert expected in card_text
    announce = harness.emulator.state.channel_by_name("incidents")
    assert announce is not None
    [announcement] = harness.emulator.state.messages_in(announce.id)
    assert f"<#{channel.id}>" in announcement.text

    [incident] = await harness.incidents()
    assert incident.channel_id == channel.id and incident.card_ts == card.ts
    kinds = [e.kind for e in await harness.events(incident.id)]
    assert kinds[0] == EventKind.INCIDENT_OPENED
    assert EventKind.SLACK_CHANNEL_CREATED in kinds and EventKind.SLACK_CARD_POSTED in kinds


# Concurrent duplicates meet a unique constraint across connections: both backends.
@pytest.mark.both_databases
async def test_repeats_and_a_burst_of_duplicates_open_nothing_new(harness: Harness) -> None:
    body = fixture_bytes(FIRING)
    assert (await harness.post("/alerts/alertmanager", body)).status == 202
    await harness.drain()
    again = await harness.post("/alerts/alertmanager", body)
    assert again.body["outcomes"] == {"duplicate": 1}
    burst = await asyncio.gather(*(harness.post("/alerts/alertmanager", body) for _ in range(50)))
    assert all(r.status == 202 and r.body["outcomes"] == {"duplicate": 1} for r in burst)
    await harness.drain()

    assert len(harness.incident_channels()) == 1
    assert len(harness.emulator.state.calls_to("conversations.create")) == 2  # incl. #incidents
    counts = await harness.counts()
    assert counts["incidents"] == 1 and counts["signals"] == 1


async def test_resolved_alert_is_announced_and_the_incident_stays_open(harness: Harness) -> None:
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    reply = await harness.post("/alerts/alertmanager", fixture_bytes(RESOLVED))
    assert reply.body["outcomes"] == {"resolved": 1}
    await harness.drain()

    [channel] = harness.incident_channels()
    texts = [m.text for m in harness.emulator.state.messages_in(channel.id)]
    assert any("Signal resolved" in t and "DiskFull" in t for t in texts)
    [incident] = await harness.incidents()
    assert incident.signal_resolved is True
    assert incident.status == "triggered"
    card = next(
        m for m in harness.emulator.state.messages_in(channel.id) if m.ts == incident.card_ts
    )
    assert "signal resolved" in json.dumps(card.blocks)


async def test_new_instance_of_the_same_alert_attaches_and_edits_the_card(harness: Harness) -> None:
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    await harness.drain()
    second = copy.deepcopy(fixture_json(FIRING))
    second["alerts"][0]["labels"]["instance"] = "db2"
    second["alerts"][0]["fingerprint"] = "0123456789abcdef"
    reply = await harness.post("/alerts/alertmanager", second)
    assert reply.body["outcomes"] == {"attached": 1}
    await harness.drain()

    [incident] = await harness.incidents()
    assert incident.signal_count == 2
    [channel] = harness.incident_channels()
    assert len(harness.incident_cards(channel.id)) == 1  # edited, not re-posted
    assert len(harness.triage_cards(channel.id)) == 1
    assert harness.emulator.state.calls_to("chat.update")
    # One of two instances resolving does not mark the incident's signal resolved.
    resolved = fixture_json(RESOLVED)
    await harness.post("/alerts/alertmanager", resolved)
    [incident] = await harness.incidents()
    assert incident.signal_resolved is False


async def test_a_different_alert_about_the_same_subject_joins_its_incident(
    harness: Harness,
) -> None:
    await harness.post("/alerts/alertmanager", fixture_bytes(FIRING))
    other = copy.deepcopy(fixture_json(FIRING))
    other["alerts"][0]["labels"]["alertname"] = "HighLatency"
    other["alerts"][0]["fingerprint"] = "feedfacefeedface"
    reply = await harness.post("/alerts/alertmanager", other)
    assert reply.body["outcomes"] == {"attached": 1}
    await harness.drain()
    assert len(harness.incident_channels()) == 1


def _kube_state_metrics_alert(alertname: str, pod: str, fingerprint: str) -> dict[str, Any]:
    """A stock kube-prometheus alert: the object's labels plus kube-state-metrics' own."""
    return {
        "status": "firing",
        "labels": {
            "alertname": alertname,
            "namespace": "shop",
            "pod": pod,
            "container": "api",
            "job": "kube-state-metrics",
            "service": "kube-state-metrics",
            "endpoint": "https-main",
            "instance": "10.2.3.4:8443",
            "severity": "warning",
        },
        "annotations": {"summary": f"{alertname} on {pod}"},
        "startsAt": "2026-11-20T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": fingerprint,
    }


async def test_alerts_group_by_subject_not_by_the_exporter_that_scraped_them(
    harness: Harness,
) -> None:
    body = copy.deepcopy(fixture_json(FIRING))
    body["alerts"] = [
        _kube_state_metrics_alert("KubePodCrashLooping", "checkout-7d9f8b6c5-x2x7q", "a1"),
        _kube_state_metrics_alert("KubePodNotReady", "checkout-7d9f8b6c5-x2x7q", "a2"),
        _kube_state_metrics_alert("KubePodCrashLooping", "cart-5c8d9f7b6d-q2w4z", "a3"),
    ]
    reply = await harness.post("/alerts/alertmanager", body)
    assert reply.status == 202
    incidents = await harness.incidents()
    # Two workloads behind one exporter: two incidents; two alerts about one: one.
    assert sorted((i.service, i.signal_count) for i in incidents) == [
        ("cart", 1),
        ("checkout", 2),
    ]
    checkout = next(i for i in incidents if i.service == "checkout")
    assert checkout.subject is not None
    assert checkout.subject["kind"] == "deployment"
    assert (checkout.subject["namespace"], checkout.subject["name"]) == ("shop", "checkout")
    await harness.drain()
    names = sorted(c.name for c in harness.incident_channels())
    assert len(names) == 2 and all("kube-state-metrics" not in n for n in names)


async def test_resolved_without_an_open_incident_is_recorded_only(harness: Harness) -> None:
    reply = await harness.post("/alerts/alertmanager", fixture_bytes(RESOLVED))
    assert reply.status == 202
    assert reply.body["outcomes"] == {"resolved_without_incident": 1}
    await harness.drain()
    counts = await harness.counts()
    assert counts["signals"] == 1 and counts["incidents"] == 0
    assert harness.incident_channels() == []
