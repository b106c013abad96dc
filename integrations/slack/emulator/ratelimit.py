"""Slack's per-method rate limit tiers as token buckets."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

# Floating-point refill can land a hair short of a whole token when the caller slept exactly
# Retry-After seconds; Slack would not reject that retry.
_EPSILON = 1e-6


class Tier(StrEnum):
    """Slack's Web API rate limit tiers."""

    T1 = "tier1"
    T2 = "tier2"
    T3 = "tier3"
    T4 = "tier4"
    SPECIAL = "special"


@dataclass(frozen=True)
class Limit:
    """A sustained rate per minute plus how many calls may be made at once."""

    per_minute: float
    burst: int

    def scaled(self, factor: float) -> Limit:
        """The same burst with the rate multiplied."""
        return Limit(self.per_minute * factor, self.burst)


DEFAULT_TIER_LIMITS: dict[Tier, Limit] = {
    Tier.T1: Limit(1, 1),
    Tier.T2: Limit(20, 10),
    Tier.T3: Limit(50, 20),
    Tier.T4: Limit(100, 40),
}

# Tiers from Slack's method pages (as mirrored in java-slack-sdk's MethodsRateLimits).
DEFAULT_METHOD_TIERS: dict[str, Tier] = {
    "api.test": Tier.T4,
    "auth.test": Tier.T4,
    "bookmarks.add": Tier.T2,
    "bookmarks.list": Tier.T3,
    "chat.getPermalink": Tier.T4,
    "chat.postEphemeral": Tier.T4,
    "chat.postMessage": Tier.SPECIAL,
    "chat.update": Tier.T3,
    "conversations.archive": Tier.T2,
    "conversations.create": Tier.T2,
    "conversations.history": Tier.T3,
    "conversations.info": Tier.T3,
    "conversations.invite": Tier.T3,
    "conversations.join": Tier.T3,
    "conversations.list": Tier.T2,
    "conversations.members": Tier.T4,
    "conversations.open": Tier.T3,
    "conversations.replies": Tier.T3,
    "conversations.setPurpose": Tier.T2,
    "conversations.setTopic": Tier.T2,
    "pins.add": Tier.T2,
    "pins.list": Tier.T2,
    "reactions.add": Tier.T3,
    "usergroups.list": Tier.T2,
    "usergroups.users.list": Tier.T2,
    "users.info": Tier.T4,
    "users.list": Tier.T2,
    "users.lookupByEmail": Tier.T3,
    "views.open": Tier.T4,
    "views.publish": Tier.T4,
}

POST_MESSAGE = "chat.postMessage"


@dataclass
class RateLimits:
    """Which limit applies to which method; `methods` overrides a method's tier limit."""

    enabled: bool = True
    tiers: dict[Tier, Limit] = field(default_factory=lambda: dict(DEFAULT_TIER_LIMITS))
    method_tiers: dict[str, Tier] = field(default_factory=lambda: dict(DEFAULT_METHOD_TIERS))
    methods: dict[str, Limit] = field(default_factory=dict)
    # "One message per second per channel", with the short bursts Slack tolerates.
    post_message_per_channel: Limit = Limit(60, 3)
    default_tier: Tier = Tier.T3

    @classmethod
    def unlimited(cls) -> RateLimits:
        """No limits at all."""
        return cls(enabled=False)

    @classmethod
    def fast(cls, factor: float = 60.0) -> RateLimits:
        """Slack's limits with rates multiplied (per minute becomes per second by default)."""
        base = cls()
        return cls(
            tiers={tier: limit.scaled(factor) for tier, limit in base.tiers.items()},
            post_message_per_channel=base.post_message_per_channel.scaled(factor),
        )

    def with_method(self, method: str, *, per_minute: float, burst: int) -> RateLimits:
        """A copy where one method gets its own limit."""
        return dataclasses.replace(self, methods={**self.methods, method: Limit(per_minute, burst)})

    def limit_for(self, method: str) -> Limit | None:
        """The limit of a method's own bucket, None when it has only a special rule."""
        if method in self.methods:
            return self.methods[method]
        tier = self.method_tiers.get(method, self.default_tier)
        return None if tier is Tier.SPECIAL else self.tiers.get(tier)


@dataclass
class TokenBucket:
    """Capacity `burst`, refilled continuously at `per_minute / 60` tokens a second."""

    limit: Limit
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Spend a token and return 0, or return the seconds until one is available."""
        rate = self.limit.per_minute / 60.0
        self.tokens = min(float(self.limit.burst), self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1.0 - _EPSILON:
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        if rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / rate


class RateLimiter:
    """Buckets per method (and per channel for chat.postMessage)."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def check(self, method: str, channel: str | None) -> int | None:
        """None when the call may proceed, otherwise the Retry-After seconds (at least 1)."""
        if not self.limits.enabled:
            return None
        now = self._clock()
        waits = [self._take((method, ""), self.limits.limit_for(method), now)]
        if method == POST_MESSAGE and method not in self.limits.methods:
            limit = self.limits.post_message_per_channel
            waits.append(self._take((method, channel or ""), limit, now))
        wait = max(waits)
        if wait <= 0:
            return None
        return max(1, math.ceil(min(wait, 3600.0)))

    def _take(self, key: tuple[str, str], limit: Limit | None, now: float) -> float:
        if limit is None:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None or bucket.limit != limit:
            bucket = TokenBucket(limit, float(limit.burst), now)
            self._buckets[key] = bucket
        return bucket.take(now)
