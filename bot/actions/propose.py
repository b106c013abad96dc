"""Turn a checked triage's proposals into decided actions, and apply the policy's gates."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs
from bot.actions.common import POLICY_ACTOR, log_action, tell_channel
from bot.actions.escalate import escalate
from bot.actions.facts import history, incident_facts
from bot.actions.rows import action_row
from bot.autonomy import load_freeze
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.outbox import service as outbox
from bot.paging.request import POLICY_GATE, request_page
from bot.runtime import Runtime
from bot.store.models import ActionRow, IncidentRow, TriageRow
from bot.tickets.requests import request_ticket
from bot.triage.models import CheckedTriage
from policies.decisions import GateResult, Outcome
from policies.engine import decide, decide_major_incident, decide_paging, decide_ticket
from policies.engine_inputs import FreezeState, History, IncidentFacts, Proposal


async def propose_actions(
    rt: Runtime,
    session: AsyncSession,
    incident: IncidentRow,
    triage: TriageRow,
    checked: CheckedTriage,
    correlation_id: str,
) -> None:
    """Decide each proposal and run the gates, inside the transaction that records `triage`."""
    assert incident.id is not None and triage.id is not None
    now = rt.clock()
    policy = rt.policy
    freeze = await load_freeze(session, now)
    facts = await incident_facts(session, incident, checked)
    past = await history(session, incident.id, policy, now)
    escalations: list[str] = []
    for index, proposed in enumerate(checked.report.proposed_actions):
        proposal = Proposal.from_triage(proposed, now)
        decision = decide(proposal, facts, checked, past, freeze, policy, now)
        key = f"{incident.correlation_id}:{triage.id}:{index}"
        row = action_row(incident, triage.id, proposal, decision, key)
        session.add(row)
        await session.flush()
        log_action(
            session,
            row,
            EventKind.ACTION_PROPOSED,
            f"Proposed {row.action} on {row.target}: {decision.outcome.value}",
            correlation_id=correlation_id,
            at=now,
            actor=POLICY_ACTOR,
            rationale=row.rationale,
            reasons=decision.reasons_json(),
            risk=decision.risk.value,
            mode=decision.mode.value,
            shadowed_outcome=decision.shadowed_outcome.value if decision.shadowed_outcome else None,
        )
        if decision.outcome is Outcome.AUTO_EXECUTE:
            await _queue(session, jobs.EXECUTE, row, correlation_id, now)
        elif decision.outcome is not Outcome.FORBIDDEN:
            # The dry run goes on the card before anyone clicks (and is what shadow records).
            await _queue(session, jobs.DESCRIBE, row, correlation_id, now)
        if decision.outcome is Outcome.ESCALATE:
            escalations.append(f"{row.action}: " + "; ".join(r.text for r in decision.reasons))
    await _gates(rt, session, incident, checked, facts, past, freeze, correlation_id)
    if escalations:
        await escalate(
            rt,
            session,
            incident.id,
            reason="policy sent proposals to humans: " + " | ".join(escalations)[:600],
            correlation_id=correlation_id,
            # Paging follows the paging gate; a handoff this early would say nothing new.
            page=False,
            handoff=False,
        )
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


async def _gates(
    rt: Runtime,
    session: AsyncSession,
    incident: IncidentRow,
    checked: CheckedTriage,
    facts: IncidentFacts,
    past: History,
    freeze: FreezeState,
    correlation_id: str,
) -> None:
    """Ticket, paging and major incident: automatic only where the policy's gates allow."""
    assert incident.id is not None
    now = rt.clock()
    gates: list[GateResult] = [
        decide_ticket(facts, checked, past, freeze, rt.policy, now),
        decide_paging(facts, checked, past, freeze, rt.policy, now),
        decide_major_incident(facts, checked, past, freeze, rt.policy, now),
    ]
    for gate in gates:
        eventlog.record(
            session,
            kind=EventKind.ACTION_DECIDED,
            summary=f"Gate {gate.gate}: {gate.outcome.value}",
            actor=POLICY_ACTOR,
            correlation_id=correlation_id,
            at=now,
            incident_id=incident.id,
            data={
                "gate": gate.gate,
                "outcome": gate.outcome.value,
                "reasons": [r.as_dict() for r in gate.reasons],
                "policy_version": gate.policy_version,
                "mode": gate.mode.value,
            },
        )
    ticket, paging, major = gates
    if ticket.automatic and rt.adapters.ticketing is not None:
        await request_ticket(session, incident.id, correlation_id, now)
    if paging.automatic or major.automatic:
        # The gate has just ruled; request_page keeps the per-incident dedup and record.
        await request_page(
            rt,
            session,
            incident.id,
            reason="major incident" if major.automatic else "policy paging gate met",
            correlation_id=correlation_id,
            requested_by=POLICY_GATE,
        )
    elif checked.report.requires_paging:
        # The triage wants on-call but the gate said no: the channel hears why, the team is
        # mentioned, and a person can page anyway.
        await request_page(
            rt,
            session,
            incident.id,
            reason="the triage asks to page on-call",
            correlation_id=correlation_id,
            gate=paging,
        )
    if major.automatic:
        await tell_channel(
            session,
            incident.id,
            "🚨 Major incident: sev1 confirmed by independent signals. Incident command "
            "starts now; on-call is paged.",
            correlation_id,
            now,
        )
