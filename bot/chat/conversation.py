"""A model's reading of one message: read-only tools over the record and the adapters.

The tools answer from the same functions as the deterministic answers (so citations are
the same), plus the adapters' read-only calls: an action's dry run (`describe`) for a
request, and what collecting diagnostics would gather. Nothing here writes anything.
The conversation is bounded in steps, in seconds on the injected clock, and in tokens per
incident, counted from the event log so every replica sees the same spend.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.chat import answers
from bot.chat.answers import Finding
from bot.chat.intents import CATALOG_ACTION, QUESTIONS, Intent, Parsed
from bot.chat.ports import ChatModel, ModelBudget, ModelReading
from bot.chat.record import IncidentRecord
from bot.chat.safety import untrusted
from bot.domain.events import EventKind
from bot.ports.adapters import AdapterError
from bot.ports.remediation import ActionRequest
from bot.runtime import Runtime
from policies.catalog import CATALOG

log = logging.getLogger(__name__)

MAX_STEPS = 4
# Seconds one conversation may take, tools included, on the runtime's clock.
MAX_SECONDS = 20.0
# Tokens one conversation, and all conversations of one incident, may use.
TOKENS_PER_CONVERSATION = 6_000
TOKENS_PER_INCIDENT = 30_000
DRY_RUN_TIMEOUT_NOTE = "The dry run could not be read just now."

OnCallFinding = Callable[[IncidentRecord], Awaitable[Finding]]


@dataclass
class Conversation:
    """The model's reading and every finding its tools returned (for the citations)."""

    reading: ModelReading
    findings: list[Finding] = field(default_factory=list)

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(c for f in self.findings for c in f.citations)


def tokens_spent(record: IncidentRecord) -> int:
    """Model tokens this incident's conversations have used, from the event log."""
    spent = 0
    for event in record.events:
        if event.kind == EventKind.CHAT_PARSED.value:
            value = (event.data.get("model") or {}).get("tokens", 0)
            spent += value if isinstance(value, int) else 0
    return spent


def budget_left(record: IncidentRecord) -> int:
    return min(TOKENS_PER_CONVERSATION, TOKENS_PER_INCIDENT - tokens_spent(record))


async def converse(
    rt: Runtime, model: ChatModel, record: IncidentRecord, text: str, on_call: OnCallFinding
) -> Conversation:
    """Let the model read `text` with the record's tools; never raises for the model's sake."""
    left = budget_left(record)
    if left <= 0:
        return Conversation(ModelReading(None, failure="incident_token_budget"))
    conversation = Conversation(ModelReading(None))

    async def run_tool(parsed: Parsed) -> str:
        finding = await _tool(rt, record, parsed, on_call)
        conversation.findings.append(finding)
        return finding.text() + ("\n" + "; ".join(finding.citations) if finding.citations else "")

    budget = ModelBudget(MAX_STEPS, left, MAX_SECONDS, rt.time.monotonic)
    conversation.reading = await model.read(text, run_tool, budget)
    return conversation


async def _tool(
    rt: Runtime, record: IncidentRecord, parsed: Parsed, on_call: OnCallFinding
) -> Finding:
    if parsed.intent is Intent.ONCALL:
        return await on_call(record)
    if parsed.intent is Intent.DIAGNOSTICS:
        return await _diagnostics(rt, record)
    topic = answers.TOPICS.get(parsed.intent)
    if topic is not None and parsed.intent in QUESTIONS:
        return topic(record)
    name = CATALOG_ACTION.get(parsed.intent)
    if name is not None:
        return await _dry_run(rt, record, name, parsed)
    return answers.help_text()


async def _diagnostics(rt: Runtime, record: IncidentRecord) -> Finding:
    """What was collected; with nothing yet, what collecting would gather (a dry run)."""
    found = answers.diagnostics(record)
    if any(a.result for a in record.actions if a.action == "collect_diagnostics"):
        return found
    preview = await _describe(rt, record, "collect_diagnostics", {})
    if preview is None:
        return found
    return Finding(found.topic, found.title, (*found.lines, preview), found.citations)


async def _dry_run(rt: Runtime, record: IncidentRecord, name: str, parsed: Parsed) -> Finding:
    """A request's dry run: what the adapter would change; nothing runs or is stored."""
    spec = CATALOG[name]
    params = {k: v for k, v in parsed.entities.items() if k in spec.param_names}
    lines = [
        f"Would propose `{name}` on `{untrusted(record.subject.target, 120)}` for a"
        " person to approve; nothing runs until then.",
    ]
    preview = await _describe(rt, record, name, params)
    if preview is not None:
        lines.append(preview)
    return Finding(parsed.intent, "Proposal preview", tuple(lines))


async def _describe(
    rt: Runtime, record: IncidentRecord, name: str, params: dict[str, str]
) -> str | None:
    remediator = rt.adapters.remediator_for(name)
    if remediator is None:
        return None
    request = ActionRequest(
        action=name,
        service=record.incident.service,
        environment=record.incident.environment,
        params=params,
        # A describe writes nothing, so the key only has to be unique to the question.
        idempotency_key=f"{record.incident.correlation_id}:chat-preview:{name}",
        incident_id=str(record.number),
        subject=record.subject,
    )
    try:
        plan = await remediator.describe(request)
    except AdapterError as exc:
        log.info("chat dry run of %s failed: %s", name, exc.code)
        return DRY_RUN_TIMEOUT_NOTE
    details = ", ".join(
        f"{untrusted(k, 40)}={untrusted(str(v), 80)}" for k, v in sorted(plan.details.items())
    )
    summary = untrusted(plan.summary, 300)
    return f"Dry run ({untrusted(plan.adapter, 40)}): {summary}" + (
        f" ({details})" if details else ""
    )
