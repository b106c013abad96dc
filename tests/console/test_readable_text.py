"""Every message of an end-to-end run reads like a person wrote it: people as Slack mentions,
no raw user ids, no escaped mentions, no mention of a non-person ("policy")."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from bot.actions.registry import Adapters
from bot.domain.clock import VirtualTime
from bot.incidents import views
from bot.store.models import ActionRow
from bot.triage.card import APPROVE_ACTION_ID
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

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9", "container": "api"}
# What Slack renders as a person, channel or group; anything else naming an id is raw.
RENDERED = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<#C[A-Z0-9]+(?:\|[^>]*)?>|<!subteam\^[^>]+>")
RAW_ID = re.compile(r"(?<![A-Za-z0-9])[UW]0[A-Z0-9]{2,}(?![A-Za-z0-9])")
NOT_A_PERSON = re.compile(r"<@(?![UW][A-Z0-9]+[|>])[^>]*>")
ESCAPED_MENTION = re.compile(r"&lt;[@#!]|&amp;(?:lt|gt|amp);")


def texts_of(value: Any) -> list[str]:
    """Every string a message shows: its text and every text inside its blocks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            t
            for key, v in value.items()
            if key not in ("value", "action_id", "block_id", "url")
            for t in texts_of(v)
        ]
    if isinstance(value, list):
        return [t for v in value for t in texts_of(v)]
    return []


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 50) : match.end() + 30]


def problems(text: str) -> list[str]:
    """Each offending piece with a little of the text around it."""
    found = [f"escaped: {_around(text, m)}" for m in ESCAPED_MENTION.finditer(text)]
    found += [f"not a person: {_around(text, m)}" for m in NOT_A_PERSON.finditer(text)]
    bare = RENDERED.sub("", text)
    found += [f"raw id: {_around(bare, m)}" for m in RAW_ID.finditer(bare)]
    return found


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[Harness]:
    remediator = FakeRemediator()
    remediator.fail("restart_deployment", retryable=False, code="forbidden")
    adapters = Adapters(remediators=[remediator], pager=FakePager(), ticketing=FakeTicketing())
    h = await start_harness(
        database, emulator, time=virtual_time, adapters=adapters, action_retry_base_seconds=0
    )
    yield h
    await stop_harness(h)


async def click(
    harness: Harness, channel: str, ts: str, action_id: str, user: str, value: str | None = None
) -> None:
    state = harness.emulator.state
    before = len(state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user, channel_id=channel, message_ts=ts, action_id=action_id, value=value
    )
    assert reply.status == 200
    await wait_until(lambda: len(state.response_posts) > before)


async def test_no_raw_user_id_or_escaped_mention_in_any_message(rig: Harness) -> None:
    harness = rig
    alert = generic_alert(labels=CRASH)
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.channel_id and incident.card_ts and incident.triage_card_ts
    channel = incident.channel_id

    await click(harness, channel, incident.card_ts, views.CARD_ACK, "U0ALICE")
    await click(harness, channel, incident.card_ts, views.CARD_COMMAND, "U0BOB")
    await slash(harness, channel, "note the pods restart every 30s <@U0BOB>")
    await slash(harness, channel, "page")
    async with harness.sessions() as session:
        [restart] = (
            await session.exec(
                select(ActionRow).where(col(ActionRow.action) == "restart_deployment")
            )
        ).all()
    for user in ("U0ALICE", "U0BOB")[: restart.approvals_needed]:
        await click(
            harness,
            channel,
            incident.triage_card_ts,
            APPROVE_ACTION_ID,
            user,
            f"{restart.id}:{restart.params_hash}",
        )
    await harness.drain()
    human = await harness.driver.message("U0BOB", channel, "checked the node, it is fine")
    assert human.status == 200
    [said] = [
        m for m in harness.emulator.state.messages_in(channel) if m.text.startswith("checked")
    ]
    await harness.driver.reaction_added("U0ALICE", channel, said.ts, "pushpin")
    await slash(harness, channel, "handoff <@U0BOB>")
    await slash(harness, channel, "timeline")
    await slash(harness, channel, "status")
    await click(harness, channel, incident.card_ts, views.CARD_RESOLVE, "U0ALICE")
    await harness.drain()

    state = harness.emulator.state
    shown: list[tuple[str, str]] = []
    for channel_id in state.channels:
        for message in state.messages_in(channel_id):
            shown += [
                (f"message {message.ts}", t) for t in texts_of([message.text, message.blocks])
            ]
        shown.append((f"topic of {channel_id}", state.channels[channel_id].topic or ""))
    for post in state.response_posts:
        shown += [("response", t) for t in texts_of(post.payload)]
    for ephemeral in state.ephemerals:
        shown += [("ephemeral", t) for t in texts_of([ephemeral.text, ephemeral.blocks])]
    bad = sorted({p for _, text in shown for p in problems(text)})
    assert bad == [], json.dumps(bad, indent=1, ensure_ascii=False)

    # One escalation, one escalation post and one handoff for it.
    kinds = [e.kind for e in await harness.events(incident.id)]
    assert kinds.count("incident.escalated") == 1
    posts = [m for m in state.messages_in(channel) if "Escalated to humans" in m.text]
    assert len(posts) == 1
    events = await harness.events(incident.id)
    [escalation] = [e for e in events if e.kind == "incident.escalated"]
    handoffs = [e for e in events if e.kind == "handoff.posted"]
    assert [e.correlation_id for e in handoffs].count(escalation.correlation_id) == 1
    # The pin credits who pinned it and who wrote it.
    [pin] = [e for e in await harness.events(incident.id) if e.kind == "timeline.pinned"]
    assert "<@U0ALICE>" in pin.summary and "<@U0BOB>" in pin.summary


def test_the_scanner_catches_what_it_should() -> None:
    assert problems("approved by U0ALICE") == ["raw id: approved by U0ALICE"]
    assert problems("&lt;@U0BOB&gt; noted")[0] == "escaped: &lt;@U0BOB&gt; noted"
    assert problems("decided by <@policy>") == ["not a person: decided by <@policy>"]
    assert problems("<@U0ALICE> approved, <#C0123ABC> and <!subteam^S0ONCALL>") == []
