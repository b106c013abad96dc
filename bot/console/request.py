"""A responder asks for an action (page, ticket, undo): decided by the policy like any other.

The request becomes a stored action with the policy's decision and reasons. The person who
asked counts as its first approval when they may approve it; an action that needs a second
person waits on the triage card with Approve/Deny, like a triage's proposal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs
from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards
from bot.actions.facts import history, incident_facts
from bot.actions.rows import action_row
from bot.actions.states import ActionState
from bot.approvals.button import button_value
from bot.approvals.directory import GroupDirectory
from bot.approvals.flows import Click, approve_flow
from bot.approvals.permissions import admit, approvers_of_action, mentions
from bot.autonomy import load_freeze
from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.runtime import Runtime
from bot.slack_text import escape
from bot.store.models import ActionRow
from bot.triage import jobs as triage_jobs
from bot.triage import service as triages
from policies.catalog import ActionEffect, catalog_action
from policies.decisions import Outcome
from policies.engine import decide
from policies.engine_inputs import Proposal


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a person asks for, on which incident."""

    action: str
    target: str
    params: dict[str, str]
    rationale: str
    undo_of: int | None = None
    # Page and ticket run at once when the requester may approve them; an undo waits for
    # a click on its dry run, so whoever approves it has seen what it will do.
    approve_as_requester: bool = True


async def request_action(
    rt: Runtime,
    directory: GroupDirectory,
    user_id: str,
    channel_id: str,
    incident_id: int,
    wanted: Wanted,
) -> str:
    """Record the request and its decision; approve it as the requester where allowed.

    Returns the answer for the requester.
    """
    correlation_id = uuid.uuid4().hex
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        incident = await incidents.get(session, incident_id)
        if incident is None or incident.status not in OPEN_STATUSES:
            return "This incident is not open any more; nothing was requested."
        if incident.triage_id is None:
            return "The triage of this incident is still running; try again in a moment."
        triage = await triages.get(session, incident.triage_id)
        assert triage is not None
        checked = triages.checked_of(triage)
        proposal = Proposal(
            action=wanted.action,
            target=wanted.target,
            params=wanted.params,
            rationale=wanted.rationale,
            proposed_by=user_id,
            proposed_at=now,
        )
        facts = await incident_facts(session, incident, checked)
        past = await history(session, incident_id, rt.policy, now)
        freeze = await load_freeze(session, now)
        decision = decide(proposal, facts, checked, past, freeze, rt.policy, now)
        key = f"{incident.correlation_id}:by-hand:{uuid.uuid4().hex}"
        row = action_row(
            incident, incident.triage_id, proposal, decision, key, undo_of=wanted.undo_of
        )
        session.add(row)
        await session.flush()
        log_action(
            session,
            row,
            EventKind.ACTION_REQUESTED,
            f"<@{user_id}> asked for {row.action} on {row.target}: {decision.outcome.value}",
            correlation_id=correlation_id,
            at=now,
            actor=f"slack:{user_id}",
            requested_by=user_id,
            rationale=row.rationale,
            reasons=decision.reasons_json(),
            risk=decision.risk.value,
            mode=decision.mode.value,
            undo_of=wanted.undo_of,
        )
        if decision.outcome is Outcome.AUTO_EXECUTE:
            await _queue(session, jobs.EXECUTE, row, correlation_id, now)
        elif decision.outcome is not Outcome.FORBIDDEN:
            await _queue(session, jobs.DESCRIBE, row, correlation_id, now)
        await outbox.enqueue(
            session,
            kind=triage_jobs.REFRESH_TRIAGE_CARD,
            incident_id=incident_id,
            correlation_id=correlation_id,
            now=now,
            coalesce=True,
        )
    rt.wake_outbox()
    assert row.id is not None
    what = f"`{escape(row.action)}` on `{escape(row.target)}` (action #{row.id})"
    reasons = "; ".join(r.text for r in decision.reasons[:3])
    if decision.outcome is Outcome.FORBIDDEN:
        return f"⛔ {what} is forbidden by the policy: {escape(reasons)}"
    if decision.outcome is Outcome.SHADOW_ONLY:
        return f"👻 {what} is recorded, not run: {escape(reasons)}"
    if decision.outcome is Outcome.AUTO_EXECUTE:
        return f"✅ {what} runs now: the policy allows it by itself."
    if not wanted.approve_as_requester:
        return (
            f"✋ {what} is proposed with its dry run on the triage card; it runs once approved"
            f" ({escape(reasons)})."
        )
    entry = catalog_action(row.action)
    if entry is not None and entry.effect is ActionEffect.HUMAN and row.approvals_needed == 1:
        # Bringing people in touches no system: the approver who asks for it decides it.
        admission = await admit(directory, approvers_of_action(rt.policy, row.action), user_id)
        if admission.admitted:
            await _approve_own(rt, row, user_id)
            return f"✅ {what}: you asked and may approve it, so it runs now."
        who = mentions(approvers_of_action(rt.policy, row.action))
        return f"✋ {what} waits on the triage card for one of {who} to approve it."
    value = button_value(row.id, row.params_hash)
    click = Click(user_id=user_id, channel_id=channel_id, value=value)
    result = await approve_flow(rt, directory, click)
    if result.changed:
        return result.message
    return (
        f"✋ {what} needs approval ({escape(reasons)}); it waits on the triage card."
        f" {result.message}"
    )


async def _approve_own(rt: Runtime, row: ActionRow, user_id: str) -> None:
    """The requester's approval of a page or ticket, moved like any click's (exactly once)."""
    assert row.id is not None
    now = rt.clock()
    correlation_id = uuid.uuid4().hex
    async with rt.sessions() as session, session.begin():
        won = await actions.move(
            session,
            row.id,
            ActionState.AWAITING_APPROVAL,
            ActionState.APPROVED,
            approvers=[user_id],
            decided_by=user_id,
            decided_at=now,
        )
        if not won:
            return
        row.approvers, row.state = [user_id], ActionState.APPROVED.value
        log_action(
            session,
            row,
            EventKind.ACTION_APPROVED,
            f"<@{user_id}> asked for and approved {row.action}",
            correlation_id=correlation_id,
            at=now,
            actor=f"slack:{user_id}",
            approved_by=user_id,
            complete=True,
            approvals_needed=1,
            approvals_remaining=0,
            policy_version_now=rt.policy.version,
        )
        await _queue(session, jobs.EXECUTE, row, correlation_id, now)
        await refresh_cards(session, row.incident_id, correlation_id, now)
    rt.wake_outbox()


async def _queue(
    session: AsyncSession, kind: str, row: ActionRow, correlation_id: str, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        kind=kind,
        correlation_id=correlation_id,
        now=now,
        payload={"action_id": row.id, "incident_id": row.incident_id},
    )
