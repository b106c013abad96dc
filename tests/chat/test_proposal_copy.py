"""A chat proposal's copy in its thread is refreshed after a click, like the triage card."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.domain.events import EventKind
from bot.store.models import ActionRow
from bot.triage.card import APPROVE_ACTION_ID, DENY_ACTION_ID
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.chat.support import ALICE, BOB, ask, chat_events, message_text, open_incident
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator
) -> AsyncIterator[tuple[Harness, CountingRemediator]]:
    adapters, remediator, _ = fake_adapters()
    h = await start_harness(
        database, emulator, adapters=adapters, action_retry_base_seconds=0, verify_poll_seconds=60
    )
    yield h, remediator
    await stop_harness(h)


async def chat_actions(harness: Harness) -> list[ActionRow]:
    async with harness.sessions() as session:
        rows = await session.exec(select(ActionRow).where(ActionRow.proposed_by == ALICE))
        return list(rows.all())


def action_ids(message: object) -> set[str]:
    return {
        str(element.get("action_id"))
        for block in getattr(message, "blocks", None) or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


async def click(harness: Harness, channel: str, ts: str, action_id: str, user: str) -> None:
    before = len(harness.emulator.state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user, channel_id=channel, message_ts=ts, action_id=action_id
    )
    assert reply.status == 200
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)


async def test_approving_in_the_thread_shows_the_approval_on_its_copy(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, _ = rig
    incident, channel = await open_incident(harness)
    copy = await ask(harness, channel, "restart checkout")
    assert {APPROVE_ACTION_ID, DENY_ACTION_ID} <= action_ids(copy)
    assert "approved by" not in message_text(copy)
    [posted] = await chat_events(harness, incident.id, EventKind.CHAT_PROPOSAL_POSTED)
    assert posted.data["ts"] == copy.ts and posted.data["channel"] == channel
    [row] = await chat_actions(harness)

    await click(harness, channel, copy.ts, APPROVE_ACTION_ID, BOB)
    await harness.drain_due()

    text = message_text(copy)
    assert "approved by <@U0BOB>" in text and "Proposed for <@U0ALICE>" in text
    if row.approvals_needed == 1:
        assert APPROVE_ACTION_ID not in action_ids(copy)


async def test_denying_in_the_thread_takes_the_buttons_off_its_copy(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, remediator = rig
    _, channel = await open_incident(harness)
    copy = await ask(harness, channel, "restart checkout")
    edits = copy.edits

    await click(harness, channel, copy.ts, DENY_ACTION_ID, BOB)
    await harness.drain_due()

    assert copy.edits > edits and not action_ids(copy) & {APPROVE_ACTION_ID, DENY_ACTION_ID}
    assert "denied" in message_text(copy).lower() and remediator.execute_calls == 0
