"""How many alerts a source may deliver: per request, and per minute (a token bucket)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.errors import IntakeError


@dataclass
class _Bucket:
    tokens: float
    at: datetime


@dataclass
class AlertBudget:
    """Refuses a delivery that would take a source past its limits; takes nothing then.

    Kept in the process: each replica grants its own minute's worth, which bounds a
    flood per replica without a database round trip on every webhook.
    """

    per_request: int
    per_minute: int
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def check_size(self, count: int) -> None:
        """Refuse one request carrying more than `per_request` alerts (413: resending the
        same batch can never succeed, so it must not invite a retry)."""
        if count > self.per_request:
            raise IntakeError(
                413,
                "too_many_alerts",
                f"{count} alerts in one request; at most {self.per_request} are accepted "
                "(SMOKEJUMPER_MAX_ALERTS_PER_REQUEST; Alertmanager: set max_alerts)",
            )

    def take(self, source: str, count: int, now: datetime) -> None:
        """Spend `count` alerts of `source`'s minute, or raise 429 and spend none."""
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = self._buckets[source] = _Bucket(float(self.per_minute), now)
        # A clock that steps back refills nothing rather than draining the bucket.
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self.per_minute), bucket.tokens + elapsed * rate)
        bucket.at = now
        if count > bucket.tokens:
            wait = math.ceil((count - bucket.tokens) / rate)
            raise IntakeError(
                429,
                "rate_limited",
                f"{source} sent more than {self.per_minute} alerts a minute "
                f"(SMOKEJUMPER_MAX_ALERTS_PER_MINUTE); retry in {wait}s",
                headers={"Retry-After": str(wait)},
            )
        bucket.tokens -= count
