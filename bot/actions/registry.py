"""The one explicit registry of adapters a running smokejumper may call."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.ports.adapters import AdapterError
from bot.ports.pager import Pager
from bot.ports.remediation import Remediator
from bot.ports.ticketing import Ticketing

log = logging.getLogger(__name__)


@dataclass
class Adapters:
    """Remediators by catalog action, plus the pager and the ticket system when configured."""

    remediators: list[Remediator] = field(default_factory=list)
    pager: Pager | None = None
    ticketing: Ticketing | None = None

    def remediator_for(self, action: str) -> Remediator | None:
        """The adapter that runs catalog action `action`; the first registered wins."""
        return next((r for r in self.remediators if action in r.actions), None)

    def names(self) -> list[str]:
        named: Iterable[object] = [*self.remediators, self.pager, self.ticketing]
        return [str(getattr(a, "name", "?")) for a in named if a is not None]

    async def probe(self) -> dict[str, str]:
        """Each adapter's readiness: "ok", or why it is not ready (never a secret)."""
        results: dict[str, str] = {}
        for adapter in [*self.remediators, self.pager, self.ticketing]:
            if adapter is None:
                continue
            try:
                await adapter.probe()
                results[adapter.name] = "ok"
            except AdapterError as exc:
                log.warning("%s is not ready: %s", adapter.name, exc.message)
                results[adapter.name] = f"not ready: {exc.message}"
        return results
