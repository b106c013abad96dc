"""Approve and Deny through the real Bolt app: signed clicks, the emulator, the database."""

from __future__ import annotations

import json

from bot.actions import service as actions_service
from bot.domain.events import EventKind
from tests.approvals.factories import (
    ALICE,
    BOB,
    action_events,
    action_row,
    add_action,
    click,
    ephemeral_count,
    ephemerals,
    execute_jobs,
    open_incident,
)
from tests.support.harness import Harness, generic_alert, post_signed


async def test_an_approval_queues_the_run_and_edits_the_card_in_place(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    card = harness.emulator.state.find_message(
        incident.channel_id or "", incident.triage_card_ts or ""
    )
    assert card is not None and f"action-buttons-{row.id}" in json.dumps(card.blocks)
    edits_before = card.edits

    await click(harness, incident, row, ALICE)

    [told] = await ephemeral_count(harness, ALICE, 1)
    assert "You approved `restart_deployment`" in told
    stored = await action_row(harness, row.id)
    assert stored.state == "approved"
    assert stored.approvers == [ALICE] and stored.decided_by == ALICE
    assert stored.decided_at is not None
    [approved] = await action_events(harness, row.id, EventKind.ACTION_APPROVED)
    assert approved.actor == f"slack:{ALICE}"
    assert approved.incident_id == incident.id
    assert approved.data["params_hash"] == row.params_hash
    assert approved.data["policy_version"] == row.policy_version
    assert approved.data["approvers"] == [ALICE] and approved.data["complete"] is True
    [job] = await execute_jobs(harness, row.id)
    assert job.payload == {"action_id": row.id, "incident_id": incident.id}
    # The run is the incident's, in the adapters' lane: it never waits behind its Slack jobs.
    assert (job.incident_id, job.lane) == (incident.id, "adapters")

    await harness.drain()
    [edited] = harness.triage_cards(incident.channel_id or "")
    assert edited.ts == incident.triage_card_ts and edited.edits > edits_before
    text = json.dumps(edited.blocks)
    assert f"by <@{ALICE}> at {stored.decided_at:%H:%M} UTC" in text
    assert f"action-buttons-{row.id}" not in text


async def test_a_denial_records_who_and_never_runs(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await click(harness, incident, row, BOB, approve=False)

    [told] = await ephemeral_count(harness, BOB, 1)
    assert "You denied `restart_deployment`" in told
    stored = await action_row(harness, row.id)
    assert stored.state == "denied" and stored.decided_by == BOB and stored.approvers == []
    [denied] = await action_events(harness, row.id, EventKind.ACTION_DENIED)
    assert denied.actor == f"slack:{BOB}" and denied.data["denied_by"] == BOB
    assert await execute_jobs(harness, row.id) == []
    await harness.drain()
    [edited] = harness.triage_cards(incident.channel_id or "")
    assert f"denied by <@{BOB}>" in json.dumps(edited.blocks)

    # Approving after the denial changes nothing.
    await click(harness, incident, row, ALICE)
    [refused] = await ephemeral_count(harness, ALICE, 1)
    assert "Already denied by <@U0BOB>" in refused
    assert (await action_row(harness, row.id)).state == "denied"


async def test_someone_outside_the_approvers_may_not_deny(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await click(harness, incident, row, "U0CAROL", approve=False)

    [told] = await ephemeral_count(harness, "U0CAROL", 1)
    assert "Not denied" in told and "<!subteam^S0ONCALL>" in told
    assert (await action_row(harness, row.id)).state == "awaiting_approval"
    [refused] = await action_events(harness, row.id, EventKind.ACTION_CLICK_REFUSED)
    assert refused.data["button"] == "deny" and refused.data["refusal"] == "not_an_approver"


async def test_a_proposal_of_the_triage_is_approved_from_its_card(harness: Harness) -> None:
    reply = await post_signed(harness, "/alerts/generic", generic_alert())
    assert reply.status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    async with harness.sessions() as session:
        proposed = await actions_service.of_incident(session, incident.id or 0)
    waiting = [r for r in proposed if r.state == "awaiting_approval"]
    assert waiting, [r.state for r in proposed]
    row = waiting[0]
    [card] = harness.triage_cards(incident.channel_id or "")
    assert f"{row.id}:{row.params_hash}" in json.dumps(card.blocks)

    # The policy may ask for one approval or, for an escalated proposal, two.
    people = [BOB, ALICE][: row.approvals_needed]
    for person in people:
        await click(harness, incident, row, person)
        await ephemeral_count(harness, person, 1)

    assert "You approved" in ephemerals(harness, people[-1])[0]
    stored = await action_row(harness, row.id)
    assert stored.state == "approved" and stored.approvers == people
    assert len(await execute_jobs(harness, row.id)) == 1
