"""Parser → strategist → executor: each step in the audit with the hashes of its input and
output, and each step's input is the output of the one before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.chat.audit import digest
from bot.domain.events import EventKind
from bot.triage.card import APPROVE_ACTION_ID
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.chat.support import ALICE, BOB, ask, open_incident
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator
) -> AsyncIterator[tuple[Harness, CountingRemediator]]:
    adapters, remediator, _ = fake_adapters()
    h = await start_harness(
        database,
        emulator,
        adapters=adapters,
        action_retry_base_seconds=0,
        verify_poll_seconds=60,
    )
    yield h, remediator
    await stop_harness(h)


async def test_each_step_hashes_what_it_read_and_what_it_wrote(
    rig: tuple[Harness, CountingRemediator],
) -> None:
    harness, _ = rig
    incident, channel = await open_incident(harness)
    reply = await ask(harness, channel, "restart checkout", user=ALICE)
    before = len(harness.emulator.state.response_posts)
    await harness.driver.click_button(
        user_id=BOB, channel_id=channel, message_ts=reply.ts, action_id=APPROVE_ACTION_ID
    )
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)
    await harness.drain_due()

    events = await harness.events(incident.id)
    [parsed] = [e for e in events if e.kind == EventKind.CHAT_PARSED]
    [planned] = [e for e in events if e.kind == EventKind.CHAT_PLANNED]
    # The parser hashed the message it read; the strategist read what the parser wrote.
    asked = harness.emulator.state.find_message(channel, reply.thread_ts)
    assert asked is not None and parsed.data["input_sha256"] == digest(asked.text)
    assert planned.data["input_sha256"] == parsed.data["output_sha256"]
    assert planned.data["output_sha256"] == digest(planned.data["plan"])

    action_id = planned.data["plan"]["action_id"]
    steps = [
        e for e in events if e.kind.startswith("action.") and e.data.get("action_id") == action_id
    ]
    kinds = [e.kind for e in steps]
    assert EventKind.ACTION_PROPOSED in kinds and EventKind.ACTION_APPROVED in kinds
    # Every executor step is about the same request, and says what came of it.
    assert len({e.data["input_sha256"] for e in steps}) == 1
    assert all(len(e.data["output_sha256"]) == 64 for e in steps)
    assert len({e.data["output_sha256"] for e in steps}) == len(steps)
    row_request = {
        "action": "restart_deployment",
        "target": "production/checkout",
        "params": steps[0].data["params"],
        "params_hash": steps[0].data["params_hash"],
        "idempotency_key": steps[0].data["idempotency_key"],
    }
    assert steps[0].data["input_sha256"] == digest(row_request)
    if EventKind.ACTION_SUCCEEDED in kinds:
        [done] = [e for e in steps if e.kind == EventKind.ACTION_SUCCEEDED]
        assert done.data["output_sha256"] != done.data["input_sha256"]
