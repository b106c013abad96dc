"""A re-triage after a new signal edits the triage card and records what changed."""

from __future__ import annotations

import pytest

from bot.domain.events import EventKind
from bot.triage.card import RETRIAGE_ACTION_ID
from tests.chat.support import ALICE, BOB, chat_events, message_text, open_incident
from tests.commands.slash import slash
from tests.support.harness import Harness, generic_alert, post_signed, wait_until


async def rerun_events(harness: Harness, incident_id: int) -> list[object]:
    return [e for e in await harness.events(incident_id) if e.kind == EventKind.TRIAGE_RERUN]


@pytest.mark.both_databases
async def test_retriage_after_a_new_signal_edits_the_card_with_what_changed(
    harness: Harness,
) -> None:
    incident, channel = await open_incident(harness)
    [card] = harness.triage_cards(channel)
    first_triage = incident.triage_id
    # A second, different signal on the same subject joins the incident.
    oom = generic_alert(
        # drain() moved the app's clock past queued backoffs; sign at the app's now.
        timestamp=harness.app.runtime.clock().isoformat(),
        dedup_key="checkout-oom",
        summary="checkout container OOMKilled",
        labels={
            "alertname": "KubeContainerOOMKilled",
            "namespace": "production",
            "deployment": "checkout",
        },
    )
    assert (await post_signed(harness, "/alerts/generic", oom)).status == 202
    await harness.drain()
    await harness.driver.message(BOB, channel, "memory graphs climb right before each crash")
    await chat_events(harness, incident.id, EventKind.CHAT_MESSAGE)
    answer = await slash(harness, channel, "retriage")
    assert "Re-triaging incident" in answer["text"]
    await harness.drain()

    [after] = [i for i in await harness.incidents() if i.id == incident.id]
    assert after.triage_id is not None and after.triage_id != first_triage
    assert incident.id is not None
    [rerun] = await rerun_events(harness, incident.id)
    assert rerun.data["previous_triage_id"] == first_triage  # type: ignore[attr-defined]
    assert rerun.data["what_changed"]  # type: ignore[attr-defined]
    # The same card, edited in place: never a second triage card.
    [edited] = harness.triage_cards(channel)
    assert edited.ts == card.ts
    assert "Re-triaged; what changed" in message_text(edited)


async def test_the_card_button_queues_a_retriage(harness: Harness) -> None:
    incident, channel = await open_incident(harness)
    [card] = harness.triage_cards(channel)
    before = len(harness.emulator.state.response_posts)
    await harness.driver.click_button(
        user_id=ALICE, channel_id=channel, message_ts=card.ts, action_id=RETRIAGE_ACTION_ID
    )
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)
    assert "Re-triaging" in harness.emulator.state.response_posts[-1].text
    await harness.drain()
    assert incident.id is not None
    assert len(await rerun_events(harness, incident.id)) == 1


async def test_retriage_outside_an_incident_channel_is_refused(harness: Harness) -> None:
    answer = await slash(
        harness, harness.emulator.state.channel_by_name("incidents").id, "retriage"
    )
    assert "incident channel" in answer["text"]
