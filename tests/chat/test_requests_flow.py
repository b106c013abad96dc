"""Requests in chat become catalog proposals decided by policy; nothing runs until approved."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.actions import jobs as action_jobs
from bot.domain.events import EventKind
from bot.store.models import ActionRow, OutboxRow
from bot.triage.card import APPROVE_ACTION_ID
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.chat.support import (
    ALICE,
    BOB,
    ask,
    chat_events,
    message_text,
    open_incident,
    thread_replies,
)
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


async def jobs_of(harness: Harness, kind: str) -> list[OutboxRow]:
    async with harness.sessions() as session:
        return list((await session.exec(select(OutboxRow).where(OutboxRow.kind == kind))).all())


def buttons(message: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for block in getattr(message, "blocks", None) or []:
        if block.get("type") == "actions":
            found.extend(block["elements"])
    return found


async def click(harness: Harness, channel: str, ts: str, action_id: str, user: str) -> None:
    before = len(harness.emulator.state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user, channel_id=channel, message_ts=ts, action_id=action_id
    )
    assert reply.status == 200
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)


@pytest.mark.both_databases
async def test_restart_checkout_is_proposed_with_buttons_and_runs_only_once_approved(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, remediator = rig
    incident, channel = await open_incident(harness)
    executes_before = len(await jobs_of(harness, action_jobs.EXECUTE))
    reply = await ask(harness, channel, "restart checkout")
    text = message_text(reply)
    assert "restart_deployment" in text and "Proposed for <@U0ALICE>" in text
    labels = {str(b["action_id"]) for b in buttons(reply)}
    assert {"sj_action_approve", "sj_action_deny"} <= labels

    [row] = await chat_actions(harness)
    assert row.state == "awaiting_approval"
    assert row.target == "production/checkout"
    assert row.proposed_by == ALICE and row.triage_id == incident.triage_id
    await harness.drain_due()
    assert remediator.execute_calls == 0
    assert len(await jobs_of(harness, action_jobs.EXECUTE)) == executes_before
    # The dry run is there, as for a triage's proposal.
    async with harness.sessions() as session:
        described = await session.get(ActionRow, row.id)
    assert described is not None and described.plan

    # The two-person rule: whoever asked cannot approve.
    await click(harness, channel, reply.ts, APPROVE_ACTION_ID, ALICE)
    assert "someone else must approve" in harness.emulator.state.response_posts[-1].text
    for user in [BOB][: row.approvals_needed]:
        await click(harness, channel, reply.ts, APPROVE_ACTION_ID, user)
    await harness.drain_due()
    if row.approvals_needed == 1:
        assert remediator.execute_calls == 1

    events = await harness.events(incident.id)
    [planned] = [e for e in events if e.kind == EventKind.CHAT_PLANNED]
    assert planned.data["plan"]["kind"] == "proposed"
    assert len(planned.data["input_sha256"]) == 64
    assert any(e.kind == EventKind.ACTION_PROPOSED and e.actor == f"slack:{ALICE}" for e in events)


async def test_scale_without_a_number_asks_with_buttons_and_a_click_proposes(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, _ = rig
    _, channel = await open_incident(harness)
    question = await ask(harness, channel, "scale up checkout")
    assert "By how many replicas?" in message_text(question)
    assert await chat_actions(harness) == []
    [first, *_] = buttons(question)
    before = len(harness.emulator.state.messages_in(channel))
    await harness.driver.click_button(
        user_id=ALICE,
        channel_id=channel,
        message_ts=question.ts,
        action_id=str(first["action_id"]),
    )
    await wait_until(lambda: len(harness.emulator.state.messages_in(channel)) > before)
    [row] = await chat_actions(harness)
    assert row.action == "scale_deployment" and row.params["replicas_delta"] == "1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("delete the checkout namespace", "not something I can do"),
        ("restart payments", "outside this incident"),
    ],
)
async def test_outside_the_catalog_or_the_scope_is_refused_with_what_is_possible(
    rig: tuple[Harness, CountingRemediator], text: str, expected: str
) -> None:
    harness, _ = rig
    _, channel = await open_incident(harness)
    # Another open incident makes "payments" a known service name.
    reply = message_text(await ask(harness, channel, text))
    assert expected in reply
    if "catalog" in expected or "not something" in expected:
        assert "restart_deployment" in reply
    assert await chat_actions(harness) == []


async def test_freeze_for_30m_is_offered_and_the_click_freezes(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, _ = rig
    _, channel = await open_incident(harness)
    question = await ask(harness, channel, "freeze for 30m")
    assert "Freeze autonomy for `checkout` for 30 min?" in message_text(question)
    [button] = buttons(question)
    before = len(thread_replies(harness, channel, question.thread_ts or ""))
    await harness.driver.click_button(
        user_id=BOB, channel_id=channel, message_ts=question.ts, action_id=str(button["action_id"])
    )
    assert await chat_events(harness, None, EventKind.AUTONOMY_FROZEN)
    await wait_until(
        lambda: len(thread_replies(harness, channel, question.thread_ts or "")) > before
    )
