"""The incident lifecycle as a transition table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class IncidentStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class LifecycleAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


S = IncidentStatus
A = LifecycleAction

# (from, action) -> to. Anything absent is refused. Skipping ahead is allowed where a
# responder can legitimately know more than the bot (a fix may land before anyone acks).
TRANSITIONS: dict[tuple[IncidentStatus, LifecycleAction], IncidentStatus] = {
    (S.TRIGGERED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.TRIGGERED, A.MITIGATE): S.MITIGATED,
    (S.TRIGGERED, A.RESOLVE): S.RESOLVED,
    (S.ACKNOWLEDGED, A.MITIGATE): S.MITIGATED,
    (S.ACKNOWLEDGED, A.RESOLVE): S.RESOLVED,
    (S.MITIGATED, A.RESOLVE): S.RESOLVED,
    (S.MITIGATED, A.REOPEN): S.ACKNOWLEDGED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.ACKNOWLEDGED,
}

# Which timestamp column a status sets when first entered.
TIMESTAMP_OF: dict[IncidentStatus, str] = {
    S.ACKNOWLEDGED: "acknowledged_at",
    S.MITIGATED: "mitigated_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
}

OPEN_STATUSES = frozenset({S.TRIGGERED, S.ACKNOWLEDGED, S.MITIGATED})


class TransitionRefused(Exception):
    """A lifecycle change that the table does not allow."""

    def __init__(self, current: IncidentStatus, action: LifecycleAction) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is current)
        hint = f"from {current.value} you can: {', '.join(allowed)}" if allowed else "it is final"
        super().__init__(f"cannot {action.value} an incident that is {current.value} ({hint})")
        self.current = current
        self.action = action


def next_status(current: IncidentStatus, action: LifecycleAction) -> IncidentStatus:
    """The status after an action, or TransitionRefused with a reason."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(current, action) from None


@dataclass(frozen=True)
class IncidentTimes:
    """Lifecycle timestamps of one incident."""

    triggered_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None

    def _since_trigger(self, later: datetime | None) -> float | None:
        return None if later is None else (later - self.triggered_at).total_seconds()

    @property
    def time_to_acknowledge(self) -> float | None:
        """Seconds from trigger to acknowledgement (the input to MTTA)."""
        return self._since_trigger(self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> float | None:
        """Seconds from trigger to mitigation (the input to MTTM)."""
        return self._since_trigger(self.mitigated_at)

    @property
    def time_to_resolve(self) -> float | None:
        """Seconds from trigger to resolution (the input to MTTR)."""
        return self._since_trigger(self.resolved_at)


def mean_seconds(values: list[float | None]) -> float | None:
    """Mean over the incidents that reached the milestone; None if none did."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
