"""Counting alerts onto an incident: count, version, firing again, severity only raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.signals import Severity
from bot.incidents import service as incidents
from bot.incidents.signal_counts import count_alerts
from tests.handoff.factories import incident_row
from tests.support.harness import Harness

pytestmark = pytest.mark.both_databases

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def _incident(harness: Harness, severity: str) -> int:
    async with harness.sessions() as session, session.begin():
        row = incident_row(None, severity=severity, signal_count=2, signal_resolved=True, version=4)
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def _count(harness: Harness, incident_id: int, **kwargs: object) -> None:
    async with harness.sessions() as session, session.begin():
        await count_alerts(session, incident_id, **kwargs)  # type: ignore[arg-type]


async def _read(harness: Harness, incident_id: int) -> tuple[int, str, bool, int, datetime]:
    async with harness.sessions() as session:
        row = await incidents.get(session, incident_id)
        assert row is not None
        return row.signal_count, row.severity, row.signal_resolved, row.version, row.updated_at


async def test_alerts_add_up_and_a_worse_one_raises_the_severity(harness: Harness) -> None:
    incident_id = await _incident(harness, "warning")
    later = AT + timedelta(minutes=3)
    await _count(
        harness,
        incident_id,
        alerts=3,
        at=later,
        severity=Severity.CRITICAL,
        clear_resolved=True,
    )
    assert await _read(harness, incident_id) == (5, "critical", False, 5, later)


async def test_a_milder_alert_never_lowers_the_severity(harness: Harness) -> None:
    incident_id = await _incident(harness, "error")
    for severity in (Severity.INFO, Severity.WARNING, Severity.ERROR, None):
        await _count(harness, incident_id, alerts=1, at=AT, severity=severity, clear_resolved=True)
    count, severity_now, *_ = await _read(harness, incident_id)
    assert (count, severity_now) == (6, "error")


async def test_without_clear_resolved_a_resolved_incident_stays_resolved(
    harness: Harness,
) -> None:
    incident_id = await _incident(harness, "warning")
    await _count(
        harness, incident_id, alerts=2, at=AT, severity=Severity.ERROR, clear_resolved=False
    )
    assert await _read(harness, incident_id) == (4, "error", True, 5, AT)
