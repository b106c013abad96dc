"""approve_flow and deny_flow: one click, checked at click time, changing state at most once."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs as action_jobs
from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards
from bot.actions.states import ActionState
from bot.approvals.button import ButtonValue, parse_button_value
from bot.approvals.checks import check_click, deny_refusal
from bot.approvals.directory import GroupDirectory
from bot.approvals.facts import decision_of, incident_facts, proposal_of
from bot.approvals.permissions import Admission, admit, approvers_of_action, mentions
from bot.autonomy.service import load_freeze
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.runtime import Runtime
from bot.slack_text import escape
from bot.store.models import ActionRow
from policies.autonomy import effective_mode
from policies.decisions import Refusal, RefusalCode

log = logging.getLogger(__name__)

S = ActionState
# A lost race re-reads the action and checks again; more rounds than this means a storm.
MAX_ROUNDS = 4
APPROVE = "approve"
DENY = "deny"
DONE = {APPROVE: "approved", DENY: "denied"}


@dataclass(frozen=True, slots=True)
class Click:
    """Who clicked which button where."""

    user_id: str
    channel_id: str
    value: str


@dataclass(frozen=True, slots=True)
class ClickResult:
    """What to tell the clicker, whether this click changed the action, and why not."""

    message: str
    changed: bool
    refusal: str | None = None


async def approve_flow(rt: Runtime, directory: GroupDirectory, click: Click) -> ClickResult:
    """Record an approval if every check passes now; the last one needed queues the run."""
    return await _clicked(rt, directory, click, APPROVE)


async def deny_flow(rt: Runtime, directory: GroupDirectory, click: Click) -> ClickResult:
    """Deny the action if it still waits for a decision and the clicker may decide it."""
    return await _clicked(rt, directory, click, DENY)


async def _clicked(rt: Runtime, directory: GroupDirectory, click: Click, kind: str) -> ClickResult:
    correlation_id = uuid.uuid4().hex
    button = parse_button_value(click.value)
    if button is None:
        return await _unmatched(rt, click, kind, correlation_id, "bad_button")
    async with rt.sessions() as session:
        seen = await actions.get(session, button.action_id)
    if seen is None:
        return await _unmatched(rt, click, kind, correlation_id, "unknown_action")
    # Slack is asked before the transaction, so no database lock waits on the network.
    admission = await admit(directory, approvers_of_action(rt.policy, seen.action), click.user_id)
    for _ in range(MAX_ROUNDS):
        if kind == APPROVE:
            result = await _approve_once(rt, click, button, admission, correlation_id)
        else:
            result = await _deny_once(rt, click, button, admission, correlation_id)
        if result is not None:
            rt.wake_outbox()
            return result
        log.debug("a concurrent click changed action %s first; checking again", button.action_id)
    return ClickResult(
        "Several people are deciding this at the same moment; look at the card and try again"
        " if it still waits.",
        changed=False,
        refusal="contended",
    )


async def _approve_once(
    rt: Runtime,
    click: Click,
    button: ButtonValue,
    admission: Admission,
    correlation_id: str,
) -> ClickResult | None:
    """One round; None when another click changed the action first and we must look again."""
    now = rt.clock()
    user = click.user_id
    async with rt.sessions() as session, session.begin():
        row = await _fresh(session, button.action_id)
        incident = await incidents.get(session, row.incident_id)
        if incident is None:
            refusal = Refusal(RefusalCode.INCIDENT_CLOSED, "The incident is gone.")
            return await _refuse(session, row, click, APPROVE, refusal, correlation_id, now)
        facts = await incident_facts(session, incident)
        freeze = await load_freeze(session, now)
        mode = effective_mode(rt.policy, freeze, incident.service, incident.environment)
        check = check_click(
            row,
            decision_of(row, mode),
            proposal_of(row),
            facts,
            button.params_hash,
            admission.approver,
            freeze,
            rt.policy,
            now,
        )
        if check.refusal is not None:
            refusal = check.refusal
            if refusal.code is RefusalCode.NOT_AN_APPROVER and admission.note():
                refusal = Refusal(refusal.code, refusal.message + admission.note())
            if refusal.code is RefusalCode.EXPIRED:
                await expire_proposal(session, row, correlation_id, now)
            return await _refuse(session, row, click, APPROVE, refusal, correlation_id, now)
        approvers = [*row.approvers, user]
        assert row.id is not None
        if check.complete:
            won = await actions.move(
                session,
                row.id,
                S.AWAITING_APPROVAL,
                S.APPROVED,
                version=row.version,
                approvers=approvers,
                decided_by=user,
                decided_at=now,
            )
        else:
            won = await actions.add_approver(session, row, user, approvers)
        if not won:
            await session.rollback()
            return None
        row.approvers = approvers
        if check.complete:
            row.state, row.decided_by, row.decided_at = S.APPROVED.value, user, now
        log_action(
            session,
            row,
            EventKind.ACTION_APPROVED,
            _approved_summary(row, user, check.approvals_remaining),
            correlation_id=correlation_id,
            at=now,
            actor=f"slack:{user}",
            approved_by=user,
            complete=check.complete,
            approvals_needed=row.approvals_needed,
            approvals_remaining=check.approvals_remaining,
            policy_version_now=rt.policy.version,
        )
        if check.complete:
            await outbox.enqueue(
                session,
                kind=action_jobs.EXECUTE,
                correlation_id=correlation_id,
                now=now,
                payload={"action_id": row.id, "incident_id": row.incident_id},
            )
        await refresh_cards(session, row.incident_id, correlation_id, now)
    if check.complete:
        return ClickResult(
            f"✅ You approved `{escape(row.action)}` on `{escape(row.target)}`; it runs now.",
            changed=True,
        )
    return ClickResult(
        f"👍 Your approval of `{escape(row.action)}` is recorded;"
        f" {check.approvals_remaining} more person must approve before it runs.",
        changed=True,
    )


async def _deny_once(
    rt: Runtime,
    click: Click,
    button: ButtonValue,
    admission: Admission,
    correlation_id: str,
) -> ClickResult | None:
    now = rt.clock()
    user = click.user_id
    async with rt.sessions() as session, session.begin():
        row = await _fresh(session, button.action_id)
        who = mentions(approvers_of_action(rt.policy, row.action))
        refusal = deny_refusal(row, button.params_hash, user, admission.admitted, who)
        if refusal is not None:
            if refusal.code is RefusalCode.NOT_AN_APPROVER and admission.note():
                refusal = Refusal(refusal.code, refusal.message + admission.note())
            return await _refuse(session, row, click, DENY, refusal, correlation_id, now)
        assert row.id is not None
        won = await actions.move(
            session,
            row.id,
            S.AWAITING_APPROVAL,
            S.DENIED,
            version=row.version,
            decided_by=user,
            decided_at=now,
        )
        if not won:
            await session.rollback()
            return None
        row.state, row.decided_by, row.decided_at = S.DENIED.value, user, now
        log_action(
            session,
            row,
            EventKind.ACTION_DENIED,
            f"<@{user}> denied {row.action} on {row.target}",
            correlation_id=correlation_id,
            at=now,
            actor=f"slack:{user}",
            denied_by=user,
        )
        await refresh_cards(session, row.incident_id, correlation_id, now)
    return ClickResult(
        f"🚫 You denied `{escape(row.action)}` on `{escape(row.target)}`; it will not run.",
        changed=True,
    )


async def _fresh(session: AsyncSession, action_id: int) -> ActionRow:
    row = await session.get(ActionRow, action_id, populate_existing=True)
    # Rows are never deleted, and this one was read a moment ago.
    assert row is not None
    # A snapshot: every write goes through the conditional updates, never a flush of it.
    session.expunge(row)
    return row


async def _refuse(
    session: AsyncSession,
    row: ActionRow,
    click: Click,
    kind: str,
    refusal: Refusal,
    correlation_id: str,
    now: datetime,
) -> ClickResult:
    log_action(
        session,
        row,
        EventKind.ACTION_CLICK_REFUSED,
        f"{kind.capitalize()} by <@{click.user_id}> refused ({refusal.code.value}):"
        f" {refusal.message}"[:1000],
        correlation_id=correlation_id,
        at=now,
        actor=f"slack:{click.user_id}",
        button=kind,
        refusal=refusal.code.value,
        clicked_by=click.user_id,
        state=row.state,
    )
    return ClickResult(
        f"⛔ Not {DONE[kind]}: {refusal.message}", changed=False, refusal=refusal.code.value
    )


async def expire_proposal(
    session: AsyncSession, row: ActionRow, correlation_id: str, now: datetime
) -> None:
    """A click after the deadline retires the proposal, so the card stops offering it."""
    assert row.id is not None
    if row.state != S.AWAITING_APPROVAL.value:
        return
    if await actions.move(session, row.id, S.AWAITING_APPROVAL, S.EXPIRED, version=row.version):
        row.state = S.EXPIRED.value
        log_action(
            session,
            row,
            EventKind.ACTION_EXPIRED,
            f"{row.action} on {row.target} expired without a decision",
            correlation_id=correlation_id,
            at=now,
        )
        await refresh_cards(session, row.incident_id, correlation_id, now)


async def _unmatched(
    rt: Runtime, click: Click, kind: str, correlation_id: str, code: str
) -> ClickResult:
    """A button that names no action we hold: logged, and nothing changes."""
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        eventlog.record(
            session,
            kind=EventKind.ACTION_CLICK_REFUSED,
            summary=f"{kind.capitalize()} by <@{click.user_id}> refused ({code})",
            actor=f"slack:{click.user_id}",
            correlation_id=correlation_id,
            at=now,
            data={
                "button": kind,
                "refusal": code,
                "clicked_by": click.user_id,
                "channel_id": click.channel_id,
                "value": click.value[:120],
            },
        )
    return ClickResult(
        f"⛔ Not {DONE[kind]}: this button does not name an action I know; nothing changed.",
        changed=False,
        refusal=code,
    )


def _approved_summary(row: ActionRow, user: str, remaining: int) -> str:
    if remaining:
        return (
            f"<@{user}> gave the first of {row.approvals_needed} approvals of {row.action}"
            f" on {row.target}; {remaining} more needed"
        )
    return f"<@{user}> approved {row.action} on {row.target}"
