"""INSERT … ON CONFLICT DO NOTHING for both backends: the conditional write of record."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql


def _insert(dialect: str) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    if dialect == "postgresql":
        # Imported on first use: a SQLite deployment never loads the PostgreSQL dialect.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert


async def insert_if_absent(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], conflict: list[str]
) -> Any | None:
    """Insert a row unless `conflict` columns already match one; return its id or None."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = _insert(dialect)
    table = model.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    ).returning(table.c[next(iter(table.primary_key.columns)).name])
    result = await session.exec(statement)
    return result.scalar_one_or_none()
