"""Right before an adapter call the decision is taken again; undecided proposals expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.approvals.expiry import sweep_expired
from bot.domain.events import EventKind
from bot.store.models import ActionRow
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, action, add_action, fake_adapters
from tests.commands.slash import slash
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


async def test_a_changed_world_holds_an_autonomous_run_and_says_so(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, remediator = rig
    alert = generic_alert(labels=CRASH, dedup_key="crash")
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()
    [incident] = await harness.incidents()
    assert incident.id is not None and incident.channel_id is not None
    # Control: in limited mode the triage's restart passed the last look and ran.
    assert remediator.execute_calls >= 1
    ran = remediator.execute_calls

    # The world changes between a decision and its run: autonomy is lowered to assist.
    lowered = await slash(harness, incident.channel_id, "mode assist all", "U0ALICE")
    assert "assist" in lowered["text"]
    scale = {"replicas_delta": "2", "max_replicas": "20"}
    row = await add_action(harness, incident, action="scale_deployment", params=scale, approvers=[])
    async with harness.sessions() as session, session.begin():
        await session.exec(
            update(ActionRow)
            .where(col(ActionRow.id) == row.id)
            .values(
                decided_by="policy",
                decision="auto_execute",
                approvals_needed=0,
                triage_id=incident.triage_id,
            )
        )
    await harness.drain_due()

    held = await action(harness, row.id or 0)
    assert held.state == "awaiting_approval" and held.decided_by is None
    assert remediator.execute_calls == ran
    decided = [e for e in await harness.events(incident.id) if e.kind == EventKind.ACTION_DECIDED]
    assert any("No longer runs by itself" in str(e.data.get("held_because")) for e in decided)
    texts = [m.text or "" for m in harness.emulator.state.messages_in(incident.channel_id)]
    assert any("was about to run by itself, but" in t for t in texts)


async def test_the_sweeper_retires_proposals_on_time_and_edits_the_card(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, _ = rig
    alert = generic_alert(labels={"alertname": "SomethingOdd"}, annotations={}, dedup_key="odd")
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()
    [incident] = await harness.incidents()
    row = await add_action(harness, incident, state="awaiting_approval", queue=False)
    rt = harness.app.runtime

    async with harness.sessions() as session:
        waiting = (
            await session.exec(select(ActionRow).where(ActionRow.state == "awaiting_approval"))
        ).all()
    assert row.id in {w.id for w in waiting}
    assert await sweep_expired(rt) == 0  # not yet due
    harness.app.time.advance(minutes=31)  # type: ignore[attr-defined]
    assert await sweep_expired(rt) == len(waiting)
    assert (await action(harness, row.id or 0)).state == "expired"
    assert await sweep_expired(rt) == 0
    await harness.drain_due()
    assert incident.channel_id is not None
    cards = harness.triage_cards(incident.channel_id)
    assert "expired" in str(cards[-1].blocks)
