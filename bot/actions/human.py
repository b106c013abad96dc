"""Catalog actions that bring people in rather than touch a system: no adapter call."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.escalate import escalate
from bot.paging.request import request_page
from bot.runtime import Runtime
from bot.store.models import ActionRow
from bot.tickets.requests import request_ticket

HUMAN_ACTIONS = frozenset({"page_oncall", "create_ticket", "escalate_to_human"})


async def run_human_action(
    rt: Runtime, session: AsyncSession, row: ActionRow, correlation_id: str
) -> str:
    """Queue what the action asks for, in the caller's transaction; returns what was done."""
    now = rt.clock()
    if row.action == "page_oncall":
        if rt.adapters.pager is None:
            return "no pager is configured; page the on-call team by hand"
        # Approved by people: their decision. Run by the policy alone: the gate decides.
        verdict = await request_page(
            rt,
            session,
            row.incident_id,
            reason=row.rationale[:300] or "the triage asked to page on-call",
            correlation_id=correlation_id,
            requested_by=", ".join(f"<@{a}>" for a in row.approvers) or None,
        )
        return verdict.reason
    if row.action == "create_ticket":
        if rt.adapters.ticketing is None:
            return "no ticket system is configured; open a ticket by hand"
        await request_ticket(session, row.incident_id, correlation_id, now)
        return f"opening a ticket in {rt.adapters.ticketing.name}"
    await escalate(
        rt,
        session,
        row.incident_id,
        reason=row.rationale or "a responder asked for humans to take over",
        correlation_id=correlation_id,
    )
    return "handed to humans"
