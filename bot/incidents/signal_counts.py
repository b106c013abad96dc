"""Counting alerts onto an incident: one prebuilt UPDATE, severity only ever raised.

Every alert that joins an incident bumps its count and version, and may raise its
severity; a storm's batch does it once for all its alerts. One statement does all three,
built once and bound per call: building an UPDATE (and its cache key) through the ORM
cost more than running it, and raising the severity was a second round trip.

The statement goes to the table, not through the ORM: it leaves loaded rows as they
are, so a caller that still needs the counted fields reads the incident again.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Update, bindparam, case, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.signals import Severity
from bot.store.models import IncidentRow


@cache
def _statement(clear_resolved: bool) -> Update:
    table = IncidentRow.__table__  # type: ignore[attr-defined]
    raised = case(
        (
            table.c.severity.in_(bindparam("lower_severities", expanding=True)),
            bindparam("raise_to", type_=table.c.severity.type),
        ),
        else_=table.c.severity,
    )
    values = {
        "signal_count": table.c.signal_count + bindparam("alerts", type_=Integer),
        "updated_at": bindparam("counted_at", type_=table.c.updated_at.type),
        "version": table.c.version + 1,
        "severity": raised,
    }
    if clear_resolved:
        values["signal_resolved"] = False
    return update(table).where(table.c.id == bindparam("counted_incident")).values(**values)


async def count_alerts(
    session: AsyncSession,
    incident_id: int,
    *,
    alerts: int,
    at: datetime,
    severity: Severity | None,
    clear_resolved: bool,
) -> None:
    """Add `alerts` to the incident's count and raise its severity to `severity` if lower.

    `clear_resolved` marks it as firing again (an alert fired after its last resolve).
    """
    lower = [s.value for s in Severity if severity is not None and s.rank < severity.rank]
    await session.exec(
        _statement(clear_resolved),
        params={
            "counted_incident": incident_id,
            "alerts": alerts,
            "counted_at": at,
            "lower_severities": lower,
            "raise_to": severity.value if severity is not None else "",
        },
    )
