"""Which log entries make the handoff timeline, and what each one says."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.domain.events import EventKind as K
from bot.handoff import payload
from bot.handoff.models import TimelineEntry, slack_user_id
from bot.slack_text import clip
from bot.store.models import EventRow

# Long notes stay readable in the log; the handoff only needs their gist.
MAX_WHAT = 300

Describe = Callable[[Mapping[str, Any], str], str]


def _d(data: Mapping[str, Any], key: str, default: str = "?") -> str:
    return payload.text(data, key) or default


def _mention(value: str) -> str:
    user = slack_user_id(value)
    return f"<@{user}>" if user else value


def _action(data: Mapping[str, Any]) -> str:
    action_id = payload.text(data, "action_id")
    return payload.text(data, "action") or (f"action {action_id}" if action_id else "an action")


def _signal(data: Mapping[str, Any], summary: str) -> str:
    name = payload.text(data, "alertname") or payload.text(data, "fingerprint") or "alert"
    severity = payload.text(data, "severity")
    said = payload.text(data, "summary")
    return (
        f"Alert {name} firing"
        + (f" ({severity})" if severity else "")
        + (f": {said}" if said else "")
    )


def _signal_resolved(data: Mapping[str, Any], summary: str) -> str:
    name = payload.text(data, "alertname") or payload.text(data, "fingerprint") or "alert"
    return f"Alert {name} resolved"


def _opened(data: Mapping[str, Any], summary: str) -> str:
    title = payload.text(data, "title") or summary
    severity = payload.text(data, "severity")
    return f"Incident opened: {title}" + (f" ({severity})" if severity else "")


def _triage(data: Mapping[str, Any], summary: str) -> str:
    confidence = payload.number(data, "confidence")
    parts = [
        payload.text(data, "classification"),
        payload.text(data, "incident_class"),
        None if confidence is None else f"confidence {confidence:.2f}",
    ]
    by = payload.text(data, "source") or "triage"
    return f"Triage ({by}): " + ", ".join(p for p in parts if p)


def _proposed(data: Mapping[str, Any], summary: str) -> str:
    decision = payload.text(data, "decision")
    return f"Proposed {_action(data)} on {_d(data, 'target')}" + (
        f"; policy: {decision}" if decision else ""
    )


def _approved(data: Mapping[str, Any], summary: str) -> str:
    who = [_mention(a) for a in payload.texts(data, "approvers")]
    return f"Approved {_action(data)}" + (f" by {', '.join(who)}" if who else "")


def _succeeded(data: Mapping[str, Any], summary: str) -> str:
    ms = payload.number(data, "duration_ms")
    took = f" in {ms / 1000:.1f} s" if ms is not None else ""
    by = payload.text(data, "adapter")
    return f"{_action(data)} succeeded{took}" + (f" via {by}" if by else "")


def _failed(data: Mapping[str, Any], summary: str) -> str:
    return f"{_action(data)} failed: {_d(data, 'error_code', 'no error code')}"


def _verified(data: Mapping[str, Any], summary: str) -> str:
    outcome = payload.text(data, "outcome")
    return f"{_action(data)} verified" + (f": {outcome}" if outcome else "")


def _unverified(data: Mapping[str, Any], summary: str) -> str:
    outcome = payload.text(data, "outcome")
    return f"{_action(data)} did not verify" + (f": {outcome}" if outcome else "")


def _pinned(data: Mapping[str, Any], summary: str) -> str:
    return f"Pinned: {payload.text(data, 'text') or summary}"


def _handoff(data: Mapping[str, Any], summary: str) -> str:
    owner = payload.text(data, "owner")
    return "Handed off" + (f" to {_mention(owner)}" if owner else "")


def _ticket(data: Mapping[str, Any], summary: str) -> str:
    number = payload.text(data, "number")
    return f"Ticket {number} created" if number else "Ticket created"


def _paged(data: Mapping[str, Any], summary: str) -> str:
    return f"Paged {_d(data, 'team', 'on-call')}"


def _pager_failed(data: Mapping[str, Any], summary: str) -> str:
    return f"Paging {_d(data, 'team', 'on-call')} failed"


def _gave_up(data: Mapping[str, Any], summary: str) -> str:
    work = payload.text(data, "work") or payload.text(data, "kind") or "a job"
    return f"Gave up on {work}: {_d(data, 'error', 'no reason recorded')}"


def _escalated(data: Mapping[str, Any], summary: str) -> str:
    reason = payload.text(data, "reason")
    return "Escalated" + (f": {reason}" if reason else "")


def _as_logged(prefix: str) -> Describe:
    return lambda data, summary: f"{prefix}{summary}"


DESCRIBE: dict[str, Describe] = {
    K.INCIDENT_OPENED: _opened,
    K.SIGNAL_RECEIVED: _signal,
    K.INCIDENT_SIGNAL_ATTACHED: _signal,
    K.SIGNAL_RESOLVED: _signal_resolved,
    K.INCIDENT_TRANSITIONED: lambda d, s: f"Status {_d(d, 'from')} → {_d(d, 'to')}",
    K.CHANGE_RECEIVED: _as_logged("Change: "),
    K.TRIAGE_COMPLETED: _triage,
    K.ACTION_PROPOSED: _proposed,
    K.ACTION_APPROVED: _approved,
    K.ACTION_DENIED: lambda d, s: f"Denied {_action(d)}",
    K.ACTION_EXPIRED: lambda d, s: f"{_action(d)} expired without a decision",
    K.ACTION_CANCELLED: lambda d, s: f"{_action(d)} no longer offered: the incident ended",
    K.ACTION_WITHDRAWN: lambda d, s: f"{_action(d)} not proposed: its target does not exist",
    K.ACTION_SUCCEEDED: _succeeded,
    K.ACTION_FAILED: _failed,
    K.ACTION_VERIFIED: _verified,
    K.ACTION_UNVERIFIED: _unverified,
    K.ACTION_INTERRUPTED: lambda d, s: f"{_action(d)} was interrupted",
    K.NOTE_ADDED: _as_logged("Note: "),
    K.TIMELINE_PINNED: _pinned,
    K.TICKET_CREATED: _ticket,
    K.PAGED: _paged,
    K.PAGER_ECHO: _as_logged(""),
    K.PAGER_FAILED: _pager_failed,
    K.ESCALATED: _escalated,
    K.JOB_GAVE_UP: _gave_up,
    K.SLACK_WRITE_FAILED: _gave_up,
    K.AUTONOMY_FROZEN: _as_logged("Autonomy frozen: "),
    K.HANDOFF_POSTED: _handoff,
    K.DIAGNOSTICS_POSTED: _as_logged(""),
}


def actor_of(event: EventRow) -> str:
    """Who acted: a Slack user id when it is one, else the system's own name."""
    if event.kind == K.TIMELINE_PINNED:
        author = payload.text(event.data, "author")
        if author:
            return slack_user_id(author) or author
    return slack_user_id(event.actor) or event.actor


def entries(events: Sequence[EventRow]) -> list[TimelineEntry]:
    """The important entries among `events` (oldest first, ids assigned)."""
    out = []
    for event in events:
        describe = DESCRIBE.get(event.kind)
        if describe is None or event.id is None:
            continue
        what = " ".join(describe(event.data, event.summary).split())
        out.append(
            TimelineEntry(
                at=event.at,
                actor=actor_of(event),
                what=clip(what, MAX_WHAT),
                kind=event.kind,
                event_id=event.id,
            )
        )
    return out


def newest(all_entries: Sequence[TimelineEntry], limit: int) -> tuple[list[TimelineEntry], int]:
    """The newest `limit` entries and how many earlier ones were left out."""
    if limit <= 0:
        return [], len(all_entries)
    kept = list(all_entries[-limit:])
    return kept, len(all_entries) - len(kept)
