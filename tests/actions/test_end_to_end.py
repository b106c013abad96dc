"""Alert → triage → one-click approval → execution → recovery, and the failure path.

Everything goes through real HTTP: the signed webhook, Bolt receiving a signed button click
from the emulator, the outbox running the adapter (the in-tree Kubernetes fake), and the
resolved webhook that verifies the action.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.domain.events import EventKind
from bot.store.models import ActionRow, IncidentRow
from bot.triage.card import APPROVE_ACTION_ID
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.support.database import DatabaseTarget
from tests.support.harness import (
    Harness,
    generic_alert,
    post_signed,
    start_harness,
    stop_harness,
    wait_until,
)

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator
) -> AsyncIterator[tuple[Harness, CountingRemediator, object]]:
    adapters, remediator, pager = fake_adapters()
    h = await start_harness(
        database, emulator, adapters=adapters, action_retry_base_seconds=0, verify_poll_seconds=60
    )
    yield h, remediator, pager
    await stop_harness(h)


async def restart_action(harness: Harness) -> ActionRow:
    async with harness.sessions() as session:
        rows = (
            await session.exec(select(ActionRow).where(ActionRow.action == "restart_deployment"))
        ).all()
    [row] = rows
    return row


async def click_approve(harness: Harness, incident: IncidentRow, row: ActionRow, user: str) -> None:
    assert incident.channel_id and incident.triage_card_ts
    before = len(harness.emulator.state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user,
        channel_id=incident.channel_id,
        message_ts=incident.triage_card_ts,
        action_id=APPROVE_ACTION_ID,
        value=f"{row.id}:{row.params_hash}",
    )
    assert reply.status == 200
    # Bolt acks first and answers through response_url once the flow has decided.
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)


APPROVERS = ["U0ALICE", "U0BOB"]


async def approve_fully(harness: Harness, incident: IncidentRow, row: ActionRow) -> None:
    """One click, or two from different people when the policy escalated the proposal."""
    assert 1 <= row.approvals_needed <= 2
    for user in APPROVERS[: row.approvals_needed]:
        await click_approve(harness, incident, row, user)
    await harness.drain_due()


# The whole path once on PostgreSQL too.
@pytest.mark.both_databases
async def test_alert_to_mitigated_through_one_approval(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    alert = generic_alert(labels=CRASH)
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()

    [incident] = await harness.incidents()
    row = await restart_action(harness)
    assert row.state == "awaiting_approval"  # assist mode: a person decides
    assert remediator.execute_calls == 0
    [channel] = harness.incident_channels()
    [card] = harness.triage_cards(channel.id)
    assert f'"{row.id}:{row.params_hash}"' in json.dumps(card.blocks)  # the button's binding

    await approve_fully(harness, incident, row)
    done = await restart_action(harness)
    assert done.state == "succeeded" and done.approvers == APPROVERS[: row.approvals_needed]
    assert remediator.execute_calls == 1

    resolved = generic_alert(labels=CRASH, status="resolved")
    assert (await post_signed(harness, "/alerts/generic", resolved)).status == 202
    await harness.drain_due()
    assert (await restart_action(harness)).state == "verified"
    [fresh] = await harness.incidents()
    assert fresh.status == "mitigated"

    kinds = [e.kind for e in await harness.events(incident.id)]
    for kind in (
        EventKind.ACTION_PROPOSED,
        EventKind.ACTION_APPROVED,
        EventKind.ACTION_EXECUTING,
        EventKind.ACTION_SUCCEEDED,
        EventKind.ACTION_VERIFIED,
    ):
        assert kind in kinds, kind
    [card] = harness.triage_cards(channel.id)
    assert "verified" in json.dumps(card.blocks)


async def test_failed_action_escalates_and_is_not_attempted_again(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, pager = rig
    remediator.fail("restart_deployment", retryable=False, code="forbidden")
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain_due()
    [incident] = await harness.incidents()
    row = await restart_action(harness)

    await approve_fully(harness, incident, row)
    assert (await restart_action(harness)).state == "failed"
    assert remediator.execute_calls == 1
    # Assist mode: the paging gate holds the escalation's page; the channel offers it.
    assert pager.pages == []
    held = [e for e in await harness.events(incident.id) if e.kind == EventKind.PAGE_HELD]
    assert len(held) == 2  # the triage's wish to page, then the escalation's
    assert incident.channel_id is not None
    notes = [
        m
        for m in harness.emulator.state.messages_in(incident.channel_id)
        if "Not paging on-call by itself" in (m.text or "")
    ]
    assert len(notes) == 1  # told once, with one Page-anyway button

    # Clicking approve again (or a Slack retry of the click) does not run it a second time.
    await click_approve(harness, incident, row, "U0BOB")
    await harness.drain_due()
    assert remediator.execute_calls == 1
    assert "Not approved" in str(harness.emulator.state.response_posts[-1].payload)
    kinds = [e.kind for e in await harness.events(incident.id)]
    assert EventKind.ESCALATED in kinds and EventKind.HANDOFF_POSTED in kinds
    [channel] = harness.incident_channels()
    texts = " ".join(m.text for m in harness.emulator.state.messages_in(channel.id))
    assert "will not be tried again" in texts
