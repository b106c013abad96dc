"""Store access for autonomy controls; every replica reads them fresh for each decision."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import AutonomyRow
from bot.store.upsert import insert_if_absent
from policies.engine_inputs import GLOBAL_SCOPE, Freeze, FreezeState
from policies.policy_schema import AutonomyMode

log = logging.getLogger(__name__)


async def rows(session: AsyncSession) -> list[AutonomyRow]:
    """Every stored control, the fleet-wide one first."""
    result = await session.exec(select(AutonomyRow).order_by(col(AutonomyRow.scope)))
    found = list(result.all())
    return sorted(found, key=lambda r: (r.scope != GLOBAL_SCOPE, r.scope))


async def get(session: AsyncSession, scope: str) -> AutonomyRow | None:
    return await session.get(AutonomyRow, scope, populate_existing=True)


def freeze_of(row: AutonomyRow, now: datetime) -> Freeze | None:
    """The freeze a row holds at `now`, if it holds one."""
    if not row.frozen:
        return None
    held = Freeze(reason=row.reason, until=row.frozen_until, set_by=row.set_by)
    return held if held.active(now) else None


def mode_of(row: AutonomyRow) -> AutonomyMode | None:
    """The mode cap a row sets; an unreadable one caps at shadow, the least autonomy."""
    if row.mode is None:
        return None
    try:
        return AutonomyMode(row.mode)
    except ValueError:
        log.warning(
            "autonomy scope %r holds unknown mode %r; treating it as shadow",
            row.scope,
            row.mode[:32],
        )
        return AutonomyMode.SHADOW


async def load_freeze(session: AsyncSession, now: datetime) -> FreezeState:
    """Freezes in force at `now` and the modes set from Slack, as the policy engine takes them."""
    fleet: Freeze | None = None
    services: dict[str, Freeze] = {}
    caps: dict[str, AutonomyMode] = {}
    for row in await rows(session):
        held = freeze_of(row, now)
        if held is not None:
            if row.scope == GLOBAL_SCOPE:
                fleet = held
            else:
                services[row.scope] = held
        mode = mode_of(row)
        if mode is not None:
            caps[row.scope] = mode
    return FreezeState(fleet=fleet, services=services, mode_caps=caps)


async def mode_overrides(session: AsyncSession) -> dict[str, AutonomyMode]:
    """Modes set from Slack by scope ("*" or a service)."""
    overrides: dict[str, AutonomyMode] = {}
    for row in await rows(session):
        mode = mode_of(row)
        if mode is not None:
            overrides[row.scope] = mode
    return overrides


async def freeze(
    session: AsyncSession,
    scope: str,
    *,
    until: datetime | None,
    reason: str,
    set_by: str,
    now: datetime,
) -> None:
    """Freeze a scope until `until` (None: until lifted), replacing any freeze it had."""
    await _upsert(
        session,
        scope,
        now,
        frozen=True,
        frozen_until=until,
        reason=reason,
        set_by=set_by,
        set_at=now,
    )


async def unfreeze(session: AsyncSession, scope: str, *, set_by: str, now: datetime) -> bool:
    """Lift the freeze of a scope; False when it held none at `now`."""
    row = await get(session, scope)
    if row is None or freeze_of(row, now) is None:
        return False
    result = await session.exec(
        update(AutonomyRow)
        .where(col(AutonomyRow.scope) == scope, col(AutonomyRow.frozen).is_(True))
        .values(frozen=False, frozen_until=None, set_by=set_by, set_at=now)
    )
    return bool(result.rowcount == 1)


async def set_mode(
    session: AsyncSession, scope: str, mode: AutonomyMode | None, *, set_by: str, now: datetime
) -> None:
    """Set (or with None, drop) the mode cap of a scope."""
    await _upsert(session, scope, now, mode=mode.value if mode else None, set_by=set_by, set_at=now)


async def _upsert(session: AsyncSession, scope: str, now: datetime, **values: Any) -> None:
    changed = await session.exec(
        update(AutonomyRow).where(col(AutonomyRow.scope) == scope).values(**values)
    )
    if changed.rowcount == 1:
        return
    fresh: dict[str, Any] = {
        "scope": scope,
        "frozen": False,
        "frozen_until": None,
        "reason": "",
        "mode": None,
        "set_by": "",
        "set_at": now,
        **values,
    }
    if await insert_if_absent(session, AutonomyRow, fresh, ["scope"]) is None:
        # Another replica created the row between our update and insert; apply on top.
        await session.exec(
            update(AutonomyRow).where(col(AutonomyRow.scope) == scope).values(**values)
        )
