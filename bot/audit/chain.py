"""Seal event-log rows into per-incident hash chains, and find the first row changed since.

Events are written by many flows at once; a row joins its incident's chain when a sealer
first sees it, in id order, so writers never wait on each other for the previous hash.
Each link stores the hash before it and its own: sha256(previous hash + canonical row).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AuditChainRow, EventRow

GENESIS = "0" * 64
# Entries that belong to no incident (fleet-wide freezes, refused clicks) share chain 0.
FLEET_CHAIN = 0


def canonical(event: EventRow) -> dict[str, Any]:
    """The fields a link covers, in a form that reads back the same from any database."""
    return {
        "id": event.id,
        "incident_id": event.incident_id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "kind": event.kind,
        "summary": event.summary,
        "data": event.data,
        "correlation_id": event.correlation_id,
    }


def link_hash(prev_hash: str, content: dict[str, Any]) -> str:
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def chain_of(event: EventRow) -> int:
    return event.incident_id if event.incident_id is not None else FLEET_CHAIN


async def seal(session: AsyncSession, now: datetime) -> int:
    """Link every event not yet in a chain; returns how many were linked (commit is yours)."""
    unsealed = await session.exec(
        select(EventRow)
        .outerjoin(AuditChainRow, col(AuditChainRow.event_id) == col(EventRow.id))
        .where(col(AuditChainRow.event_id).is_(None))
        .order_by(col(EventRow.id))
    )
    heads: dict[int, tuple[int, str]] = {}
    linked = 0
    for event in unsealed.all():
        assert event.id is not None
        chain = chain_of(event)
        if chain not in heads:
            heads[chain] = await _head(session, chain)
        seq, prev = heads[chain]
        row_hash = link_hash(prev, canonical(event))
        session.add(
            AuditChainRow(
                event_id=event.id,
                chain=chain,
                seq=seq + 1,
                prev_hash=prev,
                row_hash=row_hash,
                sealed_at=now,
            )
        )
        heads[chain] = (seq + 1, row_hash)
        linked += 1
    return linked


async def _head(session: AsyncSession, chain: int) -> tuple[int, str]:
    last = await session.exec(
        select(AuditChainRow)
        .where(AuditChainRow.chain == chain)
        .order_by(col(AuditChainRow.seq).desc())
        .limit(1)
    )
    row = last.first()
    return (row.seq, row.row_hash) if row is not None else (0, GENESIS)


@dataclass(frozen=True)
class Break:
    """The first link of a chain that no longer holds."""

    chain: int
    seq: int
    event_id: int
    why: str

    def describe(self) -> str:
        where = f"incident {self.chain}" if self.chain != FLEET_CHAIN else "entries of no incident"
        return f"{where}: row {self.seq} (event {self.event_id}) {self.why}"


@dataclass(frozen=True)
class Verification:
    chains: int
    rows: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


async def verify(session: AsyncSession, incident_id: int | None = None) -> Verification:
    """Walk each chain from its start; report the first link whose row or hash changed."""
    query = select(AuditChainRow, EventRow).outerjoin(
        EventRow, col(EventRow.id) == col(AuditChainRow.event_id)
    )
    if incident_id is not None:
        query = query.where(AuditChainRow.chain == incident_id)
    found = await session.exec(query.order_by(col(AuditChainRow.chain), col(AuditChainRow.seq)))
    pairs: Sequence[tuple[AuditChainRow, EventRow | None]] = found.all()
    breaks: dict[int, Break] = {}
    expected: dict[int, tuple[int, str]] = {}
    for link, event in pairs:
        if link.chain in breaks:
            continue
        seq, prev = expected.get(link.chain, (0, GENESIS))
        problem = _check(link, event, seq, prev)
        if problem is not None:
            breaks[link.chain] = Break(link.chain, link.seq, link.event_id, problem)
            continue
        expected[link.chain] = (link.seq, link.row_hash)
    return Verification(
        chains=len({link.chain for link, _ in pairs}), rows=len(pairs), breaks=list(breaks.values())
    )


def _check(link: AuditChainRow, event: EventRow | None, seq: int, prev: str) -> str | None:
    if link.seq != seq + 1:
        return f"follows row {seq}: rows {seq + 1} to {link.seq - 1} are missing from the chain"
    if link.prev_hash != prev:
        return "does not carry the hash of the row before it"
    if event is None:
        return "was deleted from the event log"
    if link_hash(prev, canonical(event)) != link.row_hash:
        return "was changed after it was sealed"
    return None
