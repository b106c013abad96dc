"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.sqlite_connection import one_trip_connector

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An engine tuned for the backend: SQLite serializes in-process, PostgreSQL pools."""
    if url.startswith("sqlite"):
        db_file = url.split(":///", 1)[1]
        if db_file and db_file != ":memory:":
            Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite allows one writer, and queueing in-process is cheaper
        # than bouncing off "database is locked".
        args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
        engine = create_async_engine(
            url,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            async_creator=one_trip_connector(tuple(args), dict(kwargs)),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=10,
        pool_pre_ping=True,
        # The most recently used connection first: its prepared statements are warm,
        # where cycling through all of them would prepare each statement on each.
        pool_use_lifo=True,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Checkpoints run in the background (bot.store.checkpoint), not inside a commit.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# Connections kept open: enough for all that may hold one at once (the Slack work pool's
# 16 slots, the intake's writers, the outbox workers). Past it, each use opens and closes
# a connection of its own and prepares its statements again.
POSTGRES_POOL_SIZE = 24


async def warm_up(engine: AsyncEngine) -> None:
    """Open the pool's connections now, so the first burst of alerts doesn't pay for it."""
    if engine.dialect.name != "postgresql":
        return
    connections = [await engine.connect() for _ in range(POSTGRES_POOL_SIZE)]
    for conn in connections:
        await conn.execute(text("SELECT 1"))
    for conn in connections:
        await conn.close()


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
