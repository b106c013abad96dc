"""The last look before an adapter call: may this still run by itself, in today's world?"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.facts import history, incident_facts, triage_of
from bot.approvals.facts import decision_of, proposal_of
from bot.autonomy import load_freeze
from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.store.models import ActionRow
from policies.approval import check_autonomous_run
from policies.autonomy import effective_mode
from policies.decisions import Refusal, RefusalCode


async def recheck_autonomous(
    rt: Runtime, session: AsyncSession, row: ActionRow, now: datetime
) -> Refusal | None:
    """Why an action decided to run by itself may no longer, or None when it still may."""
    incident = await incidents.get(session, row.incident_id)
    checked = await triage_of(session, incident) if incident is not None else None
    if incident is None or checked is None:
        return Refusal(RefusalCode.INCIDENT_CLOSED, "its incident or triage is gone.")
    facts = await incident_facts(session, incident, checked)
    past = await history(session, row.incident_id, rt.policy, now)
    freeze = await load_freeze(session, now)
    mode = effective_mode(rt.policy, freeze, facts.service, facts.environment)
    result = check_autonomous_run(
        decision_of(row, mode),
        proposal_of(row),
        facts,
        checked,
        past,
        freeze,
        rt.policy,
        now,
    )
    return result.refusal
