"""Outcome memory across incidents: what failed for a subject does not run by itself again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.store.models import ActionRow, IncidentRow
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.paging.test_paging_discipline import _policy
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness, stop_harness

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9", "reason": "CrashLoopBackOff"}


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, tmp_path: Path
) -> AsyncIterator[tuple[Harness, CountingRemediator]]:
    adapters, remediator, _ = fake_adapters()
    h = await start_harness(
        database,
        emulator,
        adapters=adapters,
        policy_file=_policy(tmp_path, "limited"),
        action_retry_base_seconds=0,
    )
    yield h, remediator
    await stop_harness(h)


async def _restarts(harness: Harness) -> list[ActionRow]:
    async with harness.sessions() as session:
        found = await session.exec(
            select(ActionRow)
            .where(ActionRow.action == "restart_deployment")
            .order_by(col(ActionRow.id))
        )
        return list(found.all())


async def test_a_failed_restart_is_not_run_by_itself_for_the_next_incident(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, remediator = rig
    remediator.fail("restart_deployment", retryable=False, code="forbidden")
    alert = generic_alert(labels=CRASH, dedup_key="crash-1")
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()
    [first] = await _restarts(harness)
    assert first.decision == "auto_execute" and first.state == "failed"
    async with harness.sessions() as session, session.begin():
        await session.exec(
            update(IncidentRow)
            .where(col(IncidentRow.id) == first.incident_id)
            .values(status="resolved", open_group_key=None)
        )

    again = generic_alert(labels=CRASH, dedup_key="crash-2")
    assert (await post_signed(harness, "/alerts/generic", again)).status == 202
    await harness.drain_due()
    first, second = await _restarts(harness)
    assert second.incident_id != first.incident_id
    # Proposed again, for a person to approve, with the reason on the card.
    assert second.decision in ("needs_approval", "escalate")
    assert second.state == "awaiting_approval"
    assert any(r["code"] == "failed_for_subject" for r in second.reasons)
    assert second.started_at is None  # never ran
    incidents = await harness.incidents()
    channel = next(i for i in incidents if i.id == second.incident_id).channel_id
    assert channel is not None
    cards = harness.triage_cards(channel)
    text = str(cards[-1].blocks)
    assert f"was failed on #{first.incident_id}" in text
