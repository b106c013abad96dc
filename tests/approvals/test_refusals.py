"""Clicks refused at click time: each gets an ephemeral saying why, and a line in the log."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain.events import EventKind
from policies.decisions import Outcome
from tests.approvals.factories import (
    ALICE,
    BOB,
    CAROL,
    action_events,
    action_row,
    add_action,
    click,
    ephemeral_count,
    execute_jobs,
    open_incident,
)
from tests.policies.factories import policy_with
from tests.support.harness import Harness, wait_until


async def _refused(harness: Harness, action_id: int | None, code: str) -> None:
    events = await action_events(harness, action_id, EventKind.ACTION_CLICK_REFUSED)
    assert [e.data["refusal"] for e in events] == [code]


async def _slash(harness: Harness, channel: str, text: str, user: str = ALICE) -> str:
    before = len(harness.emulator.state.response_posts)
    await harness.driver.slash_command(user_id=user, channel_id=channel, text=text)
    await wait_until(lambda: len(harness.emulator.state.response_posts) > before)
    return str(harness.emulator.state.response_posts[before].payload["text"])


async def test_someone_who_may_not_approve_is_told_who_may(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await click(harness, incident, row, CAROL)

    [told] = await ephemeral_count(harness, CAROL, 1)
    assert "Not approved" in told and "Only <!subteam^S0ONCALL> may approve" in told
    assert (await action_row(harness, row.id)).state == "awaiting_approval"
    await _refused(harness, row.id, "not_an_approver")
    [refused] = await action_events(harness, row.id, EventKind.ACTION_CLICK_REFUSED)
    assert refused.actor == f"slack:{CAROL}" and refused.data["params_hash"] == row.params_hash


async def test_whoever_proposed_an_action_by_hand_may_not_approve_it(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident, proposed_by=ALICE)

    await click(harness, incident, row, ALICE)
    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "You proposed this action; someone else must approve it." in told
    await _refused(harness, row.id, "own_proposal")

    await click(harness, incident, row, BOB)
    [accepted] = await ephemeral_count(harness, BOB, 1)
    assert "You approved" in accepted
    assert (await action_row(harness, row.id)).approvers == [BOB]


async def test_a_two_person_action_needs_two_different_people(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident, action="run_webhook", params={"webhook": "flush"})
    assert row.approvals_needed == 2 and row.decision == "needs_two_approvals"

    await click(harness, incident, row, ALICE)
    [first] = await ephemeral_count(harness, ALICE, 1)
    assert "recorded; 1 more person must approve" in first
    halfway = await action_row(harness, row.id)
    assert halfway.state == "awaiting_approval" and halfway.approvers == [ALICE]
    assert await execute_jobs(harness, row.id) == []
    await harness.drain()
    [card] = harness.triage_cards(incident.channel_id or "")
    assert "approved by <@U0ALICE>" in json.dumps(card.blocks)
    assert f"action-buttons-{row.id}" in json.dumps(card.blocks)

    await click(harness, incident, row, ALICE)
    _, again = await ephemeral_count(harness, ALICE, 2)
    assert "a second, different person must approve it" in again
    await _refused(harness, row.id, "already_approved")

    await click(harness, incident, row, BOB)
    [second] = await ephemeral_count(harness, BOB, 1)
    assert "You approved" in second
    done = await action_row(harness, row.id)
    assert done.state == "approved" and done.approvers == [ALICE, BOB] and done.decided_by == BOB
    approvals = await action_events(harness, row.id, EventKind.ACTION_APPROVED)
    assert [e.data["complete"] for e in approvals] == [False, True]
    assert len(await execute_jobs(harness, row.id)) == 1


async def test_an_expired_proposal_is_refused_and_retired(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident, expires_in=timedelta(minutes=-1))

    await click(harness, incident, row, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "expired at" in told and "ask for a fresh one" in told
    await _refused(harness, row.id, "expired")
    assert (await action_row(harness, row.id)).state == "expired"
    assert len(await action_events(harness, row.id, EventKind.ACTION_EXPIRED)) == 1
    await harness.drain()
    [card] = harness.triage_cards(incident.channel_id or "")
    assert f"action-buttons-{row.id}" not in json.dumps(card.blocks)
    assert "expired" in json.dumps(card.blocks)


async def test_a_tampered_parameter_hash_is_refused(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await click(harness, incident, row, ALICE, value=f"{row.id}:{'0' * 64}")
    await click(harness, incident, row, BOB, value=f"{row.id}:not-a-hash")

    [tampered] = await ephemeral_count(harness, ALICE, 1)
    [garbled] = await ephemeral_count(harness, BOB, 1)
    assert "does not match the proposed action" in tampered
    assert "does not name an action I know" in garbled
    await _refused(harness, row.id, "params_mismatch")
    assert (await action_row(harness, row.id)).state == "awaiting_approval"
    assert await execute_jobs(harness, row.id) == []
    unmatched = [e for e in await harness.events() if e.kind == EventKind.ACTION_CLICK_REFUSED]
    assert {e.data["refusal"] for e in unmatched} == {"params_mismatch", "bad_button"}


async def test_nothing_is_approved_once_the_incident_is_resolved(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    assert "resolved" in await _slash(harness, incident.channel_id or "", "resolve", BOB)

    await click(harness, incident, row, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    # The refusal names the real state, and the proposal left the card when it resolved.
    assert "No longer offered: the incident was resolved before anyone decided" in told
    await _refused(harness, row.id, "incident_closed")
    assert (await action_row(harness, row.id)).state == "cancelled"


async def test_a_freeze_refuses_what_was_decided_to_run_by_itself(harness: Harness) -> None:
    incident = await open_incident(harness)
    autonomous = await add_action(
        harness, incident, decision=Outcome.AUTO_EXECUTE, approvals_needed=0
    )
    by_hand = await add_action(harness, incident, action="collect_diagnostics")
    assert "froze autonomy" in await _slash(harness, incident.channel_id or "", "freeze all drill")

    await click(harness, incident, autonomous, ALICE)
    [frozen] = await ephemeral_count(harness, ALICE, 1)
    assert "Autonomy is frozen for all services" in frozen
    await _refused(harness, autonomous.id, "frozen")
    assert await execute_jobs(harness, autonomous.id) == []

    # Approvals by hand still work during a freeze.
    await click(harness, incident, by_hand, BOB)
    [approved] = await ephemeral_count(harness, BOB, 1)
    assert "You approved `collect_diagnostics`" in approved
    assert len(await execute_jobs(harness, by_hand.id)) == 1


async def test_the_same_click_without_a_freeze_still_cannot_approve_autonomy(
    harness: Harness,
) -> None:
    incident = await open_incident(harness)
    autonomous = await add_action(
        harness, incident, decision=Outcome.AUTO_EXECUTE, approvals_needed=0
    )

    await click(harness, incident, autonomous, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "it cannot be approved" in told
    await _refused(harness, autonomous.id, "not_approvable")


async def test_a_policy_change_that_disables_the_action_refuses_it(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    harness.app.runtime.policy = policy_with(
        {"actions": {"restart_deployment": {"enabled": False}}}, mode="assist"
    )
    assert harness.app.runtime.policy.version != row.policy_version

    await click(harness, incident, row, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "The policy changed since this was proposed and disables this action" in told
    await _refused(harness, row.id, "policy_changed")
    assert (await action_row(harness, row.id)).state == "awaiting_approval"


async def test_a_policy_change_that_still_allows_the_action_lets_it_through(
    harness: Harness,
) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    harness.app.runtime.policy = policy_with(
        {"limits": {"verification_window_minutes": 20}}, mode="assist"
    )
    assert harness.app.runtime.policy.version != row.policy_version

    await click(harness, incident, row, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "You approved" in told
    [approved] = await action_events(harness, row.id, EventKind.ACTION_APPROVED)
    assert approved.data["policy_version"] == row.policy_version
    assert approved.data["policy_version_now"] == harness.app.runtime.policy.version
