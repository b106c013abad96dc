"""The incident lifecycle transition table, its refusals, and the MTTx inputs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.lifecycle import (
    TRANSITIONS,
    IncidentStatus,
    IncidentTimes,
    LifecycleAction,
    TransitionRefused,
    mean_seconds,
    next_status,
)
from bot.incidents import service as incidents
from tests.support.harness import Harness

S, A = IncidentStatus, LifecycleAction

ALLOWED = [
    # The normal path, one step at a time.
    (S.TRIGGERED, A.ACKNOWLEDGE, S.ACKNOWLEDGED),
    (S.ACKNOWLEDGED, A.MITIGATE, S.MITIGATED),
    (S.MITIGATED, A.RESOLVE, S.RESOLVED),
    (S.RESOLVED, A.CLOSE, S.CLOSED),
    # A fix may land before anyone acknowledges.
    (S.TRIGGERED, A.MITIGATE, S.MITIGATED),
    (S.TRIGGERED, A.RESOLVE, S.RESOLVED),
    (S.ACKNOWLEDGED, A.RESOLVE, S.RESOLVED),
    # The mitigation did not hold, or the problem came back after resolve.
    (S.MITIGATED, A.REOPEN, S.ACKNOWLEDGED),
    (S.RESOLVED, A.REOPEN, S.ACKNOWLEDGED),
]


@pytest.mark.parametrize(("current", "action", "expected"), ALLOWED)
def test_allowed_transitions(
    current: IncidentStatus, action: LifecycleAction, expected: IncidentStatus
) -> None:
    assert next_status(current, action) is expected


REFUSED = [(s, a) for s in IncidentStatus for a in LifecycleAction if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("current", "action"), REFUSED)
def test_everything_else_is_refused_with_a_reason(
    current: IncidentStatus, action: LifecycleAction
) -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(current, action)
    assert current.value in str(refused.value) and action.value in str(refused.value)


def test_table_has_exactly_the_listed_transitions() -> None:
    assert {(c, a): e for c, a, e in ALLOWED} == TRANSITIONS
    assert len(REFUSED) == len(IncidentStatus) * len(LifecycleAction) - len(ALLOWED)


def test_closed_is_final_and_says_so() -> None:
    with pytest.raises(TransitionRefused, match="it is final"):
        next_status(S.CLOSED, A.REOPEN)


def test_mtta_mttm_mttr_inputs_and_means() -> None:
    t0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    first = IncidentTimes(
        triggered_at=t0,
        acknowledged_at=t0 + timedelta(minutes=2),
        mitigated_at=t0 + timedelta(minutes=10),
        resolved_at=t0 + timedelta(minutes=30),
    )
    second = IncidentTimes(triggered_at=t0, acknowledged_at=t0 + timedelta(minutes=4))
    assert first.time_to_acknowledge == 120
    assert first.time_to_mitigate == 600
    assert first.time_to_resolve == 1800
    assert second.time_to_mitigate is None
    assert mean_seconds([first.time_to_acknowledge, second.time_to_acknowledge]) == 180
    assert mean_seconds([first.time_to_resolve, second.time_to_resolve]) == 1800
    assert mean_seconds([None]) is None


# Conditional updates in the store: both backends.
@pytest.mark.both_databases
async def test_transitions_stamp_each_milestone_once_in_the_store(harness: Harness) -> None:
    t0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    async with harness.sessions() as session, session.begin():
        incident = await incidents.declare(
            session,
            title="checkout down",
            service="checkout",
            environment="production",
            severity="critical",
            now=t0,
        )
    assert incident.id is not None
    steps = [(A.ACKNOWLEDGE, 1), (A.MITIGATE, 5), (A.REOPEN, 7), (A.MITIGATE, 9), (A.RESOLVE, 20)]
    for action, minute in steps:
        async with harness.sessions() as session, session.begin():
            await incidents.transition(session, incident.id, action, t0 + timedelta(minutes=minute))
    async with harness.sessions() as session:
        row = await incidents.get(session, incident.id)
    assert row is not None and row.status == "resolved"
    times = IncidentTimes(row.triggered_at, row.acknowledged_at, row.mitigated_at, row.resolved_at)
    assert times.time_to_acknowledge == 60
    assert times.time_to_mitigate == 300  # the first mitigation counts
    assert times.time_to_resolve == 1200
    assert row.open_group_key is None


# Concurrent transactions: both backends.
@pytest.mark.both_databases
async def test_concurrent_transitions_apply_once(harness: Harness) -> None:
    now = datetime.now(UTC)
    async with harness.sessions() as session, session.begin():
        incident = await incidents.declare(
            session, title="x", service="api", environment="production", severity="error", now=now
        )
    assert incident.id is not None
    incident_id = incident.id

    async def ack() -> str:
        try:
            async with harness.sessions() as session, session.begin():
                await incidents.transition(session, incident_id, A.ACKNOWLEDGE, now)
            return "applied"
        except TransitionRefused:
            return "refused"

    results = await asyncio.gather(*(ack() for _ in range(8)))
    assert results.count("applied") == 1
    assert results.count("refused") == 7
