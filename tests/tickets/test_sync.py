"""The timeline in the ticket's work notes: batched, in order, each entry exactly once."""

from __future__ import annotations

import uuid

import pytest

from bot.outbox import service as outbox
from bot.tickets import jobs
from bot.tickets import service as tickets
from bot.tickets.requests import request_ticket
from tests.tickets.support import PENDING, TicketHarness, attach_adapters, open_incident

# Batches are claimed with conditional updates: check them on both backends.
pytestmark = pytest.mark.both_databases


async def ticketed_incident(th: TicketHarness) -> int:
    """An incident whose ticket is open and whose timeline so far is written."""
    incident = await open_incident(th)
    assert incident.id is not None
    attach_adapters(th)
    async with th.rt.sessions() as session, session.begin():
        await request_ticket(session, incident.id, uuid.uuid4().hex, th.clock())
    await th.run_due()
    stored = await th.incident(incident.id)
    assert stored.ticket_sys_id is not None and stored.ticket_notes_pending_to is None
    return incident.id


def note_lines(th: TicketHarness) -> list[str]:
    """Every work-note line written so far, in the order the ticket received them."""
    [ticket] = th.ticketing.tickets.values()
    return [line for _, text in ticket.work_notes for line in text.splitlines()]


def appends(th: TicketHarness) -> int:
    return [op for op, _ in th.ticketing.calls].count("append_work_notes")


async def test_entries_go_in_batches_of_fifty_in_order(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    calls_before = appends(th)
    texts = [f"observation {n:03d}" for n in range(120)]

    await th.add_notes(incident_id, texts)
    # One sync job however many entries asked for it.
    assert len(await th.jobs(jobs.SYNC, PENDING)) == 1
    await th.run_due()

    assert appends(th) - calls_before == 3
    [ticket] = th.ticketing.tickets.values()
    sizes = [len(text.splitlines()) for _, text in ticket.work_notes[-3:]]
    assert sizes == [50, 50, 20]
    written = [line.rsplit(" | ", 1)[1] for line in note_lines(th) if "observation" in line]
    assert written == texts
    stored = await th.incident(incident_id)
    events = await th.events(incident_id)
    assert stored.ticket_notes_cursor == events[-1].id
    assert stored.ticket_notes_pending_to is None


async def test_running_the_sync_again_writes_nothing_twice(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    await th.add_notes(incident_id, ["first", "second"])
    await th.run_due()
    notes_before, calls_before = len(note_lines(th)), appends(th)

    for _ in range(2):
        async with th.rt.sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                kind=jobs.SYNC,
                incident_id=incident_id,
                correlation_id=uuid.uuid4().hex,
                now=th.clock(),
            )
    assert await th.run_due() == 2

    assert len(note_lines(th)) == notes_before
    assert appends(th) == calls_before
    assert sum(line.endswith("| first") for line in note_lines(th)) == 1


async def test_a_lost_reply_resends_the_same_batch_which_the_ticket_drops(
    th: TicketHarness,
) -> None:
    incident_id = await ticketed_incident(th)
    # The note is stored on the far side, then the reply is lost.
    th.ticketing.fail_next(operations={"append_work_notes"}, after_commit=True)

    await th.add_notes(incident_id, [f"entry {n}" for n in range(60)])
    await th.run_due()
    in_flight = await th.incident(incident_id)
    assert in_flight.ticket_notes_pending_to is not None
    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1

    await th.wait_out_retries()

    [ticket] = th.ticketing.tickets.values()
    batch_ids = [batch for batch, _ in ticket.work_notes]
    assert len(batch_ids) == len(set(batch_ids))
    entries = [line for line in note_lines(th) if "| entry " in line]
    assert [line.rsplit(" | ", 1)[1] for line in entries] == [f"entry {n}" for n in range(60)]
    # The batch whose reply was lost was sent twice under one id and stored once.
    sends = [sys_id for op, sys_id in th.ticketing.calls if op == "append_work_notes"]
    assert len(sends) == len(batch_ids) + 1
    done = await th.incident(incident_id)
    assert done.ticket_notes_pending_to is None and not done.ticket_sync_failing


async def test_a_crash_between_sending_and_saving_resends_under_the_same_id(
    th: TicketHarness,
) -> None:
    incident_id = await ticketed_incident(th)
    await th.add_notes(incident_id, ["before the crash", "also before"])
    # A worker takes the batch and delivers it, then dies before moving the cursor.
    async with th.rt.sessions() as session, session.begin():
        batch = await tickets.next_batch(session, incident_id)
    assert batch is not None
    await th.ticketing.append_work_notes(batch.ref, batch.batch_id, batch.text)
    crashed = await th.incident(incident_id)
    assert crashed.ticket_notes_pending_to == batch.last
    assert crashed.ticket_notes_cursor == batch.after

    await th.run_due()  # the sync job queued by the notes runs after the restart

    [ticket] = th.ticketing.tickets.values()
    assert [b for b, _ in ticket.work_notes].count(batch.batch_id) == 1
    assert sum(line.endswith("| before the crash") for line in note_lines(th)) == 1
    resumed = await th.incident(incident_id)
    assert resumed.ticket_notes_cursor == batch.last
    assert resumed.ticket_notes_pending_to is None
