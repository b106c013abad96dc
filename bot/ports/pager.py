"""The `Pager` capability: bring a human in, and keep the page in step with the incident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Page:
    """One page, keyed by a dedup key tied to our incident so repeats collapse into one."""

    dedup_key: str
    summary: str
    severity: str  # critical | error | warning | info
    source: str
    timestamp: datetime
    links: tuple[tuple[str, str], ...] = ()  # (href, text)
    details: dict[str, str] = field(default_factory=dict)


class Pager(Protocol):
    name: str

    async def probe(self) -> None: ...

    async def trigger(self, page: Page) -> str:
        """Send the page; returns the dedup key the far side holds it under."""
        ...

    async def acknowledge(self, dedup_key: str, timestamp: datetime) -> None: ...

    async def resolve(self, dedup_key: str, timestamp: datetime) -> None: ...

    async def add_note(self, dedup_key: str, note: str) -> None:
        """Attach a note to the vendor incident the page opened."""
        ...
