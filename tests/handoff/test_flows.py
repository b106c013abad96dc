"""The handoff flow: from the event log to the channel, the ticket's work notes and the page."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.actions.escalate import escalate
from bot.domain.events import EventKind
from bot.handoff import jobs as handoff_jobs
from bot.handoff.render import MAX_BLOCKS, MAX_HEADER, MAX_SECTION
from bot.handoff.requests import request_handoff
from bot.incidents import service as incidents
from bot.outbox.service import DONE, PENDING
from bot.ports.adapters import AdapterError
from bot.ports.pager import Page
from bot.store.models import OutboxRow
from bot.tickets.requests import request_ticket
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import stop_harness
from tests.tickets.support import (
    TicketHarness,
    attach_adapters,
    open_incident,
    start_ticket_harness,
)

ALICE, BOB = "U0ALICE", "U0BOB"
SECTIONS = (
    "header",
    "summary",
    "fields",
    "next",
    "impact",
    "facts-end",
    "hypothesis",
    "actions",
    "questions",
    "history",
    "timeline",
    "people",
    "links",
    "context",
)


@pytest.fixture
async def th(database: DatabaseTarget, emulator: SlackEmulator) -> AsyncIterator[TicketHarness]:
    running = await start_ticket_harness(database, emulator)
    yield running
    await stop_harness(running.harness)


async def ask_for_handoff(
    th: TicketHarness, incident_id: int, owner: str | None, why: str = "shift change"
) -> None:
    async with th.rt.sessions() as session, session.begin():
        await request_handoff(
            session, incident_id, owner, f"slack:{ALICE}", why, uuid.uuid4().hex, now=th.clock()
        )


def handoffs(th: TicketHarness, channel_id: str, incident_id: int) -> list[object]:
    return list(th.harness.messages_marked(channel_id, f"handoff-{incident_id}-"))


def texts_of(blocks: list[dict[str, object]]) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


async def paged(th: TicketHarness, incident_id: int) -> str:
    """Open a page for the incident on the fake pager, as the paging job would."""
    key = f"smokejumper-{incident_id}"
    await th.pager.trigger(
        Page(
            dedup_key=key,
            summary="checkout is down",
            severity="critical",
            source="smokejumper",
            timestamp=datetime.now(UTC),
        )
    )
    async with th.rt.sessions() as session, session.begin():
        await incidents.set_fields(session, incident_id, pager_dedup_key=key)
    return key


async def test_the_handoff_is_posted_whole_within_slack_limits_and_names_the_owner(
    th: TicketHarness,
) -> None:
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None
    attach_adapters(th)

    await ask_for_handoff(th, incident.id, owner=BOB)
    await th.run_due()

    [message] = handoffs(th, incident.channel_id, incident.id)
    blocks = message.blocks
    ids = [str(b["block_id"]).removeprefix(f"handoff-{incident.id}-") for b in blocks]
    assert ids == list(SECTIONS)
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= MAX_SECTION
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
    assert sum(len(t) for t in texts_of(blocks)) <= 12_000
    fields = json.dumps(next(b for b in blocks if b["block_id"].endswith("-fields")))
    assert f"<@{BOB}>" in fields
    hypothesis = next(b for b in blocks if b["block_id"].endswith("-hypothesis"))
    assert "None recorded" not in hypothesis["text"]["text"]
    timeline = next(b for b in blocks if b["block_id"].endswith("-timeline"))
    assert "Incident opened" in timeline["text"]["text"]

    stored = await th.incident(incident.id)
    assert stored.owner == BOB
    [posted] = await th.events(incident.id, EventKind.HANDOFF_POSTED)
    assert posted.data["owner"] == BOB and posted.data["why"] == "shift change"
    assert posted.data["ts"] == message.ts
    assert posted.actor == f"slack:{ALICE}"
    assert posted.data["text"].startswith(f"Handoff: incident #{incident.id}")
    assert f"New owner: {BOB}" in posted.data["text"]
    # No ticket and no page: nothing else was called.
    assert th.ticketing.calls == [] and th.pager.calls == []


async def test_the_handoff_reaches_the_ticket_once_and_the_page(th: TicketHarness) -> None:
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None
    attach_adapters(th)
    async with th.rt.sessions() as session, session.begin():
        await request_ticket(session, incident.id, uuid.uuid4().hex, th.clock())
    await th.run_due()
    key = await paged(th, incident.id)

    await ask_for_handoff(th, incident.id, owner=None, why="escalation")
    await th.run_due()

    [posted] = await th.events(incident.id, EventKind.HANDOFF_POSTED)
    text = posted.data["text"]
    [ticket] = th.ticketing.tickets.values()
    with_handoff = [note for _, note in ticket.work_notes if text in note]
    assert len(with_handoff) == 1
    assert th.pager.notes == [(key, text)]
    assert th.pager.incidents[0].notes == [text]

    # A worker that died after recording the post but before finishing the job: it reruns.
    async with th.rt.sessions() as session, session.begin():
        await session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.kind) == handoff_jobs.POST, col(OutboxRow.status) == DONE)
            .values(status=PENDING, attempts=0)
        )
    await th.run_due()

    assert len(handoffs(th, incident.channel_id, incident.id)) == 1
    assert len(await th.events(incident.id, EventKind.HANDOFF_POSTED)) == 1
    assert len([note for _, note in ticket.work_notes if text in note]) == 1
    assert len(th.pager.notes) == 1


async def test_a_writer_paragraph_is_used_when_one_is_configured(th: TicketHarness) -> None:
    class Writer:
        def __init__(self) -> None:
            self.facts: list[str] = []

        async def write(self, facts_text: str) -> str | None:
            self.facts.append(facts_text)
            return "Checkout recovered after the rollback; watch the error rate for an hour."

    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None
    writer = Writer()
    th.rt.capabilities = replace(th.rt.capabilities, summary_writer=writer)

    await ask_for_handoff(th, incident.id, owner=None)
    await th.run_due()

    [message] = handoffs(th, incident.channel_id, incident.id)
    summary = next(b for b in message.blocks if b["block_id"].endswith("-summary"))
    assert "Checkout recovered after the rollback" in summary["text"]["text"]
    assert len(writer.facts) == 1 and incident.title in writer.facts[0]
    [posted] = await th.events(incident.id, EventKind.HANDOFF_POSTED)
    assert posted.data["summary_origin"] == "writer"


async def test_an_escalation_posts_a_handoff(th: TicketHarness) -> None:
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None

    async with th.rt.sessions() as session, session.begin():
        await escalate(
            th.rt,
            session,
            incident.id,
            reason="the restart did not bring the error rate down",
            correlation_id=uuid.uuid4().hex,
        )
    await th.run_due()

    assert len(handoffs(th, incident.channel_id, incident.id)) == 1
    [posted] = await th.events(incident.id, EventKind.HANDOFF_POSTED)
    assert posted.data["why"].startswith("escalation: the restart did not")
    assert posted.data["owner"] is None


async def test_a_pager_hiccup_is_retried_and_a_refusal_is_not(th: TicketHarness) -> None:
    incident = await open_incident(th)
    assert incident.id is not None
    attach_adapters(th)
    key = await paged(th, incident.id)
    th.pager.fail("add_note", AdapterError("server_error", "PagerDuty 503", retryable=True))

    await ask_for_handoff(th, incident.id, owner=None)
    await th.run_due()
    assert th.pager.notes == []
    await th.wait_out_retries(30)
    assert len(th.pager.notes) == 1 and th.pager.notes[0][0] == key

    th.pager.notes_enabled = False
    await ask_for_handoff(th, incident.id, owner=None, why="second shift")
    await th.run_due()
    await th.wait_out_retries(30)
    assert len(th.pager.notes) == 1
    assert th.pager.calls.count("add_note") == 3
    notes_jobs = [
        row
        for row in await th.jobs(handoff_jobs.PAGER_NOTE)
        if row.status == DONE and row.incident_id == incident.id and row.lane == "pager"
    ]
    assert len(notes_jobs) == 2
