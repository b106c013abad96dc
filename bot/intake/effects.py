"""Writes a request defers to the end of its batch: one per storm, not one per alert.

Every alert of a storm lands on the same incident row. Bumping its `signal_count` and
queueing its card refresh per alert makes every concurrent transaction wait on that row
in turn; added up and written once per batch, the row is touched once per commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.signals import Severity
from bot.incidents.signal_counts import count_alerts
from bot.storms import service as storms


@dataclass
class StormBump:
    """What the batch's alerts change on one storm incident."""

    alerts: int = 0
    severity: Severity | None = None
    # False once an alert of the storm resolved after the last one that fired: the
    # resolve has already set `signal_resolved`, and a later write must not undo it.
    clear_resolved: bool = False
    refresh: bool = False
    correlation_id: str = ""
    at: datetime | None = None


@dataclass
class DeferredEffects:
    """Per-storm bumps, added up over the requests whose rows the batch commits."""

    storms: dict[int, StormBump] = field(default_factory=dict)

    def storm_alert(
        self, storm_id: int, severity: Severity, correlation_id: str, at: datetime, *, refresh: bool
    ) -> None:
        bump = self._bump(storm_id, correlation_id, at)
        bump.alerts += 1
        bump.clear_resolved = True
        # A storm opened in this batch gets its card from its channel job, not a refresh.
        bump.refresh = bump.refresh or refresh
        if bump.severity is None or severity.rank > bump.severity.rank:
            bump.severity = severity

    def storm_resolved(self, storm_id: int, correlation_id: str, at: datetime) -> None:
        bump = self._bump(storm_id, correlation_id, at)
        bump.clear_resolved = False
        bump.refresh = True

    def merge(self, other: DeferredEffects) -> None:
        """Take a later request's bumps on top of these (its order wins for flags)."""
        for storm_id, theirs in other.storms.items():
            assert theirs.at is not None
            ours = self._bump(storm_id, theirs.correlation_id, theirs.at)
            ours.alerts += theirs.alerts
            if theirs.severity is not None and (
                ours.severity is None or theirs.severity.rank > ours.severity.rank
            ):
                ours.severity = theirs.severity
            ours.clear_resolved = theirs.clear_resolved
            ours.refresh = ours.refresh or theirs.refresh

    async def apply(self, session: AsyncSession) -> None:
        """One UPDATE and at most one card refresh per storm touched by the batch."""
        for storm_id in sorted(self.storms):  # a fixed order: no two batches deadlock
            bump = self.storms[storm_id]
            assert bump.at is not None
            if bump.alerts or bump.clear_resolved:
                await _write(session, storm_id, bump, bump.at)
            if bump.refresh:
                await storms.refresh_card(session, storm_id, bump.correlation_id, bump.at)
        self.storms.clear()

    def _bump(self, storm_id: int, correlation_id: str, at: datetime) -> StormBump:
        bump = self.storms.setdefault(storm_id, StormBump())
        bump.correlation_id, bump.at = correlation_id, at
        return bump


async def _write(session: AsyncSession, storm_id: int, bump: StormBump, at: datetime) -> None:
    # A warning joining a critical storm leaves it critical: severity is only raised.
    await count_alerts(
        session,
        storm_id,
        alerts=bump.alerts,
        at=at,
        severity=bump.severity,
        clear_resolved=bump.clear_resolved,
    )
