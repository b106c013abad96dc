"""GET /metrics: Prometheus text that parses, with the figures of a real run."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.domain.clock import VirtualTime
from tests.commands.slash import slash
from tests.support.harness import Harness, generic_alert, post_signed

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}


async def scrape(harness: Harness) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample by name and labels, parsed with prometheus_client's own parser."""
    async with harness.http.get(harness.app.url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def value(
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str, **labels: str
) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


async def test_metrics_after_an_incident_is_acknowledged(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    before = await scrape(harness)
    assert value(before, "smokejumper_incident_time_to_acknowledge_seconds_count") == 0

    alert = generic_alert(labels=CRASH)
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    assert (await post_signed(harness, "/alerts/generic", {"nonsense": 1})).status == 422
    harness.emulator.faults.add(
        "conversations.setTopic", error="ratelimited", status=429, retry_after=1, times=1
    )
    await harness.drain()
    virtual_time.advance(minutes=4)
    [incident] = await harness.incidents()
    assert incident.channel_id is not None
    await slash(harness, incident.channel_id, "ack")

    samples = await scrape(harness)
    assert (
        value(samples, "smokejumper_alerts_received_total", source="generic", outcome="opened") == 1
    )
    assert (
        value(samples, "smokejumper_alerts_received_total", source="generic", outcome="duplicate")
        == 1
    )
    assert (
        value(samples, "smokejumper_alerts_received_total", source="generic", outcome="refused")
        == 1
    )
    assert (
        value(samples, "smokejumper_webhook_latency_seconds_count", source="generic", status="202")
        == 2
    )
    assert (
        value(samples, "smokejumper_slack_calls_total", method="conversations.create", result="ok")
        == 1
    )
    assert (
        value(samples, "smokejumper_slack_rate_limited_total", method="conversations.setTopic") == 1
    )
    assert value(samples, "smokejumper_outbox_pending_jobs") >= 0
    assert "smokejumper_outbox_oldest_job_age_seconds" in samples
    assert value(samples, "smokejumper_triages_total", source="runbook", fallback_reason="") == 1
    assert any(
        k for k in samples["smokejumper_policy_decisions_total"] if ("subject", "gate:paging") in k
    )
    assert sum(samples["smokejumper_actions"].values()) >= 1
    assert value(samples, "smokejumper_active_freezes") == 0
    assert value(samples, "smokejumper_pages_total") == 0
    # The MTTA histogram has its sample: four minutes, inside the 5-minute bucket.
    assert value(samples, "smokejumper_incident_time_to_acknowledge_seconds_count") == 1
    assert value(samples, "smokejumper_incident_time_to_acknowledge_seconds_bucket", le="60.0") == 0
    assert (
        value(samples, "smokejumper_incident_time_to_acknowledge_seconds_bucket", le="300.0") == 1
    )
    assert value(samples, "smokejumper_incident_time_to_resolve_seconds_count") == 0
    assert "smokejumper_autonomous_share" in samples
    assert "smokejumper_escalation_precision" in samples


async def test_freezes_show_up(harness: Harness) -> None:
    await slash(harness, "C0GENERAL", "freeze all for 30m maintenance")
    samples = await scrape(harness)
    assert value(samples, "smokejumper_active_freezes") == 1
