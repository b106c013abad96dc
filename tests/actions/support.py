"""Helpers for the action tests: an incident from an alert, an action row, counting fakes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from bot.actions import jobs
from bot.actions.registry import Adapters
from bot.outbox import service as outbox
from bot.ports.remediation import ActionRequest, ExecutionResult
from bot.store.models import ActionRow, IncidentRow
from integrations.kubernetes.fake import FakeRemediator
from integrations.pagerduty.fake import FakePager
from policies.decisions import params_hash
from tests.support.harness import Harness, generic_alert, post_signed


class CountingRemediator(FakeRemediator):
    """The in-tree fake, also counting every execute call (its own record dedups by key)."""

    def __init__(self) -> None:
        super().__init__()
        self.execute_calls = 0

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        self.execute_calls += 1
        return await super().execute(request)


def fake_adapters() -> tuple[Adapters, CountingRemediator, FakePager]:
    remediator = CountingRemediator()
    pager = FakePager()
    return Adapters(remediators=[remediator], pager=pager), remediator, pager


async def open_incident(harness: Harness, **alert: Any) -> IncidentRow:
    reply = await post_signed(harness, "/alerts/generic", generic_alert(**alert))
    assert reply.status == 202, reply.body
    await harness.drain()
    [incident] = [i for i in await harness.incidents() if i.status != "closed"][-1:]
    return incident


async def add_action(
    harness: Harness,
    incident: IncidentRow,
    *,
    action: str = "restart_deployment",
    params: dict[str, str] | None = None,
    state: str = "approved",
    approvers: list[str] | None = None,
    started_at: datetime | None = None,
    queue: bool = True,
) -> ActionRow:
    """An action as the policy and an approval would leave it, and its execute job."""
    assert incident.id is not None
    now = harness.app.runtime.clock()
    target = f"{incident.environment}/{incident.service}"
    values = params or {}
    row = ActionRow(
        incident_id=incident.id,
        action=action,
        target=target,
        service=incident.service,
        environment=incident.environment,
        params=values,
        params_hash=params_hash(action, target, values),
        rationale="test",
        proposed_by="triage",
        proposed_at=now,
        expires_at=now + timedelta(minutes=30),
        decision="needs_approval",
        reasons=[],
        policy_version=harness.app.runtime.policy.version,
        risk_class="safe",
        approvals_needed=1,
        state=state,
        approvers=approvers if approvers is not None else ["U0ALICE"],
        idempotency_key=f"{incident.correlation_id}:test:{action}:{uuid.uuid4().hex}",
        started_at=started_at,
    )
    async with harness.sessions() as session, session.begin():
        session.add(row)
        await session.flush()
        if queue:
            await outbox.enqueue(
                session,
                kind=jobs.EXECUTE,
                correlation_id="test",
                now=now,
                payload={"action_id": row.id, "incident_id": incident.id},
            )
    return row


async def action(harness: Harness, action_id: int) -> ActionRow:
    async with harness.sessions() as session:
        row = await session.get(ActionRow, action_id)
        assert row is not None
        return row
