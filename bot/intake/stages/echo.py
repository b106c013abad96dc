"""Stage: an alert about something the bot raised itself joins the incident it came from.

PagerDuty opens an incident for each page we send, keyed by our dedup key, and its
webhook reports that incident back as a trigger. Treated as a new alert it would open a
second incident and page again; here it only tells the original incident's channel.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from bot.domain.events import EventKind
from bot.domain.signals import Signal
from bot.eventlog import service as eventlog
from bot.incidents import jobs
from bot.intake.context import Disposition, IntakeContext
from bot.outbox import service as outbox
from bot.store.models import IncidentRow, SignalRow

# Our dedup keys (bot/paging/flows.dedup_key) and an explicit label any source may carry.
OWN_KEY_PREFIX = "smokejumper-"
ORIGIN_LABEL = "smokejumper_incident"


def own_key(signal: Signal) -> str | None:
    """The correlation id of the incident this signal echoes, if it is an echo."""
    if signal.labels.get(ORIGIN_LABEL):
        return signal.labels[ORIGIN_LABEL]
    if signal.fingerprint.startswith(OWN_KEY_PREFIX):
        return signal.fingerprint.removeprefix(OWN_KEY_PREFIX)
    return None


class AttachEchoes:
    name = "echo"

    async def __call__(self, ctx: IntakeContext) -> None:
        session = ctx.db()
        for outcome in ctx.outcomes:
            if outcome.disposition is not None:
                continue
            key = own_key(outcome.signal)
            if key is None:
                continue
            found = await session.exec(
                select(IncidentRow).where(IncidentRow.correlation_id == key[:64])
            )
            incident = found.first()
            if incident is None or incident.id is None:
                # Not ours after all (or long gone): an ordinary alert.
                continue
            outcome.incident_id = incident.id
            outcome.disposition = Disposition.ECHO
            signal = outcome.signal
            await session.exec(
                update(SignalRow)
                .where(col(SignalRow.id) == outcome.signal_id)
                .values(incident_id=incident.id)
            )
            what = signal.labels.get("event_type", signal.status.value)
            who = signal.labels.get("pagerduty_agent")
            text = f"{signal.source}: our page is {what.rsplit('.', 1)[-1]}" + (
                f" by {who}" if who else ""
            )
            eventlog.record(
                session,
                kind=EventKind.PAGER_ECHO,
                actor=signal.source,
                summary=text[:300],
                correlation_id=ctx.correlation_id,
                at=ctx.received_at,
                incident_id=incident.id,
                data={"event_type": what, "agent": who, "fingerprint": signal.fingerprint},
            )
            await outbox.enqueue(
                session,
                kind=jobs.POST_NOTE,
                incident_id=incident.id,
                correlation_id=ctx.correlation_id,
                now=ctx.received_at,
                payload={"text": f"📟 {text[:300]}"},
            )
