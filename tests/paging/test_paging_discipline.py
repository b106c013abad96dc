"""Every page passes the paging gate, at most one per incident; people can page anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.domain.events import EventKind
from bot.paging.request import PAGE_ANYWAY_ACTION_ID
from bot.store.models import EventRow
from integrations.slack.emulator import SlackEmulator
from policies.policy import default_policy_file
from tests.actions.support import fake_adapters, open_incident
from tests.support.database import DatabaseTarget
from tests.support.harness import (
    Harness,
    generic_alert,
    post_signed,
    start_harness,
    stop_harness,
    wait_until,
)


def _policy(tmp_path: Path, mode: str) -> Path:
    text = default_policy_file().read_text(encoding="utf-8")
    path = tmp_path / "policy.yml"
    text = text.replace("  mode: assist\n", f"  mode: {mode}\n", 1)
    # Twenty services at once would be one storm incident (tests/storms); these tests need
    # an incident each, so the breaker is set beyond reach.
    text = text.replace("    services: 5\n", "    services: 1000\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, tmp_path: Path
) -> AsyncIterator[tuple[Harness, object]]:
    adapters, _, pager = fake_adapters()
    h = await start_harness(
        database, emulator, adapters=adapters, policy_file=_policy(tmp_path, "paging")
    )
    yield h, pager
    await stop_harness(h)


async def _kinds(harness: Harness, incident_id: int) -> list[str]:
    return [e.kind for e in await harness.events(incident_id)]


async def test_a_warning_with_no_runbook_pages_nobody_and_offers_a_button(
    rig: tuple[Harness, object],
) -> None:
    harness, pager = rig
    incident = await open_incident(
        harness,
        dedup_key="odd",
        summary="Something odd happened",
        severity="warning",
        labels={"alertname": "SomethingOddHappened"},
        annotations={},
    )
    await harness.drain()
    assert incident.id is not None
    kinds = await _kinds(harness, incident.id)
    assert EventKind.PAGE_HELD in kinds
    assert EventKind.PAGE_REQUESTED not in kinds
    assert pager.pages == []  # type: ignore[attr-defined]
    [channel] = harness.incident_channels()
    [held] = [
        m
        for m in harness.emulator.state.messages_in(channel.id)
        if "Not paging on-call by itself" in (m.text or "")
    ]

    before = len(harness.emulator.state.response_posts)
    reply = await harness.driver.click_button(
        user_id="U0ALICE",
        channel_id=channel.id,
        message_ts=held.ts,
        action_id=PAGE_ANYWAY_ACTION_ID,
    )
    assert reply.status == 200
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)
    await harness.drain()
    assert len(pager.pages) == 1  # type: ignore[attr-defined]
    requested = [e for e in await harness.events(incident.id) if e.kind == EventKind.PAGE_REQUESTED]
    assert [e.actor for e in requested] == ["<@U0ALICE>"]
    texts = [m.text or "" for m in harness.emulator.state.messages_in(channel.id)]
    assert any(
        t.startswith("📟 Paged on-call through pagerduty at the request of <@U0ALICE>")
        for t in texts
    )


async def test_twenty_escalations_page_at_most_the_policy_limit(
    rig: tuple[Harness, object],
) -> None:
    harness, pager = rig
    crash = {"alertname": "KubePodCrashLooping", "reason": "CrashLoopBackOff"}
    # Twenty critical crash loops over 50 minutes: each one's triage wants a page and passes
    # the gate on its own; four services per ten minutes keep the storm breaker shut.
    for n in range(20):
        stamp = harness.app.runtime.clock().isoformat()
        labels = {**crash, "pod": f"svc{n}-7d9f8b6c5-x2x7q", "container": "api"}
        alert = generic_alert(
            dedup_key=f"crash-{n}", service=f"svc{n}", labels=labels, timestamp=stamp
        )
        assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
        await harness.drain_due()
        harness.app.time.advance(minutes=2.5)  # type: ignore[attr-defined]
    limit = harness.app.runtime.policy.rules.limits.paging_rate.pages
    async with harness.sessions() as session:
        requested = (
            await session.exec(
                select(EventRow).where(EventRow.kind == EventKind.PAGE_REQUESTED.value)
            )
        ).all()
        held = (
            await session.exec(select(EventRow).where(EventRow.kind == EventKind.PAGE_HELD.value))
        ).all()
    incidents = await harness.incidents()
    assert len(incidents) == 20
    assert len(requested) == limit  # the first ones page, up to the limit
    assert len(pager.pages) == limit  # type: ignore[attr-defined]
    assert any("paging_rate_limited" in str(e.data["gate"]) for e in held)
    # Each page is announced in its incident's channel.
    paged = {e.incident_id for e in requested}
    for incident in incidents:
        if incident.id in paged and incident.channel_id:
            texts = [m.text or "" for m in harness.emulator.state.messages_in(incident.channel_id)]
            assert any(t.startswith("📟 Paged on-call through pagerduty") for t in texts)
