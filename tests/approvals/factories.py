"""Incidents with a posted triage card, stored actions on it, and clicks on their buttons."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.outbox.service import enqueue
from bot.store.models import ActionRow, EventRow, IncidentRow, OutboxRow
from bot.triage import jobs as triage_jobs
from bot.triage.card import APPROVE_ACTION_ID, DENY_ACTION_ID
from integrations.slack.emulator import SlackDriver
from policies.catalog import scope_target
from policies.decisions import Outcome, params_hash
from tests.support.harness import Harness, generic_alert, post_signed

ALICE = "U0ALICE"
BOB = "U0BOB"
CAROL = "U0CAROL"  # in the workspace, not in the on-call group S0ONCALL


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for work Bolt runs after the ack (the HTTP reply comes before it finishes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def open_incident(harness: Harness, **alert: Any) -> IncidentRow:
    """An incident from an alert, channel open, triage card posted.

    Its triage's own proposals are decided as in production (for the default alert, a
    `collect_diagnostics` held for approval); `add_action` puts a test's actions beside them.
    """
    reply = await post_signed(harness, "/alerts/generic", generic_alert(**alert))
    assert reply.status == 202
    await harness.drain()
    incident = (await harness.incidents())[-1]
    assert incident.channel_id and incident.triage_card_ts and incident.triage_id
    return incident


async def add_action(
    harness: Harness,
    incident: IncidentRow,
    *,
    action: str = "restart_deployment",
    params: dict[str, str] | None = None,
    decision: Outcome | None = None,
    approvals_needed: int | None = None,
    proposed_by: str = "triage",
    expires_in: timedelta = timedelta(minutes=30),
    state: str = "awaiting_approval",
    policy_version: str | None = None,
) -> ActionRow:
    """A stored action decided under the running policy, shown on the triage card."""
    rt = harness.app.runtime
    policy = rt.policy
    entry = policy.action(action)
    assert entry is not None, action
    needed = policy.rules.approvals_for(action) if approvals_needed is None else approvals_needed
    if decision is None:
        decision = Outcome.NEEDS_TWO_APPROVALS if needed == 2 else Outcome.NEEDS_APPROVAL
    values = dict(params or {})
    target = scope_target(incident.environment, incident.service)
    now = rt.clock()
    assert incident.id is not None
    row = ActionRow(
        incident_id=incident.id,
        triage_id=incident.triage_id,
        action=action,
        target=target,
        service=incident.service,
        environment=incident.environment,
        params=values,
        params_hash=params_hash(action, target, values),
        rationale="Restarting clears the crash loop while the cause is investigated.",
        proposed_by=proposed_by,
        proposed_at=now,
        expires_at=now + expires_in,
        decision=decision.value,
        reasons=[],
        policy_version=policy_version or policy.version,
        risk_class=entry.risk.value,
        approvals_needed=needed,
        state=state,
        adapter=entry.adapter,
        idempotency_key=uuid.uuid4().hex,
    )
    async with harness.sessions() as session, session.begin():
        session.add(row)
        await session.flush()
        await enqueue(
            session,
            kind=triage_jobs.REFRESH_TRIAGE_CARD,
            incident_id=incident.id,
            correlation_id=uuid.uuid4().hex,
            now=now,
        )
    await harness.drain()
    return row


def button_value(row: ActionRow) -> str:
    return f"{row.id}:{row.params_hash}"


async def click(
    harness: Harness,
    incident: IncidentRow,
    row: ActionRow,
    user: str,
    *,
    approve: bool = True,
    value: str | None = None,
    driver: SlackDriver | None = None,
) -> None:
    """Click Approve (or Deny) on the card as `user`; returns once Bolt acked."""
    assert incident.channel_id and incident.triage_card_ts
    reply = await (driver or harness.driver).click_button(
        user_id=user,
        channel_id=incident.channel_id,
        message_ts=incident.triage_card_ts,
        action_id=APPROVE_ACTION_ID if approve else DENY_ACTION_ID,
        value=button_value(row) if value is None else value,
    )
    assert reply.status == 200


def ephemerals(harness: Harness, user: str) -> list[str]:
    """What `user` alone was shown, oldest first."""
    return [m.text for m in harness.emulator.state.ephemerals_for(user)]


async def ephemeral_count(harness: Harness, user: str, count: int) -> list[str]:
    """Wait until `user` was shown `count` ephemeral messages, and return them."""

    async def arrived() -> bool:
        return len(ephemerals(harness, user)) >= count

    await eventually(arrived)
    return ephemerals(harness, user)


async def action_row(harness: Harness, action_id: int | None) -> ActionRow:
    async with harness.sessions() as session:
        row: ActionRow | None = await session.get(ActionRow, action_id)
    assert row is not None
    return row


async def action_events(harness: Harness, action_id: int | None, kind: str) -> list[EventRow]:
    async with harness.sessions() as session:
        result = await session.exec(select(EventRow).where(EventRow.kind == kind))
        return [e for e in result.all() if e.data.get("action_id") == action_id]


async def execute_jobs(harness: Harness, action_id: int | None) -> list[OutboxRow]:
    async with harness.sessions() as session:
        result = await session.exec(select(OutboxRow).where(OutboxRow.kind == "action.execute"))
        return [j for j in result.all() if j.payload.get("action_id") == action_id]
