"""Opening the ticket: one per incident, found again on a retry, shown on the card."""

from __future__ import annotations

import json
import uuid

import pytest

from bot.domain.events import EventKind
from bot.tickets import jobs
from bot.tickets.draft import latest_report
from bot.tickets.requests import request_ticket
from tests.tickets.support import (
    OUTAGE_TEXT,
    PENDING,
    RECOVERY_TEXT,
    TicketHarness,
    attach_adapters,
    open_incident,
)


async def ask_for_ticket(th: TicketHarness, incident_id: int) -> None:
    async with th.rt.sessions() as session, session.begin():
        await request_ticket(session, incident_id, uuid.uuid4().hex, th.clock())


async def test_the_ticket_carries_our_correlation_id_and_shows_on_the_card(
    th: TicketHarness,
) -> None:
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id and incident.card_ts
    attach_adapters(th)

    await ask_for_ticket(th, incident.id)
    await th.run_due()

    [ticket] = th.ticketing.tickets.values()
    draft = ticket.draft
    assert draft.correlation_id == incident.correlation_id
    async with th.rt.sessions() as session:
        report = await latest_report(session, incident.id)
    assert report is not None
    assert draft.classification == report.classification.value
    assert draft.team == report.recommended_team
    assert incident.title in draft.short_description
    assert incident.service in draft.description and report.hypothesis in draft.description
    assert draft.channel_url == (
        f"https://{th.harness.emulator.state.team_domain}.slack.com/archives/"
        f"{incident.channel_id}/p{incident.card_ts.replace('.', '')}"
    )

    stored = await th.incident(incident.id)
    assert stored.ticket_ref == ticket.ref.number
    assert stored.ticket_sys_id == ticket.ref.sys_id
    assert stored.ticket_url == ticket.ref.url
    [created] = await th.events(incident.id, EventKind.TICKET_CREATED)
    assert created.data["number"] == ticket.ref.number
    assert created.data["url"] == ticket.ref.url

    [card] = th.harness.incident_cards(incident.channel_id)
    ticket_block = next(b for b in card.blocks if b["block_id"].startswith("incident-ticket-"))
    link = ticket_block["elements"][0]["text"]
    assert link == f"*Ticket:* <{ticket.ref.url.replace('&', '&amp;')}|{ticket.ref.number}>"

    # The timeline so far went in right after the ticket was opened.
    written = "\n".join(text for _, text in ticket.work_notes)
    assert "Incident opened" in written or incident.title in written
    assert f"Opened {ticket.ref.number}" in written


async def test_a_lost_reply_finds_the_ticket_on_retry_instead_of_opening_another(
    th: TicketHarness,
) -> None:
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id
    attach_adapters(th)
    # The ticket is stored on the far side, then the reply is lost.
    th.ticketing.fail_next(operations={"find_or_create"}, after_commit=True)

    await ask_for_ticket(th, incident.id)
    await th.run_due()

    assert len(th.ticketing.tickets) == 1
    waiting = await th.incident(incident.id)
    assert waiting.ticket_ref is None and waiting.ticket_sync_failing
    assert len(await th.jobs(jobs.RETRY, PENDING)) == 1
    assert th.told(incident.channel_id, OUTAGE_TEXT) == 1

    await th.wait_out_retries()

    assert len(th.ticketing.tickets) == 1
    assert [op for op, _ in th.ticketing.calls].count("find_or_create") == 2
    [ticket] = th.ticketing.tickets.values()
    done = await th.incident(incident.id)
    assert done.ticket_sys_id == ticket.ref.sys_id and not done.ticket_sync_failing
    assert len(await th.events(incident.id, EventKind.TICKET_CREATED)) == 1
    assert len(await th.events(incident.id, EventKind.TICKET_SYNC_FAILED)) == 1
    assert th.told(incident.channel_id, RECOVERY_TEXT) == 1
    assert th.told(incident.channel_id, OUTAGE_TEXT) == 1


# Ticket creation is claimed once: both backends.
@pytest.mark.both_databases
async def test_repeated_requests_and_reruns_open_one_ticket(th: TicketHarness) -> None:
    incident = await open_incident(th)
    assert incident.id is not None
    attach_adapters(th)

    await ask_for_ticket(th, incident.id)
    await ask_for_ticket(th, incident.id)
    assert len(await th.jobs(jobs.CREATE, PENDING)) == 1
    await th.run_due()
    # A later request (a second gate, a click) finds the ticket already stored.
    await ask_for_ticket(th, incident.id)
    await th.run_due()

    assert len(th.ticketing.tickets) == 1
    assert [op for op, _ in th.ticketing.calls].count("find_or_create") == 1
    assert len(await th.events(incident.id, EventKind.TICKET_CREATED)) == 1
    card_updates = [
        c
        for c in th.harness.emulator.state.calls_to("chat.update")
        if "incident-ticket-" in json.dumps(c.params.get("blocks", ""))
        and th.ticketing.tickets[incident.correlation_id].ref.number
        in json.dumps(c.params.get("blocks", ""))
    ]
    assert len(card_updates) == 1
