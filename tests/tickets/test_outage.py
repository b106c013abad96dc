"""ServiceNow down: nothing lost, order kept, the channel told once and kept flowing."""

from __future__ import annotations

import uuid

from bot.actions.common import tell_channel
from bot.domain.events import EventKind
from bot.tickets import jobs
from tests.tickets.support import OUTAGE_TEXT, PENDING, RECOVERY_TEXT, TicketHarness
from tests.tickets.test_sync import note_lines, ticketed_incident


async def test_an_outage_delays_the_notes_but_loses_none_and_is_announced_once(
    th: TicketHarness,
) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    th.ticketing.go_down()

    early = [f"while down {n}" for n in range(3)]
    await th.add_notes(incident_id, early)
    await th.run_due()
    failing = await th.incident(incident_id)
    assert failing.ticket_sync_failing and failing.ticket_notes_pending_to is not None

    late = [f"still down {n}" for n in range(70)]
    for chunk in (late[:35], late[35:]):
        await th.add_notes(incident_id, chunk)
        # A retry is already parked: new entries queue nothing in the incident's lane.
        assert await th.jobs(jobs.SYNC, PENDING) == []
        await th.wait_out_retries()  # the parked retry comes back and fails again

    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1
    assert th.told(channel_id, OUTAGE_TEXT) == 1
    assert len(await th.events(incident_id, EventKind.TICKET_SYNC_FAILED)) == 1

    th.ticketing.come_back()
    await th.wait_out_retries()

    written = [line.rsplit(" | ", 1)[1] for line in note_lines(th)]
    mine = [text for text in written if text.startswith(("while down", "still down"))]
    assert mine == early + late
    # The outage itself is part of the record once it can be written.
    assert any("write failed (connection_error)" in text for text in written)
    [ticket] = th.ticketing.tickets.values()
    batch_ids = [batch for batch, _ in ticket.work_notes]
    assert len(batch_ids) == len(set(batch_ids))

    done = await th.incident(incident_id)
    assert not done.ticket_sync_failing and done.ticket_notes_pending_to is None
    assert done.ticket_notes_cursor == (await th.events(incident_id))[-1].id
    assert await th.jobs(jobs.RETRY, PENDING) == []
    ticket_messages = [t for t in th.channel_texts(channel_id) if "ServiceNow" in t]
    assert len(ticket_messages) == 2
    assert OUTAGE_TEXT in ticket_messages[0] and RECOVERY_TEXT in ticket_messages[1]


async def test_the_channel_keeps_flowing_while_the_ticket_waits(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    th.ticketing.go_down()
    await th.add_notes(incident_id, ["lost in the outage?"])
    await th.run_due()
    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1

    async with th.rt.sessions() as session, session.begin():
        await tell_channel(session, incident_id, "Rollback finished", uuid.uuid4().hex, th.clock())
    await th.run_due()  # no time passes: the parked retry is not due yet

    assert "Rollback finished" in th.channel_texts(channel_id)
    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1


async def test_a_second_outage_is_announced_again(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None

    for outage in range(2):
        th.ticketing.go_down()
        await th.add_notes(incident_id, [f"outage {outage}"])
        await th.run_due()
        th.ticketing.come_back()
        await th.wait_out_retries()

    assert th.told(channel_id, OUTAGE_TEXT) == 2
    assert th.told(channel_id, RECOVERY_TEXT) == 2
    written = [line.rsplit(" | ", 1)[1] for line in note_lines(th)]
    assert [t for t in written if t.startswith("outage ")] == ["outage 0", "outage 1"]


async def test_a_refusal_is_reported_as_such_and_retried_until_fixed(th: TicketHarness) -> None:
    incident_id = await ticketed_incident(th)
    channel_id = (await th.incident(incident_id)).channel_id
    assert channel_id is not None
    th.ticketing.fail_next(
        2, operations={"append_work_notes"}, code="unauthorized", retryable=False
    )

    await th.add_notes(incident_id, ["written after the credentials are fixed"])
    await th.run_due()
    await th.wait_out_retries()
    await th.wait_out_retries()

    refused = [t for t in th.channel_texts(channel_id) if "refused a ticket write" in t]
    assert len(refused) == 1 and "(unauthorized)" in refused[0]
    assert th.told(channel_id, OUTAGE_TEXT) == 0
    assert any(
        line.endswith("| written after the credentials are fixed") for line in note_lines(th)
    )
    assert th.told(channel_id, RECOVERY_TEXT) == 1
