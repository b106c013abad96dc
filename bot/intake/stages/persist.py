"""Stage: store every signal; a repeat delivery of the same occurrence is a duplicate.

A batch stores all its deliveries' signals in one statement before their other stages
run (`store_batch`); a delivery written alone stores its own (`Persist`). Either way a
signal whose occurrence is already stored, or stored earlier in the same batch, is a
duplicate, and ids follow the order the deliveries were taken in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.context import Disposition, IntakeContext, SignalOutcome
from bot.store.models import SignalRow
from bot.store.upsert import insert_if_absent, returning_insert


class Persist:
    name = "persist"

    async def __call__(self, ctx: IntakeContext) -> None:
        session = ctx.db()
        for outcome in ctx.outcomes:
            if outcome.disposition is Disposition.DUPLICATE or outcome.signal_id is not None:
                continue  # known committed (bot/intake/seen.py), or stored by the batch
            row_id = await insert_if_absent(
                session,
                SignalRow,
                signal_values(ctx, outcome),
                ["occurrence_key"],
                # A signal refers to no row the batch has pending; those (its log
                # entries) are written together, later (bot/intake/commit.py).
                autoflush=False,
            )
            if row_id is None:
                outcome.disposition = Disposition.DUPLICATE
            else:
                outcome.signal_id = int(row_id)


async def store_batch(session: AsyncSession, batch: Sequence[IntakeContext]) -> None:
    """Store the signals of every delivery in `batch`, in order, in one statement."""
    rows: list[dict[str, Any]] = []
    waiting: dict[str, SignalOutcome] = {}
    for ctx in batch:
        for outcome in ctx.outcomes:
            if outcome.disposition is Disposition.DUPLICATE or outcome.signal_id is not None:
                continue
            if outcome.occurrence_key in waiting:
                outcome.disposition = Disposition.DUPLICATE  # an earlier delivery's twin
                continue
            waiting[outcome.occurrence_key] = outcome
            rows.append(signal_values(ctx, outcome))
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    with session.no_autoflush:
        result = await session.exec(_store_statement(dialect), params=rows)
    for row_id, occurrence_key in result.all():
        waiting.pop(occurrence_key).signal_id = int(row_id)
    for outcome in waiting.values():
        outcome.disposition = Disposition.DUPLICATE  # stored before this batch


@cache
def _store_statement(dialect: str) -> Any:
    return returning_insert(dialect, SignalRow, ("occurrence_key",), ("id", "occurrence_key"))


def signal_values(ctx: IntakeContext, outcome: SignalOutcome) -> dict[str, Any]:
    signal = outcome.signal
    return {
        "occurrence_key": outcome.occurrence_key,
        "source": signal.source,
        "fingerprint": signal.fingerprint,
        "group_key": outcome.group_key,
        "environment": signal.environment,
        "service": signal.service,
        "severity": signal.severity.value,
        "status": signal.status.value,
        "summary": signal.summary,
        "labels": signal.labels,
        "annotations": signal.annotations,
        "links": [link.model_dump() for link in signal.links],
        "starts_at": signal.starts_at,
        "ends_at": signal.ends_at,
        "received_at": ctx.received_at,
        "delivery_id": signal.delivery_id,
        "subject": signal.subject.model_dump(mode="json") if signal.subject else None,
    }
