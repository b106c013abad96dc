"""The handoff document: every fact with the event log entries it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Slack user ids (U…, or W… on Enterprise Grid); anything else is not treated as a person.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def slack_user_id(value: str) -> str | None:
    """The Slack user id in an actor or approver value ("U123" or "slack:U123"), if any."""
    candidate = value.removeprefix("slack:")
    return candidate if _USER_ID.fullmatch(candidate) else None


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement of the handoff and the ids of the log entries it was read from."""

    text: str
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One important log entry: when (UTC), who, what."""

    at: datetime
    actor: str
    what: str
    kind: str
    event_id: int

    @property
    def sources(self) -> tuple[int, ...]:
        """The entry's own log id."""
        return (self.event_id,)


class ActionOutcome(StrEnum):
    """Where an action stands, read from the newest log entry about it."""

    AWAITING_APPROVAL = "awaiting_approval"
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    ESCALATED = "escalated"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    RUNNING = "running"
    SHADOWED = "shadowed"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    INTERRUPTED = "interrupted"

    @property
    def label(self) -> str:
        """The outcome in words."""
        return _OUTCOME_LABELS.get(self, self.value)


_OUTCOME_LABELS = {
    ActionOutcome.AWAITING_APPROVAL: "awaiting approval",
    ActionOutcome.ALLOWED: "allowed by policy, not started",
    ActionOutcome.BLOCKED: "blocked by policy",
    ActionOutcome.ESCALATED: "left to people by policy",
    ActionOutcome.SHADOWED: "shadowed (not run)",
    ActionOutcome.UNVERIFIED: "ran but did not verify",
}

# Outcomes after which the action may still change something.
IN_FLIGHT = frozenset(
    {
        ActionOutcome.ALLOWED,
        ActionOutcome.APPROVED,
        ActionOutcome.RUNNING,
        ActionOutcome.SUCCEEDED,
    }
)
# Outcomes that say the action did not help.
DID_NOT_HELP = frozenset(
    {ActionOutcome.FAILED, ActionOutcome.UNVERIFIED, ActionOutcome.INTERRUPTED}
)


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One proposed action, how it ended, and who approved or denied it."""

    action_id: str
    action: str
    target: str
    outcome: ActionOutcome
    proposed_by: str | None
    approvers: tuple[str, ...]
    denied_by: tuple[str, ...]
    error_code: str | None
    verification: str | None
    sources: tuple[int, ...]

    @property
    def outcome_text(self) -> str:
        """The outcome in words, with the error code or verification result."""
        detail = self.error_code or self.verification
        return self.outcome.label + (f" ({detail})" if detail else "")

    @property
    def text(self) -> str:
        """The action and its outcome in one line."""
        return f"{self.action} on {self.target}: {self.outcome_text}"


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One observation the hypothesis rests on, and where it can be checked."""

    source: str
    claim: str
    pointer: str
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """The newest triage's explanation, how sure it is and who produced it."""

    text: str
    confidence: float | None
    origin: str
    recommended_team: str | None
    evidence: tuple[EvidenceItem, ...]
    sources: tuple[int, ...]


class LinkKind(StrEnum):
    CHANNEL = "channel"
    TICKET = "ticket"
    ALERT = "alert"
    RUNBOOK = "runbook"


@dataclass(frozen=True, slots=True)
class HandoffLink:
    """A place to look; `url` is None for a pointer that is not a web address.

    Links the caller passes in (channel and ticket URLs) carry no sources when the log
    has no entry for that channel or ticket.
    """

    kind: LinkKind
    title: str
    url: str | None
    sources: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who took part, with what they did."""

    user_id: str
    roles: tuple[str, ...]
    sources: tuple[int, ...]


class SummaryOrigin(StrEnum):
    TEMPLATE = "template"
    WRITER = "writer"


@dataclass(frozen=True, slots=True)
class Said:
    """A responder's message from the channel: untrusted words, never a fact."""

    at: datetime
    who: str
    text: str
    event_id: int


@dataclass(frozen=True, slots=True)
class HandoffDocument:
    """What a new owner needs, built from the event log; only `summary` is prose."""

    incident_id: int
    correlation_id: str
    generated_at: datetime
    title: Fact
    summary: str
    summary_origin: SummaryOrigin
    impact: Fact
    status: Fact
    severity: Fact
    classification: Fact | None
    timeline: tuple[TimelineEntry, ...]
    earlier_entries: int
    actions: tuple[ActionRecord, ...]
    hypothesis: Hypothesis | None
    open_questions: tuple[Fact, ...]
    next_step: Fact
    people: tuple[Person, ...]
    links: tuple[HandoffLink, ...]
    owner: str | None
    # What responders said lately; only the prose writer reads it, as delimited data.
    said: tuple[Said, ...] = ()

    def facts(self) -> tuple[tuple[str, Fact], ...]:
        """Every fact as (section, fact), so each can be traced to the log."""
        out: list[tuple[str, Fact]] = [
            ("title", self.title),
            ("impact", self.impact),
            ("status", self.status),
            ("severity", self.severity),
            ("next_step", self.next_step),
        ]
        if self.classification is not None:
            out.append(("classification", self.classification))
        out += [("timeline", Fact(e.what, e.sources)) for e in self.timeline]
        out += [("actions", Fact(a.text, a.sources)) for a in self.actions]
        if self.hypothesis is not None:
            out.append(("hypothesis", Fact(self.hypothesis.text, self.hypothesis.sources)))
            out += [("evidence", Fact(e.claim, e.sources)) for e in self.hypothesis.evidence]
        out += [("open_questions", q) for q in self.open_questions]
        out += [("people", Fact(p.user_id, p.sources)) for p in self.people]
        out += [("links", Fact(link.url or link.title, link.sources)) for link in self.links]
        return tuple(out)
