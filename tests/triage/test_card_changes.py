"""Every triage card lists the service's recent changes, newest first, with links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.support.harness import Harness, generic_alert, post_signed
from tests.triage.test_changes_intake import change_report, deploy_change

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}


async def test_the_runbook_triage_card_lists_recent_changes_newest_first(
    harness: Harness,
) -> None:
    now = datetime.now(UTC)
    changes = change_report(
        deploy_change("d-1", at=(now - timedelta(minutes=40)).isoformat()),
        deploy_change(
            "f-2",
            kind="feature_flag",
            description="new-checkout-flow on for 50%",
            url="https://unleash.example.com/projects/default/features/new-checkout-flow",
            at=(now - timedelta(minutes=10)).isoformat(),
        ),
        deploy_change("c-3", kind="config", at=(now - timedelta(hours=30)).isoformat()),
        deploy_change("o-4", service="payments", at=(now - timedelta(minutes=5)).isoformat()),
    )
    assert (await post_signed(harness, "/changes", changes)).status == 202
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()

    [channel] = harness.incident_channels()
    [card] = harness.triage_cards(channel.id)
    [section] = [b for b in card.blocks if str(b.get("block_id", "")).startswith("triage-changes-")]
    text = section["text"]["text"]
    assert "*Recent changes* (last 6 h, newest first)" in text
    flag, deploy = text.index("new-checkout-flow"), text.index("checkout v2.13.2 -&gt; v2.14.0")
    assert flag < deploy  # newest first
    assert "<https://unleash.example.com/projects/default/features/new-checkout-flow|link>" in text
    assert "by ci-bot" in text
    # Outside the lookback, or another service: not listed.
    assert "_config_" not in text and text.count("•") == 2


async def test_a_card_says_when_nothing_changed(harness: Harness) -> None:
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    [channel] = harness.incident_channels()
    [card] = harness.triage_cards(channel.id)
    assert "*Recent changes* (last 6 h): none recorded" in json.dumps(card.blocks)
