"""The strategist: a request becomes a catalog proposal on the resolved subject, or a question.

It never runs anything. The proposal goes through the same policy engine as a triage's,
is stored as an action awaiting approval with the asker as proposer (so someone else must
approve it), and gets a dry run queued; the executor is the existing approve → execute path.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs as action_jobs
from bot.actions.common import log_action, refresh_cards
from bot.actions.facts import history, incident_facts
from bot.actions.rows import action_row
from bot.autonomy import load_freeze
from bot.chat.intents import CATALOG_ACTION, Intent, Parsed
from bot.chat.record import IncidentRecord
from bot.domain.events import EventKind
from bot.outbox import service as outbox
from bot.runtime import Runtime
from bot.slack_text import escape
from bot.store.models import ActionRow
from policies.catalog import CATALOG
from policies.decisions import Decision, Outcome, Reason, ReasonCode
from policies.engine import decide
from policies.engine_inputs import Proposal

# If it fails or does not verify, the existing path escalates and never repeats it.
FALLBACK = "If it fails or does not verify, people are told and it is not repeated by itself."
DEFAULT_FREEZE_MINUTES = 30


@dataclass(frozen=True, slots=True)
class Plan:
    """What the strategist decided to do with a request."""

    kind: str  # "proposed", "question", "refused", "freeze"
    text: str
    action: ActionRow | None = None
    decision: Decision | None = None
    choices: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "action_id": self.action.id if self.action else None,
            "decision": self.decision.outcome.value if self.decision else None,
            "choices": [label for label, _ in self.choices],
        }


def possible() -> str:
    """What may be asked for: the catalog, and a freeze."""
    names = ", ".join(f"`{name}`" for name in CATALOG)
    return f"What I can propose: {names}; or a freeze of autonomy (_freeze for 30m_)."


def choice_value(incident_id: int, intent: Intent, entities: dict[str, str]) -> str:
    """A button's value: the request, completed by the choice."""
    return json.dumps({"i": incident_id, "intent": intent.value, "e": entities}, sort_keys=True)


def read_choice(value: str) -> tuple[int, Parsed] | None:
    """The request a choice button carries, or None when it is not one of ours."""
    try:
        raw = json.loads(value)
        entities = {str(k): str(v)[:100] for k, v in dict(raw["e"]).items()}
        return int(raw["i"]), Parsed(Intent(raw["intent"]), entities, source="choice")
    except (ValueError, KeyError, TypeError):
        return None


async def plan(
    rt: Runtime,
    session: AsyncSession,
    record: IncidentRecord,
    parsed: Parsed,
    asker: str,
    request_key: str,
    correlation_id: str,
) -> Plan:
    """Turn one request into a proposal, a question with choices, or a refusal."""
    if parsed.intent is Intent.UNSUPPORTED or (
        parsed.intent not in CATALOG_ACTION and parsed.intent is not Intent.FREEZE
    ):
        return Plan("refused", "That is not something I can do. " + possible())
    scope = _scope_problem(record, parsed)
    if scope is not None:
        return Plan("refused", scope)
    if parsed.intent is Intent.FREEZE:
        return _freeze(record, parsed)
    question = _missing(rt, record, parsed)
    if question is not None:
        return question
    if record.triage is None:
        return Plan("refused", "The triage has not finished yet; ask again in a moment.")
    return await _propose(rt, session, record, parsed, asker, request_key, correlation_id)


def _scope_problem(record: IncidentRecord, parsed: Parsed) -> str | None:
    named = parsed.entities.get("service") or parsed.entities.get("named")
    if named is None:
        return None
    subject = record.subject
    ours = {record.incident.service.lower(), subject.service.lower()}
    if subject.name:
        ours.add(subject.name.lower())
    if named.lower() in ours:
        return None
    return (
        f"`{escape(named)}` is outside this incident, which is about"
        f" {escape(subject.describe())}. Ask in that service's incident channel."
    )


def _freeze(record: IncidentRecord, parsed: Parsed) -> Plan:
    minutes = int(parsed.entities.get("duration_minutes", DEFAULT_FREEZE_MINUTES))
    service = record.incident.service
    value = choice_value(record.number, Intent.FREEZE, {"duration_minutes": str(minutes)})
    return Plan(
        "freeze",
        f"Freeze autonomy for `{escape(service)}` for {minutes} min? Nothing will run by itself"
        " there until it ends; approvals by hand still work.",
        choices=((f"Freeze {service[:40]} for {minutes} min", value),),
    )


def _missing(rt: Runtime, record: IncidentRecord, parsed: Parsed) -> Plan | None:
    """Ambiguity gets a question with buttons, never a guess."""
    entities = dict(parsed.entities)
    number = record.number
    if parsed.intent is Intent.SCALE and "replicas_delta" not in entities:
        choices = tuple(
            (
                f"+{n} replicas",
                choice_value(number, Intent.SCALE, {**entities, "replicas_delta": str(n)}),
            )
            for n in (1, 2, 3)
        )
        return Plan("question", "By how many replicas?", choices=choices)
    if parsed.intent in (Intent.DISABLE_FLAG, Intent.ENABLE_FLAG) and "flag" not in entities:
        flags = [c.subject for c in record.changes if c.kind == "feature_flag" and c.subject]
        choices = tuple(
            (f"{flag[:60]}", choice_value(number, parsed.intent, {**entities, "flag": flag}))
            for flag in dict.fromkeys(flags)
        )
        text = (
            "Which flag?" if choices else "Which flag? Name it, e.g. _turn off flag new-checkout_."
        )
        return Plan("question", text, choices=choices[:5])
    if parsed.intent is Intent.PAGE and "team" not in entities:
        teams = [
            t
            for t in (
                record.triage.report.recommended_team if record.triage else None,
                record.subject.team,
            )
            if t
        ]
        choices = tuple(
            (f"Page {team[:60]}", choice_value(number, Intent.PAGE, {**entities, "team": team}))
            for team in dict.fromkeys(teams)
        )
        text = "Which team?" if choices else "Which team? Name it, e.g. _page the database team_."
        return Plan("question", text, choices=choices)
    return None


def _params(rt: Runtime, parsed: Parsed) -> dict[str, str]:
    entities = parsed.entities
    if parsed.intent is Intent.SCALE:
        entry = rt.policy.action("scale_deployment")
        ceiling = entry.scale.max_replicas if entry is not None and entry.scale else 10
        return {"replicas_delta": entities["replicas_delta"], "max_replicas": str(ceiling)}
    if parsed.intent is Intent.ROLLBACK and "revision" in entities:
        return {"revision": entities["revision"]}
    if parsed.intent in (Intent.DISABLE_FLAG, Intent.ENABLE_FLAG):
        return {"flag": entities["flag"]}
    if parsed.intent is Intent.PAGE:
        return {"team": entities["team"]}
    if parsed.intent is Intent.TICKET and "priority" in entities:
        return {"priority": entities["priority"]}
    return {}


async def _propose(
    rt: Runtime,
    session: AsyncSession,
    record: IncidentRecord,
    parsed: Parsed,
    asker: str,
    request_key: str,
    correlation_id: str,
) -> Plan:
    assert record.triage is not None
    now = rt.clock()
    incident = record.incident
    name = CATALOG_ACTION[parsed.intent]
    proposal = Proposal(
        action=name,
        target=record.subject.target,
        params=_params(rt, parsed),
        rationale=f"Asked for in the incident channel by <@{asker}>.",
        proposed_by=asker,
        proposed_at=now,
    )
    freeze = await load_freeze(session, now)
    facts = await incident_facts(session, incident, record.triage)
    past = await history(session, record.number, rt.policy, now)
    decision = decide(proposal, facts, record.triage, past, freeze, rt.policy, now)
    if decision.outcome is Outcome.AUTO_EXECUTE:
        # A request in chat is a proposal, never an action: a person approves it first.
        decision = dataclasses.replace(
            decision,
            outcome=Outcome.NEEDS_APPROVAL,
            approvals_needed=max(decision.approvals_needed, 1),
            reasons=(
                Reason(ReasonCode.ASSIST_MODE, "Asked for in chat: a person approves it first."),
                *decision.reasons,
            ),
        )
    key = f"{incident.correlation_id}:chat:{request_key}"[:128]
    row = action_row(incident, incident.triage_id, proposal, decision, key)
    session.add(row)
    await session.flush()
    log_action(
        session,
        row,
        EventKind.ACTION_PROPOSED,
        f"<@{asker}> asked for {row.action} on {row.target}: {decision.outcome.value}",
        correlation_id=correlation_id,
        at=now,
        actor=f"slack:{asker}",
        rationale=row.rationale,
        reasons=decision.reasons_json(),
        risk=decision.risk.value,
        mode=decision.mode.value,
        via="chat",
    )
    if decision.outcome is not Outcome.FORBIDDEN:
        await outbox.enqueue(
            session,
            kind=action_jobs.DESCRIBE,
            correlation_id=correlation_id,
            now=now,
            payload={"action_id": row.id, "incident_id": row.incident_id},
        )
    await refresh_cards(session, record.number, correlation_id, now)
    spec = CATALOG[name]
    if decision.outcome is Outcome.FORBIDDEN:
        why = "; ".join(r.text for r in decision.reasons)
        return Plan("refused", f"The policy forbids this: {escape(why)}", row, decision)
    text = (
        f"Proposed for <@{asker}>: {escape(spec.description)} Risk: {decision.risk.value}."
        f" The dry run follows on the triage card. {FALLBACK}"
    )
    return Plan("proposed", text, row, decision)
