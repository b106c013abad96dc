"""The `Ticketing` capability: the incident's record of truth in an ITSM system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TicketDraft:
    correlation_id: str  # our incident id: how a retry finds the ticket it already made
    short_description: str
    description: str
    classification: str  # low | medium | high | sev1
    team: str
    channel_url: str


@dataclass(frozen=True, slots=True)
class TicketRef:
    number: str
    sys_id: str
    url: str


class Ticketing(Protocol):
    name: str

    async def probe(self) -> None: ...

    async def find_or_create(self, draft: TicketDraft) -> TicketRef:
        """The ticket for `draft.correlation_id`, created only when none exists yet."""
        ...

    async def append_work_notes(self, ref: TicketRef, batch_id: str, text: str) -> None:
        """Append `text` once: a batch already delivered under `batch_id` is not repeated."""
        ...

    async def resolve(self, ref: TicketRef, close_notes: str) -> None: ...
