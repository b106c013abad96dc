"""Answers from the record, one topic each; every line says where it came from.

These are the read-only tools a model calls, and the deterministic answers: the same
functions over the same record, so both cite the same events, changes and pointers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.chat.intents import Intent
from bot.chat.ports import OnCall
from bot.chat.record import IncidentRecord
from bot.chat.safety import link, mention, untrusted
from bot.domain.events import EventKind
from bot.store.models import ActionRow, ChangeRow, EventRow
from policies.catalog import CATALOG

MAX_TIMELINE = 12
MAX_LINES = 8
# Bookkeeping and the conversation's own audit: not what "what happened" means.
_QUIET = frozenset(
    {
        EventKind.SLACK_CARD_POSTED.value,
        EventKind.SLACK_ANNOUNCED.value,
        EventKind.SIGNAL_DUPLICATE.value,
        EventKind.TRIAGE_CHECKED.value,
        EventKind.CHAT_PARSED.value,
        EventKind.CHAT_PLANNED.value,
        EventKind.CHAT_ANSWERED.value,
        EventKind.CHAT_MODEL_REJECTED.value,
        EventKind.CHAT_PROPOSAL_POSTED.value,
        EventKind.ACTION_CLICK_REFUSED.value,
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """What the record says on one topic, and the citations behind it."""

    topic: Intent
    title: str
    lines: tuple[str, ...]
    citations: tuple[str, ...] = ()

    def text(self) -> str:
        body = "\n".join(self.lines)
        return f"*{self.title}*\n{body}"


def _hm(at: datetime) -> str:
    return f"{at:%H:%M} UTC"


def _ago(now: datetime, at: datetime) -> str:
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"


def _actor(who: str | None) -> str:
    if not who:
        return "nobody"
    user = who.removeprefix("slack:")
    if user.startswith("U") and user.isalnum():
        return mention(user)
    return untrusted(user, 40)


def status(record: IncidentRecord) -> Finding:
    incident = record.incident
    owner = mention(incident.owner) if incident.owner else "no owner yet"
    firing = "the signal has resolved" if incident.signal_resolved else "still firing"
    lines = [
        f"#{record.number} *{untrusted(incident.title, 150)}* is *{incident.status}*"
        f" ({incident.severity}, {untrusted(record.subject.describe(), 120)}).",
        f"Owner: {owner}. Opened {_hm(incident.triggered_at)}"
        f" ({_ago(record.now, incident.triggered_at)}); {incident.signal_count} signal(s),"
        f" {firing}.",
    ]
    if incident.ticket_ref:
        ticket = untrusted(incident.ticket_ref, 60)
        if incident.ticket_url:
            ticket = link(incident.ticket_url, incident.ticket_ref)
        lines.append(f"Ticket: {ticket}.")
    waiting = [a for a in record.actions if a.state == "awaiting_approval"]
    if waiting:
        lines.append(f"{len(waiting)} proposed action(s) wait for approval.")
    citations = [f"incident:{incident.correlation_id}"]
    moves = [e for e in record.events if e.kind == EventKind.INCIDENT_TRANSITIONED.value]
    if moves:
        citations.append(f"event:{moves[-1].id}")
    return Finding(Intent.STATUS, "Status", tuple(lines), tuple(citations))


def changes(record: IncidentRecord) -> Finding:
    window = _window(record.lookback)
    scope = f"{untrusted(record.incident.environment, 40)}/{untrusted(record.incident.service, 80)}"
    if not record.changes:
        return Finding(
            Intent.CHANGES,
            "What changed",
            (f"No change to {scope} is recorded from {window} before the alert until now.",),
            (f"changes:{record.incident.environment}/{record.incident.service}",),
        )
    lines = [_change_line(record, c) for c in record.changes[:MAX_LINES]]
    more = len(record.changes) - MAX_LINES
    if more > 0:
        lines.append(f"…and {more} more")
    lines.insert(0, f"Changes to {scope} from {window} before the alert until now, newest first:")
    citations = tuple(f"change:{c.source}/{c.external_id}" for c in record.changes[:MAX_LINES])
    return Finding(Intent.CHANGES, "What changed", tuple(lines), citations)


def _change_line(record: IncidentRecord, change: ChangeRow) -> str:
    delta = record.incident.triggered_at - change.at
    minutes = int(delta.total_seconds() // 60)
    when = f"{minutes} min before the alert" if minutes >= 0 else f"{-minutes} min after it"
    what = f"`{untrusted(change.subject, 60)}` " if change.subject else ""
    by = f" by {untrusted(change.actor, 40)}" if change.actor else ""
    source = f"{change.source}/{change.external_id}"
    pointer = (
        link(change.pointer, source)
        if change.pointer.startswith(("https://", "http://"))
        else f"`{untrusted(source, 80)}`"
    )
    return (
        f"• {change.kind} {what}at {_hm(change.at)} ({when}){by}:"
        f" {untrusted(change.description, 200)} ({pointer})"
    )


def _window(lookback: timedelta) -> str:
    minutes = int(lookback.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def timeline(record: IncidentRecord) -> Finding:
    shown = [e for e in record.events if e.kind not in _QUIET]
    recent = shown[-MAX_TIMELINE:]
    lines = [_event_line(e) for e in recent]
    if len(shown) > len(recent):
        lines.insert(0, f"_…{len(shown) - len(recent)} earlier entries not shown_")
    if not lines:
        lines = ["Nothing is recorded yet."]
    return Finding(
        Intent.TIMELINE, "Timeline", tuple(lines), tuple(f"event:{e.id}" for e in recent)
    )


def _event_line(event: EventRow) -> str:
    if event.kind == EventKind.CHAT_MESSAGE.value:
        who = _actor(event.actor)
        return f"• {_hm(event.at)} {who} said: “{untrusted(str(event.data.get('text', '')), 160)}”"
    return f"• {_hm(event.at)} {untrusted(event.summary, 200)} (#{event.id})"


def actions(record: IncidentRecord) -> Finding:
    if not record.actions:
        return Finding(
            Intent.ACTIONS, "What was tried", ("Nothing has been proposed or tried yet.",)
        )
    lines = [_action_line(a) for a in record.actions[-MAX_LINES:]]
    citations = tuple(f"action:{a.id}" for a in record.actions[-MAX_LINES:])
    return Finding(Intent.ACTIONS, "What was tried", tuple(lines), citations)


def _action_line(action: ActionRow) -> str:
    proposer = "the triage" if action.proposed_by == "triage" else _actor(action.proposed_by)
    parts = [
        f"• `{action.action}` on `{untrusted(action.target, 80)}`: *{action.state}*",
        f"proposed by {proposer}",
    ]
    if action.approvers:
        parts.append("approved by " + ", ".join(_actor(a) for a in action.approvers))
    elif action.decided_by and action.state == "denied":
        parts.append(f"denied by {_actor(action.decided_by)}")
    elif action.decided_by == "policy":
        parts.append("run by policy")
    outcome = action.error or (action.result or {}).get("summary")
    if outcome:
        parts.append(f"outcome: {untrusted(str(outcome), 200)}")
    return "; ".join(parts) + f" (action {action.id})"


def hypothesis(record: IncidentRecord) -> Finding:
    triage = record.triage
    if triage is None:
        return Finding(Intent.HYPOTHESIS, "Hypothesis", ("The triage has not finished yet.",))
    report = triage.report
    lines = [
        f"{untrusted(report.hypothesis, 400)}",
        f"Class `{untrusted(report.incident_class, 60)}`, {report.classification.value},"
        f" confidence {report.confidence:.2f} ({triage.source.value}).",
    ]
    citations: list[str] = []
    for evidence in report.evidence[:MAX_LINES]:
        lines.append(
            f"• _{evidence.source.value}_ {untrusted(evidence.claim, 200)}"
            f" — `{untrusted(evidence.pointer, 100)}`"
        )
        citations.append(evidence.pointer)
    for unknown in report.unknowns[:3]:
        lines.append(f"• unknown: {untrusted(unknown, 200)}")
    return Finding(Intent.HYPOTHESIS, "Hypothesis", tuple(lines), tuple(citations))


def runbook(record: IncidentRecord) -> Finding:
    matches = record.context.runbook_matches
    if not matches:
        return Finding(Intent.RUNBOOK, "Runbook", ("No runbook matches this incident's signals.",))
    best = matches[0].runbook
    lines = [f"*{untrusted(best.title, 100)}* (`runbook:{best.name}`, team {best.team})"]
    lines.append(untrusted(best.description, 400))
    for step in best.actions[:MAX_LINES]:
        why = f": {untrusted(step.rationale, 160)}" if step.rationale else ""
        lines.append(f"• `{step.action}`{why}")
    others = [m.name for m in matches[1:4]]
    if others:
        lines.append("Also matched: " + ", ".join(f"`runbook:{n}`" for n in others))
    return Finding(Intent.RUNBOOK, "Runbook", tuple(lines), (f"runbook:{best.name}",))


def similar(record: IncidentRecord) -> Finding:
    past = record.context.past_incidents
    if not past:
        return Finding(
            Intent.SIMILAR, "Similar incidents", ("No earlier incident of this service is closed.",)
        )
    lines = [
        f"• {untrusted(p.title, 120)} — {untrusted(p.resolution, 240)}"
        f" (`{untrusted(p.pointer, 80)}`)"
        for p in past
    ]
    return Finding(
        Intent.SIMILAR, "Similar incidents", tuple(lines), tuple(p.pointer for p in past)
    )


def diagnostics(record: IncidentRecord) -> Finding:
    runs = [a for a in record.actions if a.action == "collect_diagnostics"]
    done = [a for a in runs if a.result]
    if not done:
        state = f" (one is {runs[-1].state})" if runs else ""
        return Finding(
            Intent.DIAGNOSTICS,
            "Diagnostics",
            (f"No diagnostics are collected yet{state}. Ask me to collect diagnostics.",),
            tuple(f"action:{a.id}" for a in runs),
        )
    lines: list[str] = []
    for action in done[-3:]:
        summary = action.result.get("summary", "")
        lines.append(
            f"• {_hm(action.finished_at or action.proposed_at)}: {untrusted(str(summary), 600)}"
        )
        for key, value in sorted(action.result.items()):
            if key != "summary" and isinstance(value, str | int | float):
                lines.append(f"   {untrusted(key, 40)}: {untrusted(str(value), 200)}")
    return Finding(
        Intent.DIAGNOSTICS, "Diagnostics", tuple(lines[:20]), tuple(f"action:{a.id}" for a in done)
    )


def oncall(record: IncidentRecord, people: list[OnCall] | None = None) -> Finding:
    lines: list[str] = []
    team = record.triage.report.recommended_team if record.triage else record.subject.team
    if people:
        for entry in people[:MAX_LINES]:
            until = f" until {untrusted(entry.until, 40)}" if entry.until else ""
            lines.append(f"• {untrusted(entry.who, 60)} ({untrusted(entry.schedule, 60)}){until}")
    elif people is None:
        lines.append("No on-call lookup is configured; here is what the record says.")
    if team:
        lines.append(f"Team for this incident: `{untrusted(team, 64)}`.")
    if record.incident.owner:
        lines.append(f"Owner: {mention(record.incident.owner)}.")
    pages = [e for e in record.events if e.kind == EventKind.PAGED.value]
    if pages:
        lines.append(f"Paged at {_hm(pages[-1].at)}: {untrusted(pages[-1].summary, 160)}.")
    else:
        lines.append("Nobody has been paged for this incident.")
    if record.responders:
        lines.append("Responders: " + ", ".join(mention(u) for u in record.responders[:10]))
    citations = tuple(f"event:{e.id}" for e in pages[-1:])
    return Finding(Intent.ONCALL, "On call", tuple(lines), citations)


def help_text() -> Finding:
    lines = (
        "Ask me about this incident: _status_, _what changed_, _timeline_, _what was tried_,"
        " _hypothesis_ / _evidence_, _runbook_, _seen this before?_, _diagnostics_,"
        " _who is on call_.",
        "Ask me for an action and I propose it for approval: "
        + ", ".join(f"`{name}`" for name in CATALOG)
        + ", or _freeze for 30m_. Nothing runs until someone approves it.",
    )
    return Finding(Intent.HELP, "What I can do", lines)


TOPICS: dict[Intent, Callable[[IncidentRecord], Finding]] = {
    Intent.STATUS: status,
    Intent.CHANGES: changes,
    Intent.TIMELINE: timeline,
    Intent.ACTIONS: actions,
    Intent.HYPOTHESIS: hypothesis,
    Intent.RUNBOOK: runbook,
    Intent.SIMILAR: similar,
    Intent.DIAGNOSTICS: diagnostics,
}
