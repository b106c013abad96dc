"""Every page asks here first: the paging gate for pages the system wants, a record for all.

A triage's page, an escalation, a failed verification and a storm all want on-call; the
gate (mode, classification, confidence, the paging rate) decides whether the system may
page by itself, and each incident is paged at most once. When the gate says no, the
channel is told why and the owning team is mentioned instead, with a button to page
anyway: that is a person's decision, and it is recorded as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.facts import history, incident_facts
from bot.autonomy import load_freeze
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.paging import jobs as paging_jobs
from bot.runtime import Runtime
from bot.store.models import EventRow, IncidentRow
from bot.triage import service as triages
from policies.decisions import GateResult
from policies.engine import decide_paging

PAGE_ANYWAY_ACTION_ID = "page_anyway"
POLICY_ACTOR = "policy"
# `requested_by` when the caller has just had the paging gate pass.
POLICY_GATE = "policy (paging gate met)"


@dataclass(frozen=True, slots=True)
class PageVerdict:
    """Whether a page was queued, and why (or why not)."""

    queued: bool
    reason: str


async def request_page(
    rt: Runtime,
    session: AsyncSession,
    incident_id: int,
    *,
    reason: str,
    correlation_id: str,
    requested_by: str | None = None,
    gate: GateResult | None = None,
) -> PageVerdict:
    """Queue a page in the caller's transaction if it may go out; say in the channel if not.

    `requested_by` names the person who decided to page (an approval, a button, a
    command); None means the system wants to page and the paging gate decides (`gate`,
    when the caller has just evaluated it, else evaluated here).
    """
    pager = rt.adapters.pager
    incident = await incidents.get(session, incident_id)
    if pager is None or incident is None or incident.id is None:
        return PageVerdict(False, "no pager is configured")
    now = rt.clock()
    if await already_requested(session, incident.id):
        return PageVerdict(False, "on-call is already paged for this incident")
    reasons: list[dict[str, str]] = []
    if requested_by is None:
        # The system wants to page: only the paging gate may let it.
        held = (
            await _gate(rt, session, incident)
            if gate is None
            else (None if gate.automatic else [r.as_dict() for r in gate.reasons])
        )
        if held is not None:
            await _hold(rt, session, incident, reason, held, correlation_id)
            return PageVerdict(False, "; ".join(r["text"] for r in held))
    eventlog.record(
        session,
        kind=EventKind.PAGE_REQUESTED,
        summary=f"Page requested by {requested_by or POLICY_ACTOR}: {reason[:300]}",
        actor=requested_by or POLICY_ACTOR,
        correlation_id=correlation_id,
        at=now,
        incident_id=incident.id,
        data={"reason": reason[:500], "requested_by": requested_by, "gate": reasons},
    )
    await outbox.enqueue(
        session,
        kind=paging_jobs.PAGE,
        correlation_id=correlation_id,
        now=now,
        payload={"incident_id": incident.id, "reason": reason[:500], "by": requested_by or ""},
    )
    return PageVerdict(True, f"paging on-call through {pager.name}")


async def already_requested(session: AsyncSession, incident_id: int) -> bool:
    """Whether a page for this incident was queued before (per-incident dedup)."""
    found = await session.exec(
        select(EventRow.id)
        .where(
            EventRow.incident_id == incident_id,
            EventRow.kind == EventKind.PAGE_REQUESTED.value,
        )
        .limit(1)
    )
    return found.first() is not None


async def _held_before(session: AsyncSession, incident_id: int) -> bool:
    found = await session.exec(
        select(EventRow.id)
        .where(EventRow.incident_id == incident_id, EventRow.kind == EventKind.PAGE_HELD.value)
        .limit(1)
    )
    return found.first() is not None


async def _gate(
    rt: Runtime, session: AsyncSession, incident: IncidentRow
) -> list[dict[str, str]] | None:
    """The paging gate's reasons when it holds the page back, None when it lets it go."""
    assert incident.id is not None
    now = rt.clock()
    triage = await triages.get(session, incident.triage_id) if incident.triage_id else None
    if triage is None:
        return [{"code": "no_triage", "text": "No triage yet: nothing says paging is warranted."}]
    checked = triages.checked_of(triage)
    facts = await incident_facts(session, incident, checked)
    past = await history(session, incident.id, rt.policy, now)
    freeze = await load_freeze(session, now)
    gate = decide_paging(facts, checked, past, freeze, rt.policy, now)
    if gate.automatic:
        return None
    return [r.as_dict() for r in gate.reasons]


async def _hold(
    rt: Runtime,
    session: AsyncSession,
    incident: IncidentRow,
    reason: str,
    held: list[dict[str, str]],
    correlation_id: str,
) -> None:
    assert incident.id is not None
    now = rt.clock()
    why = "; ".join(r["text"] for r in held)
    # One "not paging" message with its button per incident; later holds are recorded only.
    told = await _held_before(session, incident.id)
    eventlog.record(
        session,
        kind=EventKind.PAGE_HELD,
        summary=f"Page held back by the paging gate: {why[:300]}",
        actor=POLICY_ACTOR,
        correlation_id=correlation_id,
        at=now,
        incident_id=incident.id,
        data={"reason": reason[:500], "gate": held},
    )
    if told:
        return
    team = incidents.incident_subject(incident).team
    text = f"📟 Not paging on-call by itself: {why[:400]}\nWanted because: {reason[:300]}" + (
        f"\n{team_mention(team)}, please take a look." if team else ""
    )
    await outbox.enqueue(
        session,
        kind=incident_jobs.POST_NOTE,
        incident_id=incident.id,
        correlation_id=correlation_id,
        now=now,
        payload={"text": text, "blocks": page_anyway_blocks(text, incident.id)},
    )


def team_mention(team: str) -> str:
    """A Slack mention of a user group: by id when the services file gives one."""
    if team.startswith("S") and team[1:].isalnum() and team.isupper():
        return f"<!subteam^{team}>"
    return f"@{team}"


def page_anyway_blocks(text: str, incident_id: int) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
        {
            "type": "actions",
            "block_id": f"page-anyway-{incident_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": PAGE_ANYWAY_ACTION_ID,
                    "text": {"type": "plain_text", "text": "Page on-call anyway"},
                    "style": "danger",
                    "value": str(incident_id),
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Page on-call?"},
                        "text": {
                            "type": "plain_text",
                            "text": "The paging gate held this page back. Page anyway?",
                        },
                        "confirm": {"type": "plain_text", "text": "Page"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                }
            ],
        },
    ]
