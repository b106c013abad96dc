"""Freezes and mode caps as stored, in the shape the policy engine reads."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AutonomyRow
from policies.engine_inputs import Freeze, FreezeState
from policies.policy_schema import AutonomyMode

FLEET_SCOPE = "*"


async def load_freeze(session: AsyncSession, now: datetime) -> FreezeState:
    """Read on every decision, so a freeze from any replica holds for the very next one."""
    rows = (await session.exec(select(AutonomyRow))).all()
    fleet: Freeze | None = None
    services: dict[str, Freeze] = {}
    caps: dict[str, AutonomyMode] = {}
    for row in rows:
        if row.mode:
            caps[row.scope] = AutonomyMode(row.mode)
        if not row.frozen:
            continue
        freeze = Freeze(reason=row.reason, until=row.frozen_until, set_by=row.set_by)
        if not freeze.active(now):
            continue
        if row.scope == FLEET_SCOPE:
            fleet = freeze
        else:
            services[row.scope] = freeze
    return FreezeState(fleet=fleet, services=services, mode_caps=caps)
