"""The incident card's buttons in assist mode: acknowledge, take command, page, ticket,
resolve; each decided and recorded like its `/incident` command."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from bot.actions.registry import Adapters
from bot.domain.clock import VirtualTime
from bot.incidents import views
from bot.store.models import ActionRow, IncidentRow
from integrations.kubernetes.fake import FakeRemediator
from integrations.pagerduty.fake import FakePager
from integrations.servicenow.fake import FakeTicketing
from integrations.slack.emulator import SlackEmulator
from tests.commands.slash import slash
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
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[tuple[Harness, FakePager, FakeTicketing]]:
    pager, ticketing = FakePager(), FakeTicketing()
    adapters = Adapters(remediators=[FakeRemediator()], pager=pager, ticketing=ticketing)
    h = await start_harness(database, emulator, time=virtual_time, adapters=adapters)
    yield h, pager, ticketing
    await stop_harness(h)


async def press(
    harness: Harness, incident: IncidentRow, action_id: str, user: str
) -> dict[str, Any]:
    assert incident.channel_id and incident.card_ts
    state = harness.emulator.state
    before = len(state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user,
        channel_id=incident.channel_id,
        message_ts=incident.card_ts,
        action_id=action_id,
    )
    assert reply.status == 200
    await wait_until(lambda: len(state.response_posts) > before)
    return dict(state.response_posts[before].payload)


async def open_incident(harness: Harness) -> None:
    reply = await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    assert reply.status == 202


async def incident_now(harness: Harness) -> IncidentRow:
    [incident] = await harness.incidents()
    return incident


async def test_a_responder_runs_the_incident_from_its_card(
    rig: tuple[Harness, FakePager, FakeTicketing],
) -> None:
    harness, pager, ticketing = rig
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    incident = await incident_now(harness)
    [channel] = harness.incident_channels()
    [card] = harness.incident_cards(channel.id)
    shown = json.dumps(card.blocks)
    for action_id in (views.CARD_ACK, views.CARD_RESOLVE, views.CARD_COMMAND, views.CARD_PAGE):
        assert action_id in shown
    assert '"confirm"' in shown  # Resolve asks first

    said = await press(harness, incident, views.CARD_ACK, "U0ALICE")
    assert said["response_type"] == "in_channel" and "acknowledged" in said["text"]
    said = await press(harness, incident, views.CARD_COMMAND, "U0BOB")
    assert "<@U0BOB> is now the incident commander" in said["text"]
    await harness.drain()
    incident = await incident_now(harness)
    assert incident.status == "acknowledged" and incident.owner == "U0BOB"
    assert "IC <@U0BOB>" in harness.emulator.state.channels[channel.id].topic
    [card] = harness.incident_cards(channel.id)
    assert "<@U0BOB>" in json.dumps(card.blocks)
    assert views.CARD_ACK not in json.dumps(card.blocks)  # acknowledged already

    said = await press(harness, incident, views.CARD_PAGE, "U0ALICE")
    assert "runs now" in said["text"], said
    said = await press(harness, incident, views.CARD_TICKET, "U0ALICE")
    assert "runs now" in said["text"], said
    await harness.drain()
    assert len(pager.pages) == 1
    assert len(ticketing.tickets) == 1
    async with harness.sessions() as session:
        asked = (
            await session.exec(
                select(ActionRow)
                .where(col(ActionRow.proposed_by) == "U0ALICE")
                .order_by(col(ActionRow.id))
            )
        ).all()
    assert [(r.action, r.decision, r.state, r.approvers) for r in asked] == [
        ("page_oncall", "needs_approval", "verified", ["U0ALICE"]),
        ("create_ticket", "needs_approval", "verified", ["U0ALICE"]),
    ]
    assert all(r.reasons and r.policy_version for r in asked)
    incident = await incident_now(harness)
    [card] = harness.incident_cards(channel.id)
    assert views.CARD_TICKET not in json.dumps(card.blocks)  # the ticket exists now

    # A handoff names the new commander: the topic follows.
    await slash(harness, channel.id, "handoff <@U0ALICE>")
    await harness.drain()
    assert "IC <@U0ALICE>" in harness.emulator.state.channels[channel.id].topic

    said = await press(harness, incident, views.CARD_RESOLVE, "U0ALICE")
    assert "resolved" in said["text"]
    await harness.drain()
    assert (await incident_now(harness)).status == "resolved"
    [card] = harness.incident_cards(channel.id)
    assert views.CARD_RESOLVE not in json.dumps(card.blocks)


async def test_someone_outside_the_approvers_cannot_page_alone(
    rig: tuple[Harness, FakePager, FakeTicketing],
) -> None:
    harness, pager, _ = rig
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    incident = await incident_now(harness)
    said = await press(harness, incident, views.CARD_PAGE, "U0CAROL")
    assert "waits on the triage card" in said["text"]
    await harness.drain()
    assert pager.pages == []


async def test_console_commands_refuse_bad_input(
    rig: tuple[Harness, FakePager, FakeTicketing],
) -> None:
    harness, _, _ = rig
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    incident = await incident_now(harness)
    assert incident.channel_id
    assert "Usage" in (await slash(harness, incident.channel_id, "undo seven"))["text"]
    assert "no action #999" in (await slash(harness, incident.channel_id, "undo 999"))["text"]
    assert "not a team" in (await slash(harness, incident.channel_id, "page Bad Team!"))["text"]
    assert "Usage" in (await slash(harness, incident.channel_id, "ticket now please"))["text"]
    said = await slash(harness, incident.channel_id, "commander @bob")
    assert "cannot tell who" in said["text"]
    said = await slash(harness, incident.channel_id, "commander <@U0BOB>")
    assert said["response_type"] == "in_channel"
    async with harness.sessions() as session:
        [diag] = (
            await session.exec(select(ActionRow).where(ActionRow.action == "collect_diagnostics"))
        ).all()
    said = await slash(harness, incident.channel_id, f"undo {diag.id}")
    assert "cannot be undone" in said["text"]
