"""Stage: open or update incidents, log what happened, enqueue the Slack side."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs as action_jobs
from bot.domain.clock import Clock
from bot.domain.events import EventKind
from bot.domain.signals import Severity, Signal, SignalStatus
from bot.eventlog import service as eventlog
from bot.incidents import jobs
from bot.incidents import service as incidents
from bot.incidents.opened import incident_opened
from bot.incidents.signal_counts import count_alerts
from bot.intake.context import Disposition, IntakeContext, SignalOutcome
from bot.intake.links import link_now
from bot.outbox import service as outbox
from bot.store.models import ActionRow, IncidentRow, SignalRow
from bot.storms import service as storms
from bot.storms.keys import storm_key


class OpenOrUpdateIncident:
    name = "incident"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, ctx: IntakeContext) -> None:
        for outcome in ctx.outcomes:
            if outcome.disposition in (Disposition.DUPLICATE, Disposition.ECHO):
                continue
            if outcome.signal.status is SignalStatus.FIRING:
                await self._firing(ctx, outcome)
            else:
                await self._resolved(ctx, outcome)

    async def _firing(self, ctx: IntakeContext, outcome: SignalOutcome) -> None:
        session, now, signal = ctx.db(), self._clock(), outcome.signal
        if outcome.storm is not None and outcome.storm_incident_id is not None:
            # Joining a storm grouping found open: its row is not needed, only its id.
            outcome.incident_id = outcome.storm_incident_id
            outcome.disposition = Disposition.ATTACHED
            await self._link_signal(ctx, outcome)
            await self._storm_alert(ctx, outcome, None, now)
            return
        if outcome.storm is None and outcome.incident_id is not None:
            # Joining an incident grouping found open: counted with the batch's others.
            await self._attach(ctx, outcome, outcome.incident_id, now)
            return
        if outcome.storm is not None:
            key = storm_key(signal.environment)
            incident, created = await storms.open_or_attach(session, signal, now)
        else:
            key = outcome.attach_key or outcome.group_key
            incident, created = await incidents.open_or_attach(session, signal, key, now)
        assert incident.id is not None
        if ctx.open_incidents is not None:
            ctx.open_incidents.opened(key, incident.id)
        if not created and not storms.is_storm(incident):
            await self._attach(ctx, outcome, incident.id, now)
            return
        outcome.incident_id = incident.id
        outcome.disposition = Disposition.OPENED if created else Disposition.ATTACHED
        await self._link_signal(ctx, outcome)
        if storms.is_storm(incident):
            await self._storm_alert(ctx, outcome, incident if created else None, now)
            return
        await count_alerts(
            session,
            incident.id,
            alerts=1,
            at=now,
            severity=Severity(signal.severity),
            clear_resolved=True,
        )
        data = {
            **_signal_facts(signal),
            "signal_id": outcome.signal_id,
            "group_key": outcome.group_key,
            "title": incident.title,
            "service": incident.service,
            "environment": incident.environment,
        }
        await incident_opened(
            session,
            incident,
            actor=signal.source,
            summary=f"Incident opened by {signal.source}: {signal.summary[:200]}",
            correlation_id=ctx.correlation_id,
            now=now,
            data=data,
        )

    async def _attach(
        self, ctx: IntakeContext, outcome: SignalOutcome, incident_id: int, now: datetime
    ) -> None:
        """A firing alert joins an open incident: linked and logged now; its count, severity
        and card refresh are written with the batch's others (bot/intake/effects.py)."""
        signal = outcome.signal
        outcome.incident_id = incident_id
        outcome.disposition = Disposition.ATTACHED
        await self._link_signal(ctx, outcome)
        eventlog.record(
            ctx.db(),
            kind=EventKind.INCIDENT_SIGNAL_ATTACHED,
            actor=signal.source,
            summary=f"Signal from {signal.source}: {signal.summary[:200]}",
            correlation_id=ctx.correlation_id,
            at=now,
            incident_id=incident_id,
            data={
                **_signal_facts(signal),
                "signal_id": outcome.signal_id,
                "group_key": outcome.group_key,
            },
        )
        ctx.effects.alert_attached(incident_id, Severity(signal.severity), ctx.correlation_id, now)

    async def _storm_alert(
        self,
        ctx: IntakeContext,
        outcome: SignalOutcome,
        opened: IncidentRow | None,
        now: datetime,
    ) -> None:
        """A storm alert: logged, its count and card left to the batch (one write each).

        `opened` is the storm incident when this alert opened it, else None.
        """
        session, signal = ctx.db(), outcome.signal
        storm_id = outcome.incident_id
        assert storm_id is not None
        created = opened is not None
        data = {
            **_signal_facts(signal),
            "signal_id": outcome.signal_id,
            "group_key": outcome.group_key,
            "storm": True,
        }
        if opened is not None:
            data.update(title=opened.title, service=opened.service)
            data.update(environment=opened.environment)
        kind = EventKind.INCIDENT_OPENED if created else EventKind.INCIDENT_SIGNAL_ATTACHED
        what = "Storm incident opened by" if created else "Storm alert from"
        eventlog.record(
            session,
            kind=kind,
            actor=signal.source,
            summary=f"{what} {signal.source}: {signal.summary[:200]}",
            correlation_id=ctx.correlation_id,
            at=now,
            incident_id=storm_id,
            data=data,
        )
        ctx.effects.storm_alert(
            storm_id, signal.severity, ctx.correlation_id, now, refresh=not created
        )
        # A storm gets a storm card instead of a triage: nothing runs by itself for it.
        if opened is not None and outcome.storm is not None:
            await storms.started(session, opened, outcome.storm, ctx.correlation_id, now)

    async def _resolved(self, ctx: IntakeContext, outcome: SignalOutcome) -> None:
        session, now, signal = ctx.db(), self._clock(), outcome.signal
        if outcome.incident_id is None:
            outcome.disposition = Disposition.RESOLVED_WITHOUT_INCIDENT
            eventlog.record(
                session,
                kind=EventKind.SIGNAL_RESOLVED,
                actor=signal.source,
                summary=f"Resolved with no open incident: {signal.summary[:200]}",
                correlation_id=ctx.correlation_id,
                at=now,
                data={**_signal_facts(signal), "signal_id": outcome.signal_id},
            )
            return
        outcome.disposition = Disposition.RESOLVED
        await self._link_signal(ctx, outcome)
        if ctx.pending_links is not None:
            # What still fires is read from the links: the batch's must be written first.
            await ctx.pending_links.write(session)
        still_firing = await _firing_fingerprints(session, outcome.incident_id)
        await incidents.set_fields(
            session, outcome.incident_id, signal_resolved=not still_firing, updated_at=now
        )
        eventlog.record(
            session,
            kind=EventKind.SIGNAL_RESOLVED,
            actor=signal.source,
            summary=f"Signal resolved: {signal.summary[:200]}"
            + (f" ({len(still_firing)} still firing)" if still_firing else ""),
            correlation_id=ctx.correlation_id,
            at=now,
            incident_id=outcome.incident_id,
            data={
                **_signal_facts(signal),
                "signal_id": outcome.signal_id,
                "still_firing": sorted(still_firing),
            },
        )
        if not still_firing:
            # An action waiting to be verified need not wait for its next look.
            for action_id in await _succeeded_actions(session, outcome.incident_id):
                await outbox.enqueue(
                    session,
                    kind=action_jobs.VERIFY,
                    correlation_id=ctx.correlation_id,
                    now=now,
                    payload={"action_id": action_id, "incident_id": outcome.incident_id},
                )
        incident = await incidents.get(session, outcome.incident_id)
        if incident is not None and storms.is_storm(incident):
            # A storm's recoveries show on its card (refreshed once per batch); a line
            # each would flood the channel.
            ctx.effects.storm_resolved(outcome.incident_id, ctx.correlation_id, now)
            return
        ctx.effects.alert_resolved(outcome.incident_id, ctx.correlation_id, now)
        await outbox.enqueue(
            session,
            kind=jobs.ANNOUNCE_SIGNAL_RESOLVED,
            incident_id=outcome.incident_id,
            correlation_id=ctx.correlation_id,
            now=now,
            payload={"alertname": signal.alertname, "summary": signal.summary[:500]},
        )

    @staticmethod
    async def _link_signal(ctx: IntakeContext, outcome: SignalOutcome) -> None:
        assert outcome.signal_id is not None and outcome.incident_id is not None
        if ctx.pending_links is not None:
            ctx.pending_links.add(outcome.signal_id, outcome.incident_id)
        else:
            await link_now(ctx.db(), outcome.signal_id, outcome.incident_id)


def _signal_facts(signal: Signal) -> dict[str, object]:
    """What the event log keeps of a signal, for the timeline and the handoff."""
    return {
        "fingerprint": signal.fingerprint,
        "source": signal.source,
        "alertname": signal.alertname[:200],
        "severity": signal.severity.value,
        "summary": signal.summary[:500],
        "links": [{"url": link.url, "title": link.title} for link in signal.links[:5]],
    }


async def _succeeded_actions(session: AsyncSession, incident_id: int) -> list[int]:
    result = await session.exec(
        select(ActionRow.id).where(
            ActionRow.incident_id == incident_id, ActionRow.state == "succeeded"
        )
    )
    return [action_id for action_id in result.all() if action_id is not None]


async def _firing_fingerprints(session: AsyncSession, incident_id: int) -> set[str]:
    """Fingerprints whose latest signal on this incident is still firing."""
    latest = (
        select(SignalRow.fingerprint, func.max(SignalRow.id).label("last_id"))
        .where(SignalRow.incident_id == incident_id)
        .group_by(col(SignalRow.fingerprint))
        .subquery()
    )
    result = await session.exec(
        select(SignalRow.fingerprint)
        .join(latest, col(SignalRow.id) == latest.c.last_id)
        .where(SignalRow.status == SignalStatus.FIRING.value)
    )
    return set(result.all())
