"""Writes a request defers to the end of its batch: one per incident, not one per alert.

Every alert that joins an incident bumps its `signal_count` (and maybe its severity) and
asks for its card to be refreshed. Done per alert, that is two round trips each, and
every concurrent transaction waits on the incident's row in turn; added up and written
once per batch, the row is touched once per commit and the card refresh is queued once.
A storm's alerts are the extreme case; an incident whose alerts keep coming is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.signals import Severity
from bot.incidents import jobs as incident_jobs
from bot.incidents.signal_counts import count_alerts
from bot.outbox import service as outbox
from bot.storms import jobs as storm_jobs


@dataclass
class AlertBump:
    """What the batch's alerts change on one incident."""

    alerts: int = 0
    severity: Severity | None = None
    # False once an alert of the incident resolved after the last one that fired: the
    # resolve has already set `signal_resolved`, and a later write must not undo it.
    clear_resolved: bool = False
    # The card refresh job to queue once the batch is written (None: none).
    refresh: str | None = None
    correlation_id: str = ""
    at: datetime | None = None


@dataclass
class DeferredEffects:
    """Per-incident bumps, added up over the requests whose rows the batch commits."""

    incidents: dict[int, AlertBump] = field(default_factory=dict)

    def alert_attached(
        self, incident_id: int, severity: Severity, correlation_id: str, at: datetime
    ) -> None:
        """A firing alert joined an incident: count it, and refresh the incident's card."""
        self._count(incident_id, severity, correlation_id, at, incident_jobs.REFRESH_CARD)

    def storm_alert(
        self, storm_id: int, severity: Severity, correlation_id: str, at: datetime, *, refresh: bool
    ) -> None:
        # A storm opened in this batch gets its card from its channel job, not a refresh.
        self._count(
            storm_id, severity, correlation_id, at, storm_jobs.REFRESH_CARD if refresh else None
        )

    def alert_resolved(self, incident_id: int, correlation_id: str, at: datetime) -> None:
        """An alert of the incident resolved, and its `signal_resolved` is written already."""
        self._bump(incident_id, correlation_id, at).clear_resolved = False

    def storm_resolved(self, storm_id: int, correlation_id: str, at: datetime) -> None:
        bump = self._bump(storm_id, correlation_id, at)
        bump.clear_resolved = False
        bump.refresh = storm_jobs.REFRESH_CARD

    def merge(self, other: DeferredEffects) -> None:
        """Take a later request's bumps on top of these (its order wins for flags)."""
        for incident_id, theirs in other.incidents.items():
            assert theirs.at is not None
            ours = self._bump(incident_id, theirs.correlation_id, theirs.at)
            ours.alerts += theirs.alerts
            if theirs.severity is not None and (
                ours.severity is None or theirs.severity.rank > ours.severity.rank
            ):
                ours.severity = theirs.severity
            ours.clear_resolved = theirs.clear_resolved
            ours.refresh = ours.refresh or theirs.refresh

    async def apply(self, session: AsyncSession) -> None:
        """One UPDATE and at most one card refresh per incident touched by the batch."""
        for incident_id in sorted(self.incidents):  # a fixed order: no two batches deadlock
            bump = self.incidents[incident_id]
            assert bump.at is not None
            if bump.alerts or bump.clear_resolved:
                # A warning joining a critical incident leaves it critical.
                await count_alerts(
                    session,
                    incident_id,
                    alerts=bump.alerts,
                    at=bump.at,
                    severity=bump.severity,
                    clear_resolved=bump.clear_resolved,
                )
            if bump.refresh is not None:
                # One pending edit shows every alert since it was queued.
                await outbox.enqueue(
                    session,
                    kind=bump.refresh,
                    incident_id=incident_id,
                    correlation_id=bump.correlation_id,
                    now=bump.at,
                    coalesce=True,
                )
        self.incidents.clear()

    def _count(
        self,
        incident_id: int,
        severity: Severity,
        correlation_id: str,
        at: datetime,
        refresh: str | None,
    ) -> None:
        bump = self._bump(incident_id, correlation_id, at)
        bump.alerts += 1
        bump.clear_resolved = True
        bump.refresh = bump.refresh or refresh
        if bump.severity is None or severity.rank > bump.severity.rank:
            bump.severity = severity

    def _bump(self, incident_id: int, correlation_id: str, at: datetime) -> AlertBump:
        bump = self.incidents.setdefault(incident_id, AlertBump())
        bump.correlation_id, bump.at = correlation_id, at
        return bump
