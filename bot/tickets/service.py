"""Ticket state on the incident row, changed only by conditional updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.incidents import service as incidents
from bot.ports.ticketing import TicketRef
from bot.store.models import EventRow, IncidentRow
from bot.tickets import notes


@dataclass(frozen=True, slots=True)
class NotesBatch:
    """Timeline entries after event `after` up to `last`, to be written as one work note."""

    ref: TicketRef
    after: int
    last: int
    text: str

    @property
    def batch_id(self) -> str:
        return notes.batch_id(self.after, self.last)


def ticket_of(incident: IncidentRow) -> TicketRef | None:
    """The ticket an incident holds, if one was created."""
    if not incident.ticket_sys_id or not incident.ticket_ref:
        return None
    return TicketRef(
        number=incident.ticket_ref, sys_id=incident.ticket_sys_id, url=incident.ticket_url or ""
    )


async def save_ticket(
    session: AsyncSession, incident_id: int, ref: TicketRef, now: datetime
) -> bool:
    """Store the ticket unless one is stored already; True when this call stored it."""
    result = await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id, col(IncidentRow.ticket_sys_id).is_(None))
        .values(
            ticket_ref=ref.number,
            ticket_sys_id=ref.sys_id,
            ticket_url=ref.url or None,
            updated_at=now,
            version=IncidentRow.version + 1,
        )
    )
    return result.rowcount == 1


async def _events(
    session: AsyncSession, incident_id: int, after: int, last: int | None, limit: int | None
) -> list[EventRow]:
    query = select(EventRow).where(EventRow.incident_id == incident_id, col(EventRow.id) > after)
    if last is not None:
        query = query.where(col(EventRow.id) <= last)
    query = query.order_by(col(EventRow.id))
    if limit is not None:
        query = query.limit(limit)
    result = await session.exec(query)
    return list(result.all())


async def next_batch(session: AsyncSession, incident_id: int) -> NotesBatch | None:
    """The batch in flight, or the next one taken from the timeline; None when all is written.

    Taking a batch records its last event id first, so a retry after a crash resends
    exactly that range under the same batch id and the ticket system can drop the repeat.
    """
    incident = await incidents.get(session, incident_id)
    if incident is None:
        return None
    ref = ticket_of(incident)
    if ref is None:
        return None
    after = incident.ticket_notes_cursor
    last = incident.ticket_notes_pending_to
    if last is not None:
        events = await _events(session, incident_id, after, last, limit=None)
        return NotesBatch(ref, after, last, notes.render(events))
    chosen = notes.choose(await _events(session, incident_id, after, None, notes.MAX_ENTRIES))
    if not chosen:
        return None
    last = chosen[-1].id
    assert last is not None
    taken = await session.exec(
        update(IncidentRow)
        .where(
            col(IncidentRow.id) == incident_id,
            col(IncidentRow.ticket_notes_cursor) == after,
            col(IncidentRow.ticket_notes_pending_to).is_(None),
        )
        .values(ticket_notes_pending_to=last)
    )
    if taken.rowcount != 1:
        return None
    return NotesBatch(ref, after, last, notes.render(chosen))


async def finish_batch(session: AsyncSession, incident_id: int, batch: NotesBatch) -> bool:
    """Move the cursor past a delivered batch; False if the incident moved on without us."""
    result = await session.exec(
        update(IncidentRow)
        .where(
            col(IncidentRow.id) == incident_id,
            col(IncidentRow.ticket_notes_cursor) == batch.after,
            col(IncidentRow.ticket_notes_pending_to) == batch.last,
        )
        .values(ticket_notes_cursor=batch.last, ticket_notes_pending_to=None)
    )
    return result.rowcount == 1


async def mark_failing(session: AsyncSession, incident_id: int) -> bool:
    """Flag the incident's ticket writes as failing; True only for the first failure."""
    result = await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id, col(IncidentRow.ticket_sync_failing).is_(False))
        .values(ticket_sync_failing=True)
    )
    return result.rowcount == 1


async def mark_recovered(session: AsyncSession, incident_id: int) -> bool:
    """Clear the failing flag; True only when it was set."""
    result = await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id, col(IncidentRow.ticket_sync_failing).is_(True))
        .values(ticket_sync_failing=False)
    )
    return result.rowcount == 1
