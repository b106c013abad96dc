"""What a storm holds: its services with their alert counts and alert names."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import IncidentRow, SignalRow


@dataclass
class ServiceTally:
    service: str
    alerts: int = 0
    alertnames: dict[str, int] = field(default_factory=dict)


@dataclass
class StormTally:
    """Services by alert count (most first), and the incidents split out of the storm."""

    services: list[ServiceTally]
    alerts: int
    split_out: list[tuple[str, int, str | None]]

    @property
    def alertnames(self) -> int:
        return len({name for s in self.services for name in s.alertnames})


async def tally(session: AsyncSession, storm_id: int) -> StormTally:
    # One row per alert (fingerprint) rather than per delivery: a storm of ten thousand
    # deliveries is read as its thousand alerts.
    per_alert = await session.exec(
        select(SignalRow.service, func.count(), func.max(SignalRow.id))
        .where(SignalRow.incident_id == storm_id)
        .group_by(col(SignalRow.service), col(SignalRow.fingerprint))
    )
    rows = list(per_alert.all())
    latest_ids = [last for _, _, last in rows if last is not None]
    names: dict[int, str] = {}
    for start in range(0, len(latest_ids), 500):
        labels = await session.exec(
            select(SignalRow.id, SignalRow.labels, SignalRow.summary).where(
                col(SignalRow.id).in_(latest_ids[start : start + 500])
            )
        )
        for signal_id, row_labels, summary in labels.all():
            if signal_id is not None:
                names[signal_id] = str(row_labels.get("alertname") or summary)[:120]
    by_service: dict[str, ServiceTally] = {}
    for service, count, last in rows:
        entry = by_service.setdefault(service, ServiceTally(service))
        entry.alerts += int(count)
        name = names.get(last or 0, "alert")
        entry.alertnames[name] = entry.alertnames.get(name, 0) + int(count)
    splits = await session.exec(
        select(IncidentRow.service, IncidentRow.id, IncidentRow.channel_id)
        .where(IncidentRow.split_from_id == storm_id)
        .order_by(col(IncidentRow.id))
    )
    services = sorted(by_service.values(), key=lambda s: (-s.alerts, s.service))
    return StormTally(
        services=services,
        alerts=sum(s.alerts for s in services),
        split_out=[(service, i, channel) for service, i, channel in splits.all() if i is not None],
    )
