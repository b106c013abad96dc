"""Per-request facts that flow through the intake stages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.signals import Signal
from bot.intake.effects import DeferredEffects
from bot.intake.links import PendingLinks
from bot.intake.lookups import OpenIncidents
from bot.ports.alerts import AlertSource, Rejected
from policies.decisions import Reason


class Disposition(StrEnum):
    """What became of one signal."""

    OPENED = "opened"
    ATTACHED = "attached"
    DUPLICATE = "duplicate"
    RESOLVED = "resolved"
    RESOLVED_WITHOUT_INCIDENT = "resolved_without_incident"
    # About something the bot raised itself (its own page): shown, never a new incident.
    ECHO = "echo"


@dataclass
class SignalOutcome:
    signal: Signal
    signal_id: int | None = None
    group_key: str = ""
    # Same alert, same start, same status: what makes a repeat delivery a duplicate.
    occurrence_key: str = ""
    incident_id: int | None = None
    disposition: Disposition | None = None
    # Set by grouping: the open_group_key to join instead of the signal's own group.
    attach_key: str | None = None
    # Set by grouping while the policy's breaker is open: why this alert joins the storm.
    storm: Reason | None = None
    # Set with `storm` when grouping found the storm already open: the incident to join.
    storm_incident_id: int | None = None


@dataclass
class IntakeContext:
    """Everything one webhook delivery carries and produces."""

    source: AlertSource
    headers: Mapping[str, str]
    content_type: str
    body: bytes
    received_at: datetime
    correlation_id: str
    document: Any = None
    payload: Any = None
    outcomes: list[SignalOutcome] = field(default_factory=list)
    # Alerts of the batch that were reported and skipped; the others are stored.
    rejected: list[Rejected] = field(default_factory=list)
    session: AsyncSession | None = None
    # Storm writes added up over the batch and made once, before it commits.
    effects: DeferredEffects = field(default_factory=DeferredEffects)
    # The batch's answers to "which incident holds this key?" (None: ask the database).
    open_incidents: OpenIncidents | None = None
    # The batch's signal-to-incident links, written together (None: each at once).
    pending_links: PendingLinks | None = None
    # Signals the batch stored for deliveries after this one: decisions made for this
    # one (the storm breaker's count) must not see them yet.
    signals_ahead: frozenset[int] = frozenset()

    def forget_database_facts(self) -> None:
        """Undo what the database stages noted, for a run whose transaction rolled back."""
        self.outcomes = [
            SignalOutcome(o.signal, group_key=o.group_key, occurrence_key=o.occurrence_key)
            for o in self.outcomes
        ]
        self.effects = DeferredEffects()
        self.open_incidents = None
        self.pending_links = None
        self.signals_ahead = frozenset()
        self.session = None

    def db(self) -> AsyncSession:
        assert self.session is not None, "a database stage ran outside the transaction"
        return self.session

    def summary(self) -> dict[str, Any]:
        """The JSON answer to the sender."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            key = outcome.disposition.value if outcome.disposition else "ignored"
            counts[key] = counts.get(key, 0) + 1
        incidents = sorted({o.incident_id for o in self.outcomes if o.incident_id is not None})
        return {
            "status": "accepted",
            "correlation_id": self.correlation_id,
            "signals": len(self.outcomes),
            "outcomes": counts,
            "incidents": incidents,
            "rejected": [{"index": r.index, "reason": r.reason} for r in self.rejected],
        }
