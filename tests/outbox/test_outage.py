"""A long Slack outage loses nothing: jobs of open incidents wait it out, then drain."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.domain.clock import VirtualTime
from bot.store.models import OutboxRow
from integrations.slack.emulator import SlackEmulator
from policies.policy import default_policy_file
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness, stop_harness

# Retries and claims across a long backlog: both backends.
pytestmark = pytest.mark.both_databases

INCIDENTS = 20
OUTAGE_SECONDS = 600


@pytest.fixture
async def harness(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime, tmp_path: Path
) -> AsyncIterator[Harness]:
    # Twenty services at once would open the storm breaker; this test is about the outbox.
    policy = default_policy_file().read_text(encoding="utf-8")
    policy = policy.replace(
        "  circuit_breaker:\n    services: 5\n", "  circuit_breaker:\n    services: 100\n"
    )
    (tmp_path / "policy.yml").write_text(policy, encoding="utf-8")
    h = await start_harness(
        database, emulator, time=virtual_time, policy_file=tmp_path / "policy.yml"
    )
    yield h
    await stop_harness(h)


async def test_a_ten_minute_slack_outage_during_twenty_new_incidents_loses_nothing(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    harness.emulator.outage(OUTAGE_SECONDS)
    start = virtual_time.now()
    for n in range(INCIDENTS):
        alert = generic_alert(dedup_key=f"outage-{n}", service=f"svc-{n}")
        reply = await post_signed(harness, "/alerts/generic", alert)
        assert reply.status == 202, reply.body

    await harness.drain()

    # The drain had to wait the outage out: the jobs kept retrying past the old
    # eight-attempt limit (about three minutes of backoff).
    assert (virtual_time.now() - start).total_seconds() >= OUTAGE_SECONDS
    channels = harness.incident_channels()
    assert len(channels) == INCIDENTS
    assert len({c.name for c in channels}) == INCIDENTS
    cards = Counter(c.id for c in channels for _ in harness.incident_cards(c.id))
    assert sorted(cards.values()) == [1] * INCIDENTS  # a card each, none twice
    incidents = await harness.incidents()
    assert len(incidents) == INCIDENTS
    assert all(i.channel_id for i in incidents)
    async with harness.sessions() as session:
        dead = (await session.exec(select(OutboxRow).where(col(OutboxRow.status) == "dead"))).all()
    assert dead == []


async def test_readyz_shows_the_backlog_an_outage_leaves(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    harness.emulator.outage(150)
    for n in range(3):
        alert = generic_alert(dedup_key=f"backlog-{n}", service=f"backlog-{n}")
        assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    virtual_time.advance(minutes=2)  # Slack is down; nothing has gone out yet

    during = (await harness.get("/readyz")).body["outbox"]
    assert during["pending"] >= 3 and during["oldest_seconds"] >= 120 and during["dead"] == 0

    await harness.drain()  # the outage ends; everything goes out
    after = (await harness.get("/readyz")).body["outbox"]
    assert after == {"pending": 0, "oldest_seconds": 0.0, "dead": 0}
