"""Approved actions run exactly once, are verified against the alert, or go to humans."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from bot.actions import jobs
from bot.actions.recovery import report_interrupted
from bot.domain.clock import VirtualTime
from bot.domain.events import EventKind
from bot.outbox import service as outbox
from bot.ports.remediation import ActionRequest, ExecutionResult, VerifyStatus
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import (
    CountingRemediator,
    action,
    add_action,
    fake_adapters,
    open_incident,
)
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness, stop_harness

# The harness's virtual clock: everything in the app reads it, and the test moves it.
Clock = VirtualTime


@pytest.fixture
def clock(virtual_time: VirtualTime) -> Clock:
    return virtual_time


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, clock: Clock
) -> AsyncIterator[tuple[Harness, CountingRemediator, object]]:
    adapters, remediator, pager = fake_adapters()
    h = await start_harness(
        database,
        emulator,
        time=clock,
        adapters=adapters,
        verify_poll_seconds=30,
        action_retry_base_seconds=0,
    )
    yield h, remediator, pager
    await stop_harness(h)


async def kinds(harness: Harness, incident_id: int) -> list[str]:
    return [e.kind for e in await harness.events(incident_id)]


# Exactly once rests on a conditional update: both backends.
@pytest.mark.both_databases
async def test_approved_action_runs_once_and_recovery_mitigates(rig, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    # A second execute job for the same action (a Slack retry, another replica) changes nothing.
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            kind=jobs.EXECUTE,
            correlation_id="dup",
            now=clock(),
            payload={"action_id": row.id, "incident_id": incident.id},
        )
    await harness.drain_due()
    assert remediator.execute_calls == 1
    done = await action(harness, row.id or 0)
    assert done.state == "succeeded" and done.adapter == "kubernetes"
    # The window opens when the run succeeded (the clock has moved on since: paced posts).
    assert done.finished_at is not None and done.finished_at <= clock()
    assert done.verify_until == done.finished_at + timedelta(minutes=10)

    # The alert recovers: the action is verified and the incident is mitigated.
    resolved = generic_alert(status="resolved")
    assert (await post_signed(harness, "/alerts/generic", resolved)).status == 202
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "verified"
    [fresh] = [i for i in await harness.incidents() if i.id == incident.id]
    assert fresh.status == "mitigated"
    events = await harness.events(incident.id)
    succeeded = next(e for e in events if e.kind == EventKind.ACTION_SUCCEEDED)
    for field in ("action", "target", "params_hash", "approvers", "adapter", "idempotency_key"):
        assert field in succeeded.data
    assert succeeded.data["approvers"] == ["U0ALICE"]
    assert "duration_ms" in succeeded.data
    assert EventKind.ACTION_VERIFIED in [e.kind for e in events]


async def test_no_recovery_within_the_window_escalates(rig, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, pager = rig
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "succeeded"
    clock.advance(minutes=11)
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "unverified"
    found = await kinds(harness, incident.id or 0)
    assert EventKind.ACTION_UNVERIFIED in found and EventKind.ESCALATED in found
    # Assist mode: the paging gate holds the escalation's page and asks people instead.
    assert pager.pages == [] and EventKind.PAGE_HELD in found
    assert remediator.execute_calls == 1


async def test_adapter_reporting_failure_is_unverified_at_once(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    remediator.verify_as(VerifyStatus.FAILED)
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    await harness.drain_due()
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            kind=jobs.VERIFY,
            correlation_id="look",
            now=harness.app.runtime.clock(),
            payload={"action_id": row.id, "incident_id": incident.id},
        )
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "unverified"


async def test_failure_escalates_and_is_never_tried_again(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, pager = rig
    remediator.fail("restart_deployment", retryable=False, code="forbidden")
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    await harness.drain_due()
    failed = await action(harness, row.id or 0)
    assert failed.state == "failed" and failed.error_code == "forbidden"
    assert remediator.execute_calls == 1  # not retryable: one call
    found = await kinds(harness, incident.id or 0)
    assert EventKind.ACTION_FAILED in found and EventKind.ESCALATED in found
    assert pager.pages == [] and EventKind.PAGE_HELD in found
    [channel] = harness.incident_channels()
    texts = [m.text for m in harness.emulator.state.messages_in(channel.id)]
    assert any("will not be tried again" in t for t in texts)

    # The same action proposed again for this incident: policy escalates, never runs it.
    from bot.actions.facts import history
    from policies.decisions import ReasonCode

    async with harness.sessions() as session:
        past = await history(
            session, incident.id or 0, harness.app.runtime.policy, harness.app.runtime.clock()
        )
    assert past.failed("restart_deployment", failed.params_hash)
    assert ReasonCode.ACTION_FAILED_BEFORE.value  # the engine's reason for it (tests/policies)


async def test_retryable_failures_are_retried_within_the_policy_limit(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    limit = harness.app.runtime.policy.rules.limits.max_retries
    remediator.fail("restart_deployment", retryable=True, times=limit)
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    await harness.drain_due()
    done = await action(harness, row.id or 0)
    assert done.state == "succeeded"
    assert remediator.execute_calls == limit + 1 and done.attempts == limit + 1


async def test_retries_wait_out_their_backoff_on_the_apps_clock(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    adapters, remediator, _pager = fake_adapters()
    calls: list[datetime] = []
    execute = remediator.execute

    async def timed(request: ActionRequest) -> ExecutionResult:
        calls.append(virtual_time.now())
        return await execute(request)

    remediator.execute = timed  # type: ignore[method-assign]
    h = await start_harness(
        database, emulator, time=virtual_time, adapters=adapters, action_retry_base_seconds=2
    )
    try:
        limit = h.app.runtime.policy.rules.limits.max_retries
        assert limit >= 1
        remediator.fail("restart_deployment", retryable=True, times=limit)
        incident = await open_incident(h)
        row = await add_action(h, incident)
        await h.drain_due()
        assert (await action(h, row.id or 0)).state == "succeeded"
    finally:
        await stop_harness(h)
    # 2 s, 4 s, … between attempts, capped at 30 s: slept on the virtual clock, exactly.
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(calls)]
    assert gaps == [min(2.0 * 2**n, 30.0) for n in range(limit)]


async def test_retries_stop_at_the_limit(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    limit = harness.app.runtime.policy.rules.limits.max_retries
    remediator.fail("restart_deployment", retryable=True)
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "failed"
    assert remediator.execute_calls == limit + 1


async def test_breaker_stops_calling_a_failing_adapter_and_says_so_once(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    remediator.fail("restart_deployment", retryable=True)
    threshold = harness.app.runtime.breakers.threshold
    incident = await open_incident(harness)
    rows = []
    for _ in range(3):
        rows.append(await add_action(harness, incident))
        await harness.drain_due()
    # Only as many calls as it takes to open the breaker; later actions never reach it.
    assert remediator.execute_calls == threshold
    states = [(await action(harness, r.id or 0)).state for r in rows]
    assert states == ["failed"] * 3
    codes = [(await action(harness, r.id or 0)).error_code for r in rows]
    assert "circuit_open" in codes
    [channel] = harness.incident_channels()
    texts = [m.text for m in harness.emulator.state.messages_in(channel.id)]
    assert sum("keeps failing" in t for t in texts) == 1


# Start-up recovery's conditional update: both backends.
@pytest.mark.both_databases
async def test_an_interrupted_action_is_reported_at_start_up_and_not_rerun(
    rig, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    incident = await open_incident(harness)
    row = await add_action(
        harness, incident, state="executing", started_at=clock() - timedelta(hours=1), queue=False
    )
    assert await report_interrupted(harness.app.runtime) == 1
    await harness.drain_due()
    assert (await action(harness, row.id or 0)).state == "interrupted"
    assert remediator.execute_calls == 0
    found = await kinds(harness, incident.id or 0)
    assert EventKind.ACTION_INTERRUPTED in found and EventKind.ESCALATED in found
    # A second start-up finds nothing more to report.
    assert await report_interrupted(harness.app.runtime) == 0


# Start-up recovery's conditional update: both backends.
@pytest.mark.both_databases
async def test_a_recent_executing_action_is_left_to_its_runner(rig, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    harness, _remediator, _pager = rig
    incident = await open_incident(harness)
    row = await add_action(harness, incident, state="executing", started_at=clock(), queue=False)
    assert await report_interrupted(harness.app.runtime) == 0
    assert (await action(harness, row.id or 0)).state == "executing"


async def test_dry_run_reaches_the_card_before_any_click(rig) -> None:  # type: ignore[no-untyped-def]
    harness, remediator, _pager = rig
    incident = await open_incident(
        harness, labels={"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}
    )
    assert remediator.described, "the triage's proposals were described by the adapter"
    assert remediator.execute_calls == 0  # assist mode: nothing ran by itself
    [channel] = harness.incident_channels()
    [card] = harness.triage_cards(channel.id)
    rendered = json.dumps(card.blocks)
    assert "Dry run:" in rendered
    assert "sj_action_approve" in rendered
    assert incident.id is not None


# The breaker is a row every replica reads: both backends.
@pytest.mark.both_databases
async def test_two_replicas_see_one_breaker(  # type: ignore[no-untyped-def]
    rig, database: DatabaseTarget, emulator: SlackEmulator, clock: Clock
) -> None:
    harness, remediator, _pager = rig
    remediator.fail("restart_deployment", retryable=True)
    incident = await open_incident(harness)
    first = await add_action(harness, incident)
    await harness.drain_due()
    threshold = harness.app.runtime.breakers.threshold
    assert remediator.execute_calls == threshold  # this replica opened the breaker

    adapters, other_remediator, _ = fake_adapters()
    replica = await start_harness(
        database, emulator, time=clock, adapters=adapters, action_retry_base_seconds=0
    )
    try:
        second = await add_action(harness, incident, queue=False)
        async with replica.sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                kind=jobs.EXECUTE,
                correlation_id="replica",
                now=clock(),
                incident_id=incident.id,
                payload={"action_id": second.id},
            )
        await replica.drain_due()
    finally:
        await stop_harness(replica)

    # The other replica never called its adapter: it found the breaker open in the database.
    assert other_remediator.execute_calls == 0
    assert (await action(harness, second.id or 0)).error_code == "circuit_open"
    assert (await action(harness, first.id or 0)).state == "failed"
