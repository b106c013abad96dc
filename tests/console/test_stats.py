"""Escalation feedback on the handoff, App Home's 7/30-day figures and `smokejumper report`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.actions.registry import Adapters
from bot.cli import main
from bot.console.feedback import NEEDED_ACTION_ID, NOT_NEEDED_ACTION_ID
from bot.domain.clock import VirtualTime
from bot.store.models import ActionRow
from bot.triage.card import APPROVE_ACTION_ID
from integrations.kubernetes.fake import FakeRemediator
from integrations.pagerduty.fake import FakePager
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


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[Harness]:
    remediator = FakeRemediator()
    remediator.fail("restart_deployment", retryable=False, code="forbidden")
    adapters = Adapters(remediators=[remediator], pager=FakePager())
    h = await start_harness(
        database, emulator, time=virtual_time, adapters=adapters, action_retry_base_seconds=0
    )
    yield h
    await stop_harness(h)


async def precision(harness: Harness) -> float:
    async with harness.http.get(harness.app.url + "/metrics") as resp:
        text = await resp.text()
    for family in text_string_to_metric_families(text):
        if family.name == "smokejumper_escalation_precision":
            return float(family.samples[0].value)
    raise AssertionError("no escalation precision")


async def escalate_once(harness: Harness, virtual_time: VirtualTime) -> str:
    """An incident acknowledged after 2 minutes whose approved restart fails."""
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.channel_id and incident.triage_card_ts
    virtual_time.advance(minutes=2)
    await slash(harness, incident.channel_id, "ack")
    await slash(harness, incident.channel_id, "commander")
    async with harness.sessions() as session:
        [restart] = (
            await session.exec(select(ActionRow).where(ActionRow.action == "restart_deployment"))
        ).all()
    for user in ("U0ALICE", "U0BOB")[: restart.approvals_needed]:
        await answer(
            harness,
            incident.channel_id,
            incident.triage_card_ts,
            APPROVE_ACTION_ID,
            user,
            f"{restart.id}:{restart.params_hash}",
        )
    await harness.drain()
    return incident.channel_id


async def answer(
    harness: Harness, channel: str, ts: str, action_id: str, user: str, value: str | None = None
) -> str:
    state = harness.emulator.state
    before = len(state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user, channel_id=channel, message_ts=ts, action_id=action_id, value=value
    )
    assert reply.status == 200
    await wait_until(lambda: len(state.response_posts) > before)
    return str(state.response_posts[before].payload["text"])


async def test_escalation_feedback_makes_precision(rig: Harness, virtual_time: VirtualTime) -> None:
    harness = rig
    channel = await escalate_once(harness, virtual_time)
    assert await precision(harness) == 0.0
    [handoff] = harness.messages_marked(channel, "handoff-")
    assert NEEDED_ACTION_ID in str(handoff.blocks)

    assert "recorded" in await answer(harness, channel, handoff.ts, NEEDED_ACTION_ID, "U0ALICE")
    assert await precision(harness) == 1.0
    # A second thought replaces the first answer for the same escalation.
    await answer(harness, channel, handoff.ts, NOT_NEEDED_ACTION_ID, "U0BOB")
    assert await precision(harness) == 0.0


async def test_app_home_and_report_show_the_periods(
    rig: Harness,
    virtual_time: VirtualTime,
    database: DatabaseTarget,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    harness = rig
    await escalate_once(harness, virtual_time)
    assert (await harness.driver.app_home_opened("U0ALICE")).status == 200
    await wait_until(lambda: "U0ALICE" in harness.emulator.state.home_views)
    home = str(harness.emulator.state.home_views["U0ALICE"])
    for words in ("Last 7 days", "Last 30 days", "MTTA p50 / p90", "2m / 2m", "checkout (1)"):
        assert words in home, words
    assert "Autonomous share: *0% of 1 executed*" in home

    monkeypatch.setenv("SMOKEJUMPER_DATABASE_URL", database.url)
    code = await asyncio.to_thread(main, ["report", "--days", "7"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Last 7 days") and "Last 30 days" not in out
    assert "MTTA p50 / p90" in out and "2m / 2m" in out
    for bad in ("0", "seven"):
        with pytest.raises(SystemExit) as exited:
            await asyncio.to_thread(main, ["report", "--days", bad])
        assert exited.value.code == 2
