"""Every page passes the paging gate, at most one per incident; people can page anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.domain.events import EventKind
from bot.paging.request import PAGE_ANYWAY_ACTION_ID, request_page
from bot.store.models import EventRow
from integrations.slack.emulator import SlackEmulator
from policies.policy import default_policy_file
from tests.actions.support import fake_adapters, open_incident
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until


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
    incidents = [
        await open_incident(
            harness,
            dedup_key=f"odd-{n}",
            service=f"svc{n}",
            summary=f"Oddity {n}",
            labels={"alertname": f"Oddity{n}"},
        )
        for n in range(20)
    ]
    rt = harness.app.runtime
    limit = rt.policy.rules.limits.paging_rate.pages
    # Twenty people decide to page in a burst: each incident once, however often asked.
    async with harness.sessions() as session, session.begin():
        for incident in incidents:
            assert incident.id is not None
            for _ in range(2):
                await request_page(
                    rt, session, incident.id, reason="asked", correlation_id="c", requested_by=None
                )
    await harness.drain()
    async with harness.sessions() as session:
        requested = (
            await session.exec(
                select(EventRow).where(EventRow.kind == EventKind.PAGE_REQUESTED.value)
            )
        ).all()
    assert len(requested) <= limit
    assert len(pager.pages) == len(requested)  # type: ignore[attr-defined]
    assert len({p.dedup_key for p in pager.pages}) == len(pager.pages)  # type: ignore[attr-defined]
