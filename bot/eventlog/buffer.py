"""Log entries held by a session and written in one statement, in the order recorded.

A batch of alerts records one or two entries per alert. Added as ORM rows they cost an
object each and, as queries autoflush, a statement each; held here they are one
executemany. The log is append-only and nothing refers to an entry's id, so the only
things to keep are their order and read-your-writes: the held entries are written before
any SELECT the session runs (paging counts its own pages from the log) and before the
caller commits (`write_held`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, event, insert
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import EventRow

_HELD = "smokejumper.held_events"


@cache
def _insert() -> Insert:
    """Built once: an executemany of the held entries binds their values."""
    return insert(EventRow.__table__)  # type: ignore[attr-defined]


def hold_events(session: AsyncSession) -> None:
    """From now on `held(session)` collects this session's log entries."""
    session.sync_session.info[_HELD] = []


def held(session: AsyncSession) -> list[dict[str, Any]] | None:
    """The session's held entries, or None when it writes them as it goes."""
    entries: list[dict[str, Any]] | None = session.sync_session.info.get(_HELD)
    return entries


async def write_held(session: AsyncSession) -> None:
    """Write what the session holds, oldest first; call before committing."""
    await session.run_sync(_write_held)


def _write_held(session: Session) -> None:
    entries: list[dict[str, Any]] | None = session.info.get(_HELD)
    if not entries:
        return
    session.info[_HELD] = []
    session.connection().execute(_insert(), entries)


@event.listens_for(Session, "do_orm_execute")
def _before_select(state: ORMExecuteState) -> None:
    # A query may read the log (or join on it): what was recorded is written first.
    if state.is_select and state.session.info.get(_HELD):
        _write_held(state.session)
