"""Questions in an incident channel are answered in a thread, from the record, citing it."""

from __future__ import annotations

from bot.domain.events import EventKind
from tests.chat.support import (
    ALICE,
    ask,
    chat_events,
    deploy,
    message_text,
    open_incident,
    thread_replies,
)
from tests.support.harness import Harness, wait_until


async def test_what_changed_answers_with_the_recorded_deploy(harness: Harness) -> None:
    incident, channel = await open_incident(harness, deploy(minutes_before=9))
    reply = await ask(harness, channel, "what changed?")
    text = message_text(reply)
    assert "v2.14.0" in text and "checkout v2.13.2 -&gt; v2.14.0" in text
    assert "ci-bot" in text
    assert "<https://argocd.example.com/app/checkout/481|argocd/rev-481>" in text
    assert "change:argocd/rev-481" in text  # cited
    events = await harness.events(incident.id)
    kinds = [e.kind for e in events]
    assert EventKind.CHAT_MESSAGE in kinds
    [parsed] = [e for e in events if e.kind == EventKind.CHAT_PARSED]
    assert parsed.data["parsed"]["intent"] == "changes"
    assert len(parsed.data["input_sha256"]) == 64 and len(parsed.data["output_sha256"]) == 64
    [answered] = [e for e in events if e.kind == EventKind.CHAT_ANSWERED]
    assert answered.data["citations"] == ["change:argocd/rev-481"]
    assert answered.data["source"] == "parser"


async def test_no_change_in_the_lookback_says_so(harness: Harness) -> None:
    # Recorded, but days before the alert: outside the lookback.
    _, channel = await open_incident(harness, deploy(minutes_before=3 * 24 * 60))
    text = message_text(await ask(harness, channel, "anything deployed recently?"))
    assert "No change to production/checkout is recorded" in text
    assert "v2.14.0" not in text


async def test_status_timeline_and_hypothesis_come_from_the_record(harness: Harness) -> None:
    incident, channel = await open_incident(harness)
    status = message_text(await ask(harness, channel, "where are we on this one?"))
    assert f"#{incident.id}" in status and "triggered" in status
    timeline = message_text(await ask(harness, channel, "catch me up"))
    assert "Incident" in timeline and "event:" in timeline
    theory = message_text(await ask(harness, channel, "what's your theory"))
    assert "Hypothesis" in theory and "confidence" in theory


async def test_a_reply_in_the_thread_of_the_incident_card_is_answered(harness: Harness) -> None:
    incident, channel = await open_incident(harness, deploy())
    card = incident.card_ts
    assert card is not None
    await harness.driver.message(ALICE, channel, "what changed?", thread_ts=card)
    await wait_until(lambda: any(m.user != ALICE for m in thread_replies(harness, channel, card)))
    [reply] = [m for m in thread_replies(harness, channel, card) if m.user != ALICE]
    assert "v2.14.0" in message_text(reply)


async def test_channel_chatter_joins_the_timeline_bounded_and_unanswered(
    harness: Harness,
) -> None:
    incident, channel = await open_incident(harness)
    before = len(harness.emulator.state.messages_in(channel))
    await harness.driver.message(ALICE, channel, "pods OOMKilled again " + "x" * 900)
    [said] = await chat_events(harness, incident.id, EventKind.CHAT_MESSAGE)
    assert said.data["untrusted"] is True and said.data["truncated"] is True
    assert len(said.data["text"]) == 500
    # Nothing was posted back for plain chatter.
    assert len(harness.emulator.state.messages_in(channel)) == before + 1


async def test_a_dm_naming_an_incident_is_answered_and_one_naming_none_is_asked_which(
    harness: Harness,
) -> None:
    incident, _ = await open_incident(harness, deploy())
    im = harness.emulator.state.ensure_im(ALICE)
    await harness.driver.message(ALICE, im.id, f"what changed in incident {incident.id}?")
    asked = harness.emulator.state.messages_in(im.id)[-1]
    await wait_until(lambda: bool(thread_replies(harness, im.id, asked.ts)))
    assert "v2.14.0" in message_text(thread_replies(harness, im.id, asked.ts)[0])
    await harness.driver.message(ALICE, im.id, "what changed?")
    vague = harness.emulator.state.messages_in(im.id)[-1]
    await wait_until(lambda: bool(thread_replies(harness, im.id, vague.ts)))
    text = message_text(thread_replies(harness, im.id, vague.ts)[0])
    assert "Which incident?" in text and f"#{incident.id}" in text
