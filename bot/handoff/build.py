"""Build the handoff document from an incident's event log, deterministically."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.events import EventKind as K
from bot.domain.lifecycle import IncidentStatus
from bot.handoff import payload, timeline
from bot.handoff.actions import fold_actions
from bot.handoff.models import (
    DID_NOT_HELP,
    ActionRecord,
    EvidenceItem,
    Fact,
    HandoffDocument,
    HandoffLink,
    Hypothesis,
    LinkKind,
    Person,
    Said,
    SummaryOrigin,
    slack_user_id,
)
from bot.handoff.next_step import recommend
from bot.handoff.prose import template_summary
from bot.store.models import EventRow, IncidentRow

DEFAULT_MAX_TIMELINE = 20
# Responders' messages the prose writer sees: the newest few, each clipped.
MAX_SAID = 5
MAX_SAID_CHARS = 300
# Alert names listed in the impact line; the rest are counted.
IMPACT_NAMES = 5

_SIGNAL_FIRING = frozenset({K.SIGNAL_RECEIVED, K.INCIDENT_SIGNAL_ATTACHED, K.INCIDENT_OPENED})
_SIGNAL_KINDS = _SIGNAL_FIRING | {K.SIGNAL_RESOLVED}

ROLE_OF_KIND: dict[str, str] = {
    K.INCIDENT_TRANSITIONED: "changed status",
    K.ACTION_PROPOSED: "proposed an action",
    K.ACTION_APPROVED: "approved an action",
    K.ACTION_DENIED: "denied an action",
    K.NOTE_ADDED: "added notes",
    K.TIMELINE_PINNED: "pinned messages",
    K.TICKET_CREATED: "opened the ticket",
    K.PAGED: "paged on-call",
    K.ESCALATED: "escalated",
    K.HANDOFF_POSTED: "handed off",
}


def _latest(log: Sequence[EventRow], *kinds: str) -> EventRow | None:
    return next((e for e in reversed(log) if e.kind in kinds), None)


def _ids(*events: EventRow | None) -> tuple[int, ...]:
    return tuple(sorted({e.id for e in events if e is not None and e.id is not None}))


@dataclass
class _Signal:
    name: str
    firing: bool = True
    sources: list[int] = field(default_factory=list)


def _signals(log: Sequence[EventRow]) -> dict[str, _Signal]:
    """Each alert by fingerprint, whether it still fires, and the entries about it."""
    seen: dict[str, _Signal] = {}
    for event in log:
        if event.kind not in _SIGNAL_KINDS or event.id is None:
            continue
        name = payload.text(event.data, "alertname")
        key = payload.text(event.data, "fingerprint") or name
        if key is None:
            continue
        signal = seen.setdefault(key, _Signal(name=name or key))
        if name and signal.name == key:
            signal.name = name
        signal.firing = event.kind in _SIGNAL_FIRING
        signal.sources.append(event.id)
    return seen


def _duration(start: datetime, end: datetime) -> str:
    minutes = max(0, int((end - start).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def _status(log: Sequence[EventRow], opened: EventRow | None, incident: IncidentRow) -> Fact:
    for event in reversed(log):
        if event.kind == K.INCIDENT_TRANSITIONED and (to := payload.text(event.data, "to")):
            return Fact(to, _ids(event))
    if opened is not None:
        return Fact(IncidentStatus.TRIGGERED.value, _ids(opened))
    return Fact(incident.status, ())


def _impact(
    log: Sequence[EventRow],
    opened: EventRow | None,
    incident: IncidentRow,
    status: Fact,
    now: datetime,
) -> Fact:
    data = opened.data if opened is not None else {}
    service = payload.text(data, "service") or incident.service
    environment = payload.text(data, "environment") or incident.environment
    signals = _signals(log)
    names = list(dict.fromkeys(s.name for s in signals.values()))
    if signals:
        listed = ", ".join(names[:IMPACT_NAMES])
        if len(names) > IMPACT_NAMES:
            listed += f" and {len(names) - IMPACT_NAMES} more"
        firing = sum(s.firing for s in signals.values())
        alerts = f"{len(signals)} alert{'s' if len(signals) != 1 else ''} ({listed}), " + (
            f"{firing} still firing" if firing else "all resolved"
        )
    else:
        alerts = "no alerts recorded"
    start = opened.at if opened is not None else (log[0].at if log else incident.triggered_at)
    ended = _latest(log, K.INCIDENT_TRANSITIONED)
    if status.text in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED) and ended is not None:
        span = f"from {start:%Y-%m-%d %H:%M} to {ended.at:%H:%M} UTC"
        span += f" ({_duration(start, ended.at)})"
    else:
        span = f"open since {start:%Y-%m-%d %H:%M} UTC ({_duration(start, now)})"
    sources = {i for s in signals.values() for i in s.sources} | set(_ids(opened))
    return Fact(f"{service} in {environment}: {alerts}; {span}.", tuple(sorted(sources)))


def _hypothesis(triage: EventRow | None) -> Hypothesis | None:
    if triage is None or triage.id is None:
        return None
    data = triage.data
    said = payload.text(data, "hypothesis")
    if said is None:
        return None
    origin = payload.text(data, "source") or "triage"
    model = payload.text(data, "model")
    if model and model != origin:
        origin += f", model {model}"
    if reason := payload.text(data, "fallback_reason"):
        origin += f", fallback: {reason}"
    evidence = tuple(
        EvidenceItem(
            source=payload.text(item, "source") or "unknown",
            claim=claim,
            pointer=payload.text(item, "pointer") or "",
            sources=(triage.id,),
        )
        for item in payload.records(data, "evidence")
        if (claim := payload.text(item, "claim"))
    )
    return Hypothesis(
        text=said,
        confidence=payload.number(data, "confidence"),
        origin=origin,
        recommended_team=payload.text(data, "recommended_team"),
        evidence=evidence,
        sources=(triage.id,),
    )


def _classification(triage: EventRow | None) -> Fact | None:
    if triage is None:
        return None
    level = payload.text(triage.data, "classification")
    if level is None:
        return None
    kind = payload.text(triage.data, "incident_class")
    return Fact(level + (f" ({kind})" if kind else ""), _ids(triage))


def _team(hypothesis: Hypothesis | None, log: Sequence[EventRow]) -> Fact | None:
    if hypothesis is not None and hypothesis.recommended_team:
        return Fact(hypothesis.recommended_team, hypothesis.sources)
    paged = _latest(log, K.PAGED)
    if paged is not None and (team := payload.text(paged.data, "team")):
        return Fact(team, _ids(paged))
    return None


def _open_questions(
    triage: EventRow | None, actions: Sequence[ActionRecord], log: Sequence[EventRow]
) -> tuple[Fact, ...]:
    questions: dict[str, tuple[int, ...]] = {}
    if triage is not None:
        for unknown in payload.texts(triage.data, "unknowns"):
            questions.setdefault(unknown, _ids(triage))
    for action in actions:
        if action.outcome in DID_NOT_HELP:
            text = (
                f"Why did {action.action} on {action.target} not help? "
                f"Last outcome: {action.outcome_text}."
            )
            questions.setdefault(text, action.sources)
    for event in log:
        if event.kind == K.PAGER_FAILED:
            team = payload.text(event.data, "team") or "on-call"
            questions.setdefault(f"Paging {team} failed: has anyone reached them?", _ids(event))
    return tuple(Fact(text, sources) for text, sources in questions.items())


def _people(log: Sequence[EventRow]) -> tuple[Person, ...]:
    roles: dict[str, dict[str, None]] = {}
    sources: dict[str, set[int]] = {}

    def add(who: str | None, role: str, event_id: int) -> None:
        user = slack_user_id(who) if who else None
        if user is None:
            return
        roles.setdefault(user, {})[role] = None
        sources.setdefault(user, set()).add(event_id)

    for event in log:
        if event.id is None:
            continue
        add(event.actor, ROLE_OF_KIND.get(event.kind, "responder"), event.id)
        if event.kind == K.ACTION_APPROVED:
            for approver in payload.texts(event.data, "approvers"):
                add(approver, "approved an action", event.id)
        elif event.kind == K.TIMELINE_PINNED:
            add(payload.text(event.data, "author"), "pinned messages", event.id)
        elif event.kind == K.HANDOFF_POSTED:
            add(payload.text(event.data, "owner"), "owner", event.id)
    return tuple(
        Person(user_id=user, roles=tuple(roles[user]), sources=tuple(sorted(sources[user])))
        for user in roles
    )


def _links(
    log: Sequence[EventRow],
    triage: EventRow | None,
    channel_url: str | None,
    ticket_url: str | None,
) -> tuple[HandoffLink, ...]:
    links: list[HandoffLink] = []
    channel = _latest(log, K.SLACK_CHANNEL_CREATED, K.SLACK_CHANNEL_ADOPTED)
    if channel is not None or channel_url:
        data = channel.data if channel is not None else {}
        name = payload.text(data, "channel_name")
        title = f"#{name}" if name else payload.text(data, "channel_id") or "Incident channel"
        links.append(HandoffLink(LinkKind.CHANNEL, title, channel_url, _ids(channel)))
    ticket = _latest(log, K.TICKET_CREATED)
    if ticket is not None or ticket_url:
        data = ticket.data if ticket is not None else {}
        number = payload.text(data, "number")
        logged_url = payload.text(data, "url")
        url = ticket_url or (logged_url if logged_url and payload.is_web_url(logged_url) else None)
        title = f"Ticket {number}" if number else "Ticket"
        links.append(HandoffLink(LinkKind.TICKET, title, url, _ids(ticket)))
    alert_links: dict[str, tuple[str, list[int]]] = {}
    for event in log:
        if event.kind not in _SIGNAL_KINDS or event.id is None:
            continue
        fallback = payload.text(event.data, "alertname") or "Alert"
        for link in payload.records(event.data, "links"):
            url = payload.text(link, "url")
            if url is None or not payload.is_web_url(url):
                continue
            title = payload.text(link, "title") or fallback
            alert_links.setdefault(url, (title, []))[1].append(event.id)
    links += [
        HandoffLink(LinkKind.ALERT, title, url, tuple(sorted(set(ids))))
        for url, (title, ids) in alert_links.items()
    ]
    if triage is not None:
        for pointer in dict.fromkeys(payload.texts(triage.data, "runbook_pointers")):
            url = pointer if payload.is_web_url(pointer) else None
            title = pointer.split("://", 1)[-1]
            links.append(HandoffLink(LinkKind.RUNBOOK, title, url, _ids(triage)))
    return tuple(links)


def _said(log: Sequence[EventRow]) -> tuple[Said, ...]:
    """The newest responder messages, bounded; untrusted, for the prose writer only."""
    messages = [e for e in log if e.kind == K.CHAT_MESSAGE][-MAX_SAID:]
    return tuple(
        Said(
            at=e.at,
            who=payload.text(e.data, "user") or e.actor,
            text=(payload.text(e.data, "text") or "")[:MAX_SAID_CHARS],
            event_id=e.id or 0,
        )
        for e in messages
        if payload.text(e.data, "text")
    )


def build_handoff(
    incident: IncidentRow,
    events: Sequence[EventRow],
    *,
    now: datetime,
    owner: str | None = None,
    channel_url: str | None = None,
    ticket_url: str | None = None,
    max_timeline: int = DEFAULT_MAX_TIMELINE,
) -> HandoffDocument:
    """The handoff of `incident` from its log; the same input always gives the same output."""
    if incident.id is None:
        raise ValueError("the incident has not been saved yet")
    channel_url = channel_url if channel_url and payload.is_web_url(channel_url) else None
    ticket_url = ticket_url if ticket_url and payload.is_web_url(ticket_url) else None
    # Only entries of this incident, in log order, whatever order they came in.
    log = sorted(
        (e for e in events if e.id is not None and e.incident_id == incident.id),
        key=lambda e: e.id or 0,
    )
    opened = _latest(log, K.INCIDENT_OPENED)
    opened_data = opened.data if opened is not None else {}
    triage = _latest(log, K.TRIAGE_COMPLETED)
    status = _status(log, opened, incident)
    actions = fold_actions(log)
    hypothesis = _hypothesis(triage)
    kept, earlier = timeline.newest(timeline.entries(log), max_timeline)
    document = HandoffDocument(
        incident_id=incident.id,
        correlation_id=incident.correlation_id,
        generated_at=now,
        title=Fact(payload.text(opened_data, "title") or incident.title, _ids(opened)),
        summary="",
        summary_origin=SummaryOrigin.TEMPLATE,
        impact=_impact(log, opened, incident, status, now),
        status=status,
        severity=Fact(payload.text(opened_data, "severity") or incident.severity, _ids(opened)),
        classification=_classification(triage),
        timeline=tuple(kept),
        earlier_entries=earlier,
        actions=tuple(actions),
        hypothesis=hypothesis,
        open_questions=_open_questions(triage, actions, log),
        next_step=recommend(
            status.text, status.sources, actions, hypothesis, _team(hypothesis, log)
        ),
        people=_people(log),
        links=_links(log, triage, channel_url, ticket_url),
        owner=slack_user_id(owner) or owner if owner else None,
        said=_said(log),
    )
    return dataclasses.replace(document, summary=template_summary(document))
