"""Lanes: each job is stored with its lane and incident; a given-up job is the incident's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.domain.events import EventKind
from bot.handoff.requests import request_handoff
from bot.outbox import service as outbox
from bot.paging import jobs as paging_jobs
from bot.ports.adapters import AdapterError
from bot.store.models import OutboxRow
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import stop_harness
from tests.tickets.support import (
    TicketHarness,
    attach_adapters,
    open_incident,
    start_ticket_harness,
)

REFUSED = "PagerDuty refused the routing key (400)"


@pytest.fixture
async def th(database: DatabaseTarget, emulator: SlackEmulator) -> AsyncIterator[TicketHarness]:
    running = await start_ticket_harness(database, emulator)
    yield running
    await stop_harness(running.harness)


async def test_a_given_up_page_is_in_the_incidents_timeline_and_its_handoff(
    th: TicketHarness,
) -> None:
    incident = await open_incident(th)
    assert incident.id is not None
    attach_adapters(th)
    th.pager.fail("trigger", AdapterError("invalid_routing_key", REFUSED, retryable=False))
    async with th.rt.sessions() as session, session.begin():
        # Queued as the paging code queues it: the incident in the payload only.
        await outbox.enqueue(
            session,
            kind=paging_jobs.PAGE,
            correlation_id=uuid.uuid4().hex,
            now=th.clock(),
            payload={"incident_id": incident.id, "reason": "sev1", "by": ""},
        )

    await th.run_due()

    [page] = await th.jobs(paging_jobs.PAGE)
    assert (page.status, page.lane, page.incident_id) == ("dead", "pager", incident.id)
    [gave_up] = await th.events(incident.id, EventKind.JOB_GAVE_UP)
    assert gave_up.data["lane"] == "pager" and gave_up.data["kind"] == paging_jobs.PAGE
    assert REFUSED in gave_up.summary and "paging" in gave_up.summary

    async with th.rt.sessions() as session, session.begin():
        await request_handoff(
            session, incident.id, None, "slack:U0ALICE", "shift change", "c1", now=th.clock()
        )
    await th.run_due()

    [posted] = await th.events(incident.id, EventKind.HANDOFF_POSTED)
    assert f"Gave up on paging: {REFUSED}" in posted.data["text"]


async def test_jobs_of_other_lanes_never_wait_behind_the_incidents_slack_jobs(
    th: TicketHarness,
) -> None:
    incident = await open_incident(th)
    assert incident.id is not None
    now = th.clock()
    async with th.rt.sessions() as session, session.begin():
        # A Slack job that cannot run yet, then a page queued after it.
        await outbox.enqueue(
            session,
            kind="incident.post_note",
            incident_id=incident.id,
            correlation_id="c2",
            now=now,
            payload={"text": "later"},
            not_before=now.replace(year=now.year + 1),
        )
        await outbox.enqueue(
            session,
            kind=paging_jobs.PAGE,
            correlation_id="c2",
            now=now,
            payload={"incident_id": incident.id, "reason": "now", "by": ""},
        )
    attach_adapters(th)

    await th.run_due()

    assert len(th.pager.pages) == 1
    async with th.rt.sessions() as session:
        rows = (await session.exec(select(OutboxRow).where(OutboxRow.correlation_id == "c2"))).all()
    # The page went out; the note behind it and the page's own note wait their turn.
    assert sorted((r.lane, r.status) for r in rows) == [
        ("pager", "done"),
        ("slack", "pending"),
        ("slack", "pending"),
    ]
