"""Who is in which Slack user group, asked of Slack and remembered briefly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clock import Clock
from bot.ports.chat import ChatError, ChatWorkspace

log = logging.getLogger(__name__)

# Long enough to spare Slack's Tier 2 limit during a burst of clicks, short enough that
# someone removed from on-call loses approval rights within a minute.
MEMBERS_TTL = timedelta(seconds=60)
LOOKUP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Membership:
    """The groups a user belongs to, among those asked about, and those that could not be read."""

    groups: frozenset[str]
    unreadable: frozenset[str] = frozenset()


class GroupDirectory:
    """Members of user groups, cached per group; a failed lookup admits nobody and is not kept."""

    def __init__(self, chat: ChatWorkspace, clock: Clock, ttl: timedelta = MEMBERS_TTL) -> None:
        self._chat = chat
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def members(self, group_id: str) -> frozenset[str] | None:
        """The members of one group, or None when Slack could not say."""
        cached = self._fresh(group_id)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(group_id, asyncio.Lock())
        async with lock:
            # Whoever waited on the lock finds the answer the first caller fetched.
            cached = self._fresh(group_id)
            if cached is not None:
                return cached
            try:
                async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
                    found = frozenset(await self._chat.usergroup_members(group_id))
            except (ChatError, TimeoutError) as exc:
                log.warning(
                    "could not read members of user group %s: %s",
                    group_id,
                    getattr(exc, "code", "timeout"),
                )
                return None
            self._cache[group_id] = (self._clock() + self._ttl, found)
            return found

    async def groups_of(self, user_id: str, group_ids: Iterable[str]) -> Membership:
        """Which of `group_ids` the user is in."""
        wanted = sorted(set(group_ids))
        answers = await asyncio.gather(*(self.members(g) for g in wanted))
        member_of = frozenset(g for g, m in zip(wanted, answers, strict=True) if m and user_id in m)
        unreadable = frozenset(g for g, m in zip(wanted, answers, strict=True) if m is None)
        return Membership(groups=member_of, unreadable=unreadable)

    def forget(self) -> None:
        """Drop every cached answer."""
        self._cache.clear()

    def _fresh(self, group_id: str) -> frozenset[str] | None:
        entry = self._cache.get(group_id)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]
