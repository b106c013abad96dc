"""The `Triager` capability: a model that fills the triage contract (and nothing more)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.triage.context import TriageContext
from bot.triage.models import FallbackReason, Provenance, TriageReport
from policies.runbooks import Runbook


class TriageOutcome(Protocol):
    """A model's answer, or the reason there is none; never an exception."""

    @property
    def report(self) -> TriageReport | None: ...

    @property
    def provenance(self) -> Provenance | None: ...

    @property
    def failure(self) -> FallbackReason | None: ...

    @property
    def detail(self) -> str: ...

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def completion_tokens(self) -> int: ...

    @property
    def duration_ms(self) -> int | float: ...


class Triager(Protocol):
    name: str
    model: str

    async def probe(self) -> None: ...

    async def triage(
        self, context: TriageContext, runbooks: Sequence[Runbook]
    ) -> TriageOutcome: ...


class SummaryWriter(Protocol):
    """Writes the prose paragraph of a handoff from facts it is given; None on failure."""

    async def write(self, facts_text: str) -> str | None: ...
