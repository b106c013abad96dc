"""`FakePager`: an in-memory Pager with PagerDuty's dedup semantics and failure injection."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.pager import Page

OPERATIONS = frozenset({"probe", "trigger", "acknowledge", "resolve", "add_note"})


@dataclass
class FakeIncident:
    """One vendor incident: opened by a trigger, closed by a resolve."""

    id: str
    dedup_key: str
    summary: str
    status: str = "triggered"  # triggered | acknowledged | resolved
    triggers: int = 1
    notes: list[str] = field(default_factory=list)


class FakePager:
    """Records every call; a trigger on an open key joins it, as PagerDuty's dedup does."""

    name = "pagerduty"

    def __init__(self, *, notes_enabled: bool = True) -> None:
        self.notes_enabled = notes_enabled
        self.pages: list[Page] = []
        self.acks: list[tuple[str, datetime]] = []
        self.resolves: list[tuple[str, datetime]] = []
        self.notes: list[tuple[str, str]] = []
        self.incidents: list[FakeIncident] = []
        self.calls: list[str] = []
        self._failures: dict[str, deque[AdapterError]] = {op: deque() for op in OPERATIONS}

    def fail(self, operation: str, error: AdapterError, *, times: int = 1) -> None:
        """Make the next `times` calls of `operation` raise `error` (and record nothing)."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {sorted(OPERATIONS)}")
        self._failures[operation].extend([error] * times)

    def _enter(self, operation: str) -> None:
        self.calls.append(operation)
        pending = self._failures[operation]
        if pending:
            raise pending.popleft()

    def open_incident(self, dedup_key: str) -> FakeIncident | None:
        """The unresolved incident under `dedup_key`, if any."""
        for incident in reversed(self.incidents):
            if incident.dedup_key == dedup_key and incident.status != "resolved":
                return incident
        return None

    def latest_incident(self, dedup_key: str) -> FakeIncident | None:
        """The newest incident under `dedup_key`, resolved or not."""
        for incident in reversed(self.incidents):
            if incident.dedup_key == dedup_key:
                return incident
        return None

    async def probe(self) -> None:
        """Raise `NotReady` when a failure was injected for `probe`."""
        try:
            self._enter("probe")
        except AdapterError as exc:
            raise NotReady(self.name, exc.message) from None

    async def trigger(self, page: Page) -> str:
        """Open an incident, or add a trigger to the open one under the same key."""
        self._enter("trigger")
        self.pages.append(page)
        incident = self.open_incident(page.dedup_key)
        if incident is None:
            incident = FakeIncident(
                id=f"PFAKE{len(self.incidents) + 1:03d}",
                dedup_key=page.dedup_key,
                summary=page.summary,
            )
            self.incidents.append(incident)
        else:
            incident.triggers += 1
        return page.dedup_key

    async def acknowledge(self, dedup_key: str, timestamp: datetime) -> None:
        """Acknowledge the open incident; like PagerDuty, silently drop it if none is open."""
        self._enter("acknowledge")
        self.acks.append((dedup_key, timestamp))
        incident = self.open_incident(dedup_key)
        if incident is not None:
            incident.status = "acknowledged"

    async def resolve(self, dedup_key: str, timestamp: datetime) -> None:
        """Resolve the open incident; like PagerDuty, silently drop it if none is open."""
        self._enter("resolve")
        self.resolves.append((dedup_key, timestamp))
        incident = self.open_incident(dedup_key)
        if incident is not None:
            incident.status = "resolved"

    async def add_note(self, dedup_key: str, note: str) -> None:
        """Attach a note to the newest incident under the key, as the real adapter does."""
        self._enter("add_note")
        if not self.notes_enabled:
            raise AdapterError(
                "not_configured", "PagerDuty notes need api_token and from_email", retryable=False
            )
        incident = self.latest_incident(dedup_key)
        if incident is None:
            raise AdapterError(
                "incident_not_found",
                f"no PagerDuty incident with dedup key {dedup_key!r} yet",
                retryable=True,
            )
        incident.notes.append(note)
        self.notes.append((dedup_key, note))
