"""A person pages on-call: the "Page on-call anyway" button and `/incident page`."""

from __future__ import annotations

import uuid

from bot.paging.request import request_page
from bot.runtime import Runtime


async def page_by_hand(rt: Runtime, user_id: str, incident_id: int, why: str) -> str:
    """Page for `incident_id` as `user_id` decided; returns the answer for that person."""
    if rt.adapters.pager is None:
        return "No pager is configured; page the on-call team by hand."
    async with rt.sessions() as session, session.begin():
        verdict = await request_page(
            rt,
            session,
            incident_id,
            reason=why,
            correlation_id=uuid.uuid4().hex,
            requested_by=f"<@{user_id}>",
        )
    rt.wake_outbox()
    return f"📟 {verdict.reason[0].upper()}{verdict.reason[1:]}."
