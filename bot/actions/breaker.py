"""A circuit breaker per adapter, kept in the database so every replica sees it open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import CircuitBreakerRow


@dataclass(frozen=True)
class Breakers:
    """Opens after `threshold` consecutive failures; lets calls through after `cool_down`.

    Every decision is a conditional update on the adapter's row, so two replicas failing
    at once count both failures and only one of them announces the breaker opening.
    """

    threshold: int = 3
    cool_down: timedelta = timedelta(minutes=5)

    async def allows(self, session: AsyncSession, adapter: str, now: datetime) -> bool:
        """Whether a call to `adapter` may go out now (closed, or open long enough)."""
        row = await session.get(CircuitBreakerRow, adapter)
        if row is None or row.opened_at is None:
            return True
        return now - row.opened_at >= self.cool_down

    async def succeeded(self, session: AsyncSession, adapter: str, now: datetime) -> None:
        await session.exec(
            update(CircuitBreakerRow)
            .where(col(CircuitBreakerRow.name) == adapter)
            .values(failures=0, opened_at=None, updated_at=now)
        )

    async def failed(self, session: AsyncSession, adapter: str, now: datetime) -> bool:
        """Count a failure; True when this failure opened a closed breaker."""
        await self._count(session, adapter, now)
        reached = col(CircuitBreakerRow.failures) >= self.threshold
        named = col(CircuitBreakerRow.name) == adapter
        opened = await session.exec(
            update(CircuitBreakerRow)
            .where(named, reached, col(CircuitBreakerRow.opened_at).is_(None))
            .values(opened_at=now)
        )
        if opened.rowcount == 1:
            return True
        # A trial call after the cool-down failed too: open again, quietly.
        await session.exec(
            update(CircuitBreakerRow)
            .where(named, reached, col(CircuitBreakerRow.opened_at) <= now - self.cool_down)
            .values(opened_at=now)
        )
        return False

    async def _count(self, session: AsyncSession, adapter: str, now: datetime) -> None:
        bump = (
            update(CircuitBreakerRow)
            .where(col(CircuitBreakerRow.name) == adapter)
            .values(failures=CircuitBreakerRow.failures + 1, updated_at=now)
        )
        if (await session.exec(bump)).rowcount == 1:
            return
        try:
            # A savepoint: when another replica inserted the row first, count on theirs.
            async with session.begin_nested():
                session.add(CircuitBreakerRow(name=adapter, failures=1, updated_at=now))
        except IntegrityError:
            await session.exec(bump)
