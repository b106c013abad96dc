"""The facts the policy engine decides on: small frozen values, no I/O behind them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from bot.domain.lifecycle import OPEN_STATUSES, IncidentStatus
from bot.domain.subject import Subject
from bot.domain.triage import Classification, ProposedAction
from policies.catalog import scope_target
from policies.policy_schema import AutonomyMode

TRIAGE_PROPOSER = "triage"
GLOBAL_SCOPE = "*"


def require_aware(value: datetime, name: str) -> None:
    """Refuse a naive datetime."""
    # Comparing naive and aware times raises deep inside a decision; refuse them up front.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _frozen_map(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


class IncidentState(StrEnum):
    """Whether anything may still be done about an incident."""

    OPEN = "open"
    CLOSED = "closed"

    @classmethod
    def of(cls, status: IncidentStatus) -> IncidentState:
        """Open for triggered, acknowledged and mitigated incidents; closed otherwise."""
        return cls.OPEN if status in OPEN_STATUSES else cls.CLOSED


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the system knows about one incident when it decides."""

    id: str
    service: str
    environment: str
    state: IncidentState
    classification: Classification
    signal_count: int
    # Distinct alert sources (e.g. Alertmanager and PagerDuty) that report the impact.
    independent_sources: int
    incident_class: str
    labels: Mapping[str, str] = field(default_factory=dict)
    # What the incident is about; None for facts that predate subjects (the service scope).
    subject: Subject | None = None
    # The lifecycle status in words (triggered, resolved, …), for messages that name it.
    status: str = ""

    @property
    def target(self) -> str:
        """The one target every action of this incident must name."""
        if self.subject is not None:
            return self.subject.target
        return scope_target(self.environment, self.service)

    def __post_init__(self) -> None:
        if self.signal_count < 0 or self.independent_sources < 0:
            raise ValueError("signal_count and independent_sources may not be negative")
        if self.independent_sources > self.signal_count:
            raise ValueError("independent_sources cannot exceed signal_count")
        object.__setattr__(self, "labels", _frozen_map(self.labels))

    @property
    def is_open(self) -> bool:
        return self.state is IncidentState.OPEN


class AutonomousRun(NamedTuple):
    """An action the system ran by itself, for the blast-radius budget."""

    service: str
    at: datetime


class FailedAction(NamedTuple):
    """An action that failed or did not verify for this incident."""

    action: str
    params_hash: str


class RecentAction(NamedTuple):
    """An action already run for this incident, for duplicate suppression."""

    params_hash: str
    at: datetime


class PastOutcome(NamedTuple):
    """How an executed action ended for a subject and incident class, on another incident."""

    action: str
    subject_key: str
    incident_class: str
    # verified | unverified | failed | interrupted | rolled_back
    outcome: str
    incident_id: int
    at: datetime

    @property
    def succeeded(self) -> bool:
        return self.outcome == "verified"


class AlertingService(NamedTuple):
    """A service that raised an alert, for the circuit breaker."""

    service: str
    at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """What happened before: fleet-wide runs, pages and alerts, and this incident's actions."""

    autonomous_runs: tuple[AutonomousRun, ...] = ()
    failed_actions: tuple[FailedAction, ...] = ()
    pages_sent: tuple[datetime, ...] = ()
    services_alerting: tuple[AlertingService, ...] = ()
    recent_actions: tuple[RecentAction, ...] = ()
    # Outcomes of earlier incidents' actions on the same subject (outcome memory).
    past_outcomes: tuple[PastOutcome, ...] = ()

    def __post_init__(self) -> None:
        for run in self.autonomous_runs:
            require_aware(run.at, "autonomous_runs.at")
        for at in self.pages_sent:
            require_aware(at, "pages_sent")
        for alert in self.services_alerting:
            require_aware(alert.at, "services_alerting.at")
        for recent in self.recent_actions:
            require_aware(recent.at, "recent_actions.at")

    def runs_since(self, since: datetime, service: str | None = None) -> int:
        """Autonomous runs after `since`, for one service or the whole fleet."""
        return sum(1 for r in self.autonomous_runs if r.at > since and service in (None, r.service))

    def pages_since(self, since: datetime) -> int:
        """Pages sent after `since`."""
        return sum(1 for at in self.pages_sent if at > since)

    def services_alerting_since(self, since: datetime) -> frozenset[str]:
        """Distinct services that alerted after `since`."""
        return frozenset(a.service for a in self.services_alerting if a.at > since)

    def failed_before(
        self, action: str, subject_key: str, incident_class: str, since: datetime
    ) -> PastOutcome | None:
        """The latest time this action did not work for this subject and class, if any."""
        misses = [
            o
            for o in self.past_outcomes
            if o.action == action
            and o.subject_key == subject_key
            and o.incident_class == incident_class
            and not o.succeeded
            and o.at > since
        ]
        return max(misses, key=lambda o: o.at, default=None)

    def failed(self, action: str, params_hash: str) -> bool:
        """Whether exactly this action already failed for the incident."""
        return FailedAction(action, params_hash) in self.failed_actions

    def ran_since(self, params_hash: str, since: datetime) -> bool:
        """Whether exactly this action ran for the incident after `since`."""
        return any(r.params_hash == params_hash and r.at > since for r in self.recent_actions)


@dataclass(frozen=True, slots=True)
class Freeze:
    """A stop on autonomy, until a time or until lifted."""

    reason: str
    until: datetime | None = None
    set_by: str = ""

    def __post_init__(self) -> None:
        if self.until is not None:
            require_aware(self.until, "until")

    def active(self, now: datetime) -> bool:
        """Whether the freeze still holds at `now`."""
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class FreezeState:
    """Freezes, fleet-wide and per service, and modes set from Slack that cap the file's."""

    fleet: Freeze | None = None
    services: Mapping[str, Freeze] = field(default_factory=dict)
    # "*" or a service; a cap can only lower the mode the policy file sets, never raise it.
    mode_caps: Mapping[str, AutonomyMode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", MappingProxyType(dict(self.services)))
        object.__setattr__(self, "mode_caps", MappingProxyType(dict(self.mode_caps)))

    def freeze_for(self, service: str, now: datetime) -> Freeze | None:
        """The freeze that holds for `service` at `now`, fleet-wide first."""
        if self.fleet is not None and self.fleet.active(now):
            return self.fleet
        own = self.services.get(service)
        return own if own is not None and own.active(now) else None

    def is_frozen(self, service: str, now: datetime) -> bool:
        """Whether nothing may run by itself for `service` at `now`."""
        return self.freeze_for(service, now) is not None

    def cap_for(self, service: str) -> AutonomyMode | None:
        """The lowest mode cap that applies to `service`, if any."""
        caps = [c for c in (self.mode_caps.get(GLOBAL_SCOPE), self.mode_caps.get(service)) if c]
        return min(caps, key=lambda c: c.rank) if caps else None


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed action, by the triage or by hand."""

    action: str
    target: str
    params: Mapping[str, str]
    rationale: str
    # "triage", or the Slack user id of whoever proposed it by hand.
    proposed_by: str
    proposed_at: datetime

    def __post_init__(self) -> None:
        require_aware(self.proposed_at, "proposed_at")
        object.__setattr__(self, "params", _frozen_map(self.params))

    @classmethod
    def from_triage(cls, proposed: ProposedAction, proposed_at: datetime) -> Proposal:
        """A triage's proposed action as the engine takes it."""
        return cls(
            action=proposed.action,
            target=proposed.target,
            params=proposed.param_map(),
            rationale=proposed.rationale,
            proposed_by=TRIAGE_PROPOSER,
            proposed_at=proposed_at,
        )

    @property
    def by_hand(self) -> bool:
        return self.proposed_by != TRIAGE_PROPOSER


@dataclass(frozen=True, slots=True)
class Approver:
    """Someone clicking approve: their Slack user id and the user groups they belong to."""

    user_id: str
    group_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user_id: str, group_ids: Iterable[str] = ()) -> Approver:
        return cls(user_id=user_id, group_ids=frozenset(group_ids))


def window_start(now: datetime, minutes: int) -> datetime:
    """The start of a window of `minutes` that ends at `now`."""
    require_aware(now, "now")
    return now - timedelta(minutes=minutes)
