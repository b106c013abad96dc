"""INSERT … ON CONFLICT DO NOTHING for both backends: the conditional write of record."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.sql.dml import ReturningInsert


def _insert(dialect: str) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    if dialect == "postgresql":
        # Imported on first use: a SQLite deployment never loads the PostgreSQL dialect.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert


@cache
def _statement(
    dialect: str, model: type[SQLModel], conflict: tuple[str, ...]
) -> ReturningInsert[Any]:
    """Built once per table and conflict target: the values are bound at each call.

    Building an INSERT with its values (and its cache key) costs more than running it;
    on the alert path that was most of the time taken to store a signal.
    """
    table = model.__table__  # type: ignore[attr-defined]
    primary_key = table.c[next(iter(table.primary_key.columns)).name]
    return (
        _insert(dialect)(table).on_conflict_do_nothing(index_elements=list(conflict))
    ).returning(primary_key)


def returning_insert(
    dialect: str, model: type[SQLModel], conflict: tuple[str, ...], returning: tuple[str, ...]
) -> ReturningInsert[Any]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`, to bind many rows at once.

    Executed with a list of rows it is one multi-row statement (SQLAlchemy's "insert
    many values"); only the rows inserted come back, so callers match them by a column.
    """
    table = model.__table__  # type: ignore[attr-defined]
    return (
        _insert(dialect)(table).on_conflict_do_nothing(index_elements=list(conflict))
    ).returning(*(table.c[name] for name in returning))


async def insert_if_absent(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: list[str],
    *,
    autoflush: bool = True,
) -> Any | None:
    """Insert a row unless `conflict` columns already match one; return its id or None.

    `autoflush=False` leaves the session's pending rows unwritten for now: only for a
    row that refers to none of them.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    statement = _statement(dialect, model, tuple(conflict))
    if autoflush:
        result = await session.exec(statement, params=values)
    else:
        # A Core statement flushes whatever its options say; only the session can hold it.
        with session.no_autoflush:
            result = await session.exec(statement, params=values)
    return result.scalar_one_or_none()
