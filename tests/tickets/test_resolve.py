"""On resolve: the handoff, the rest of the timeline, then the ticket resolved with it."""

from __future__ import annotations

import asyncio
import uuid

from bot.domain.events import EventKind
from bot.domain.lifecycle import LifecycleAction
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.tickets import jobs
from bot.tickets.requests import request_ticket
from bot.tickets.resolution import on_resolved
from tests.tickets.support import (
    OUTAGE_TEXT,
    PENDING,
    RECOVERY_TEXT,
    RESPONDER,
    TicketHarness,
    attach_adapters,
    open_incident,
)
from tests.tickets.test_sync import note_lines, ticketed_incident


async def resolve(th: TicketHarness, incident_id: int) -> None:
    """What `/incident resolve` does: the transition, its entry, and the hook."""
    now = th.clock()
    correlation_id = uuid.uuid4().hex
    async with th.rt.sessions() as session, session.begin():
        old, new = await incidents.transition(session, incident_id, LifecycleAction.RESOLVE, now)
        eventlog.record(
            session,
            kind=EventKind.INCIDENT_TRANSITIONED,
            summary=f"<@{RESPONDER}> moved the incident from {old.value} to {new.value}",
            actor=f"slack:{RESPONDER}",
            correlation_id=correlation_id,
            at=now,
            incident_id=incident_id,
            data={"from": old.value, "to": new.value, "action": "resolve"},
        )
        await on_resolved(session, incident_id, f"slack:{RESPONDER}", correlation_id, now=now)


async def test_resolve_writes_the_rest_then_resolves_with_the_handoff(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    await th.add_notes(incident_id, ["rolled back to v2.13.4"])

    await resolve(th, incident_id)
    await th.run_due()

    [ticket] = th.ticketing.tickets.values()
    assert ticket.resolved_notes is not None
    assert ticket.resolved_notes.startswith(f"Handoff: incident #{incident_id}")
    assert "Status: resolved" in ticket.resolved_notes
    # Everything up to the resolve was written before the ticket was resolved.
    operations = [op for op, _ in th.ticketing.calls]
    assert operations[-1] == "resolve"
    lines = note_lines(th)
    assert any(line.endswith("| rolled back to v2.13.4") for line in lines)
    assert any(line.endswith("to resolved") for line in lines)
    assert any(f"Handoff: incident #{incident_id}" in text for _, text in ticket.work_notes)
    stored = await th.incident(incident_id)
    assert stored.ticket_notes_cursor == (await th.events(incident_id))[-1].id
    [posted] = await th.events(incident_id, EventKind.HANDOFF_POSTED)
    assert posted.data["why"] == "resolved"
    assert len(th.harness.messages_marked(channel_id, f"handoff-{incident_id}-")) == 1
    assert th.told(channel_id, f"{ticket.ref.number} is resolved in ServiceNow") == 1


async def test_a_resolve_during_an_outage_happens_when_it_is_back(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    th.ticketing.go_down()

    await resolve(th, incident_id)
    await th.run_due()
    [ticket] = th.ticketing.tickets.values()
    assert ticket.resolved_notes is None
    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1
    await th.wait_out_retries()
    assert ticket.resolved_notes is None

    th.ticketing.come_back()
    await th.wait_out_retries()

    assert ticket.resolved_notes is not None
    assert "Status: resolved" in ticket.resolved_notes
    assert any(f"Handoff: incident #{incident_id}" in text for _, text in ticket.work_notes)
    assert th.told(channel_id, OUTAGE_TEXT) == 1
    assert th.told(channel_id, RECOVERY_TEXT) == 1
    assert await th.jobs(jobs.RETRY, PENDING) == []


async def test_a_ticket_opened_after_the_resolve_is_resolved_too(th: TicketHarness) -> None:
    incident = await open_incident(th)
    assert incident.id is not None
    attach_adapters(th)

    await resolve(th, incident.id)
    await th.run_due()
    assert th.ticketing.tickets == {}

    async with th.rt.sessions() as session, session.begin():
        await request_ticket(session, incident.id, uuid.uuid4().hex, th.clock())
    await th.run_due()

    [ticket] = th.ticketing.tickets.values()
    assert ticket.resolved_notes is not None
    assert f"Handoff: incident #{incident.id}" in ticket.resolved_notes


async def test_the_resolve_command_resolves_the_ticket(
    th: TicketHarness,
) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None

    reply = await th.harness.driver.slash_command(
        user_id=RESPONDER, channel_id=channel_id, text="resolve"
    )
    assert reply.status == 200
    # Bolt acks first and runs the command after; wait for its transaction.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (await th.incident(incident_id)).status != "resolved":
        assert loop.time() < deadline, "the resolve command did not finish"
        await asyncio.sleep(0.02)
    await th.run_due()

    [ticket] = th.ticketing.tickets.values()
    assert ticket.resolved_notes is not None
    assert ticket.resolved_notes.startswith(f"Handoff: incident #{incident_id}")
    assert len(th.harness.messages_marked(channel_id, f"handoff-{incident_id}-")) == 1


async def test_without_a_posted_handoff_the_close_notes_are_built_from_the_log(
    th: TicketHarness,
) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    await th.add_notes(incident_id, ["the fix was a config rollback"])
    now = th.clock()
    async with th.rt.sessions() as session, session.begin():
        await incidents.transition(session, incident_id, LifecycleAction.RESOLVE, now)
        eventlog.record(
            session,
            kind=EventKind.INCIDENT_TRANSITIONED,
            summary="resolved",
            actor=f"slack:{RESPONDER}",
            correlation_id=uuid.uuid4().hex,
            at=now,
            incident_id=incident_id,
            data={"from": "triggered", "to": "resolved", "action": "resolve"},
        )
        # As if the handoff post had been given up on: only the ticket's resolve is queued.
        await outbox.enqueue(
            session,
            kind=jobs.RESOLVE,
            incident_id=incident_id,
            correlation_id=uuid.uuid4().hex,
            now=now,
        )
    await th.run_due()

    [ticket] = th.ticketing.tickets.values()
    assert ticket.resolved_notes is not None
    assert ticket.resolved_notes.startswith(f"Handoff: incident #{incident_id}")
    assert "Status: resolved" in ticket.resolved_notes
    assert "the fix was a config rollback" in ticket.resolved_notes
    assert th.harness.messages_marked(channel_id, f"handoff-{incident_id}-") == []
