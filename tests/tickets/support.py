"""A running smokejumper with the ticket and handoff jobs, a fake ticket system and pager."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from bot.domain.clock import VirtualTime
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.outbox.service import DONE, PENDING
from bot.runtime import Runtime
from bot.store.models import EventRow, IncidentRow, OutboxRow
from bot.tickets.requests import request_sync
from handlers.slack.reactions import register_reactions
from integrations.pagerduty.fake import FakePager
from integrations.servicenow.fake import FakeTicketing
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness

RESPONDER = "U0ALICE"
OUTAGE_TEXT = "is unreachable; the timeline will be written when it is back"
RECOVERY_TEXT = "is reachable again"


@dataclass
class TicketHarness:
    harness: Harness
    clock: VirtualTime
    ticketing: Any
    pager: FakePager

    @property
    def rt(self) -> Runtime:
        return self.harness.app.runtime

    async def run_due(self, rounds: int = 200) -> int:
        """Run every job that is due now, including the ones those jobs queue; return the count."""
        ran = 0
        for _ in range(rounds):
            step = await self.harness.app.worker.run_once()
            if step == 0:
                return ran
            ran += step
        raise AssertionError("the outbox kept producing due jobs")

    async def wait_out_retries(self, seconds: float = 400) -> int:
        """Move past every parked retry's backoff and run what became due."""
        self.clock.advance(seconds)
        return await self.run_due()

    async def incident(self, incident_id: int) -> IncidentRow:
        async with self.rt.sessions() as session:
            row = await session.get(IncidentRow, incident_id, populate_existing=True)
        assert row is not None
        return row

    async def events(self, incident_id: int, kind: str | None = None) -> list[EventRow]:
        rows = await self.harness.events(incident_id)
        return [e for e in rows if kind is None or e.kind == kind]

    async def jobs(self, kind: str, status: str | None = None) -> list[OutboxRow]:
        async with self.rt.sessions() as session:
            query = select(OutboxRow).where(OutboxRow.kind == kind)
            if status is not None:
                query = query.where(OutboxRow.status == status)
            return list((await session.exec(query.order_by(col(OutboxRow.id)))).all())

    async def add_notes(self, incident_id: int, texts: list[str], actor: str = RESPONDER) -> None:
        """Record notes the way a command does, asking for a sync after each one."""
        for text in texts:
            async with self.rt.sessions() as session, session.begin():
                eventlog.record(
                    session,
                    kind=EventKind.NOTE_ADDED,
                    summary=text,
                    actor=f"slack:{actor}",
                    correlation_id=uuid.uuid4().hex,
                    at=self.clock(),
                    incident_id=incident_id,
                )
                await request_sync(session, incident_id, uuid.uuid4().hex, self.clock())

    def channel_texts(self, channel_id: str) -> list[str]:
        return [m.text for m in self.harness.emulator.state.messages_in(channel_id)]

    def told(self, channel_id: str, phrase: str) -> int:
        return sum(phrase in text for text in self.channel_texts(channel_id))


async def open_incident(th: TicketHarness, **alert: Any) -> IncidentRow:
    """An alert in, its incident out: channel, card and triage done."""
    before = {i.id for i in await th.harness.incidents()}
    reply = await post_signed(th.harness, "/alerts/generic", generic_alert(**alert))
    assert reply.status == 202, reply.body
    await th.run_due()
    [incident] = [i for i in await th.harness.incidents() if i.id not in before]
    assert incident.channel_id is not None and incident.card_ts is not None
    return incident


def wire(harness: Harness) -> None:
    """Register the reaction listener, as the app does (its job list has the ticket jobs)."""
    rt = harness.app.runtime
    # Bolt runs the first matching listener only, so this is harmless once the app has it.
    register_reactions(harness.app.bolt, rt)


async def start_ticket_harness(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    ticketing: Any | None = None,
    clock: VirtualTime | None = None,
) -> TicketHarness:
    """The harness on a virtual clock that `wait_out_retries` moves forward."""
    clock = clock if clock is not None else VirtualTime()
    harness = await start_harness(database, emulator, time=clock)
    wire(harness)
    return TicketHarness(harness, clock, ticketing or FakeTicketing(), FakePager())


def attach_adapters(th: TicketHarness) -> None:
    """Give the runtime the ticket system and pager (after intake, so no gate uses them)."""
    th.rt.adapters.ticketing = th.ticketing
    th.rt.adapters.pager = th.pager


__all__ = [
    "DONE",
    "OUTAGE_TEXT",
    "PENDING",
    "RECOVERY_TEXT",
    "RESPONDER",
    "TicketHarness",
    "attach_adapters",
    "open_incident",
    "start_ticket_harness",
    "wire",
]
