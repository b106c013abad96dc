"""Stage: store every signal; a repeat delivery of the same occurrence is a duplicate."""

from __future__ import annotations

from bot.intake.context import Disposition, IntakeContext
from bot.store.models import SignalRow
from bot.store.upsert import insert_if_absent


class Persist:
    name = "persist"

    async def __call__(self, ctx: IntakeContext) -> None:
        session = ctx.db()
        for outcome in ctx.outcomes:
            if outcome.disposition is Disposition.DUPLICATE:
                continue  # known committed (bot/intake/seen.py)
            signal = outcome.signal
            row_id = await insert_if_absent(
                session,
                SignalRow,
                {
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
                },
                ["occurrence_key"],
                # A signal refers to no row the batch has pending; those (its log
                # entries) are written together, later (bot/intake/commit.py).
                autoflush=False,
            )
            if row_id is None:
                outcome.disposition = Disposition.DUPLICATE
            else:
                outcome.signal_id = int(row_id)
