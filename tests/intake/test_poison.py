"""Text no database or Slack call can take is made safe at intake: the triage still runs."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.outbox.service import DEAD
from bot.store.models import OutboxRow, SignalRow, TriageRow
from tests.conftest import fixture_bytes
from tests.support.harness import Harness

FIRING = "alertmanager/alertmanager_0.25_firing.json"


@pytest.mark.both_databases
async def test_a_lone_surrogate_and_a_nul_are_cleaned_and_the_triage_completes(
    harness: Harness,
) -> None:
    # Escapes, as a sender's JSON encoder writes them: a lone high surrogate, a NUL.
    body = (
        fixture_bytes(FIRING)
        .replace(b'"DiskFull"', b'"Disk\\ud800Full"', 1)
        .replace(b'"Disk 95% full"', b'"Disk\\u0000 95% full"', 1)
    )

    reply = await harness.post("/alerts/alertmanager", body)
    assert reply.status == 202 and reply.body["outcomes"] == {"opened": 1}
    await harness.drain()

    async with harness.sessions() as session:
        [signal] = (await session.exec(select(SignalRow))).all()
        triages = (await session.exec(select(TriageRow))).all()
        dead = (await session.exec(select(OutboxRow).where(OutboxRow.status == DEAD))).all()
    assert signal.labels["alertname"] == "Disk\ufffdFull"
    assert signal.summary == "Disk 95% full"
    assert len(triages) == 1 and triages[0].status != "pending"
    assert dead == []
    [channel] = harness.incident_channels()
    assert harness.triage_cards(channel.id)
