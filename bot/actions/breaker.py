"""A circuit breaker per adapter: stop calling one that keeps failing, try again later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failures; lets one call through after `cool_down`."""

    threshold: int = 3
    cool_down: timedelta = timedelta(minutes=5)
    failures: int = 0
    opened_at: datetime | None = None

    def allows(self, now: datetime) -> bool:
        if self.opened_at is None:
            return True
        return now - self.opened_at >= self.cool_down

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failed(self, now: datetime) -> bool:
        """Count a failure; True when this failure opened the breaker."""
        self.failures += 1
        if self.failures >= self.threshold and (
            self.opened_at is None or now - self.opened_at >= self.cool_down
        ):
            was_closed = self.opened_at is None
            self.opened_at = now
            return was_closed
        return False


@dataclass
class Breakers:
    threshold: int = 3
    cool_down: timedelta = timedelta(minutes=5)
    by_adapter: dict[str, CircuitBreaker] = field(default_factory=dict)

    def of(self, adapter: str) -> CircuitBreaker:
        if adapter not in self.by_adapter:
            self.by_adapter[adapter] = CircuitBreaker(self.threshold, self.cool_down)
        return self.by_adapter[adapter]
