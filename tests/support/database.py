"""Test databases: a SQLite file, or a throwaway schema on a real PostgreSQL server.

Each test gets a database of its own, already migrated: the migrations run once per test
process (per xdist worker) into a template, and each test gets a copy, which costs a
file copy on SQLite and one round trip on PostgreSQL instead of a full Alembic run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event

from bot.store import migrate
from bot.store.database import create_engine

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    schema: str | None = None

    @property
    def backend(self) -> str:
        return "postgres" if self.url.startswith("postgres") else "sqlite"


def postgres_url() -> str:
    return os.environ.get("SMOKEJUMPER_TEST_DATABASE_URL", DEFAULT_PG_URL)


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), 1):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    """The server URL, or skip (fail under CI, which must run these tests)."""
    url = postgres_url()
    if not _reachable(url):
        reason = (
            f"no PostgreSQL server at {urlparse(url).netloc}; set SMOKEJUMPER_TEST_DATABASE_URL"
        )
        if os.environ.get("SMOKEJUMPER_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _asyncpg(url: str) -> str:
    """The URL with the driver the app uses (its settings add it the same way)."""
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def unique_name(prefix: str) -> str:
    """A schema name no other test, process or xdist worker uses at the same time."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:12]}"


# --- SQLite: one migrated file per process, copied per test --------------------------------

_sqlite_templates: dict[Path, Path] = {}


async def sqlite_database(template_dir: Path, directory: Path) -> DatabaseTarget:
    """A migrated SQLite database in `directory`, copied from the process's template."""
    template = _sqlite_templates.get(template_dir)
    if template is None:
        template = template_dir / "template.db"
        engine = create_engine(f"sqlite+aiosqlite:///{template}")
        try:
            await migrate.upgrade(engine)
        finally:
            # Closing the last connection checkpoints the WAL into the file we copy.
            await engine.dispose()
        _sqlite_templates[template_dir] = template
    target = directory / "smokejumper.db"
    await asyncio.to_thread(shutil.copyfile, template, target)
    return DatabaseTarget(url=f"sqlite+aiosqlite:///{target}")


# --- PostgreSQL: the migration of a template schema, replayed into each test's schema -----


@dataclass(frozen=True)
class _Statement:
    sql: str
    parameters: Any
    many: bool


_postgres_templates: dict[str, list[_Statement]] = {}


async def _record_migration(url: str) -> list[_Statement]:
    """Migrate a template schema once and keep every statement that changed it.

    Replaying them into an empty schema builds exactly what the migrations build (the
    template started empty too); the catalog reads Alembic made on the way are left out.
    """
    schema = unique_name("template")
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    recorded: list[_Statement] = []
    engine = create_engine(_asyncpg(url), schema)

    def record(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not sql.lstrip().upper().startswith("SELECT"):
            recorded.append(_Statement(sql, parameters, many))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
    return recorded


async def _replay(conn: Any, statements: Sequence[_Statement]) -> None:
    """Run the recorded statements; plain ones go together in one round trip."""
    script: list[str] = []
    for statement in statements:
        if not statement.parameters:
            script.append(statement.sql.strip().rstrip(";") + ";")
            continue
        if script:
            await conn.execute("\n".join(script))
            script = []
        if statement.many:
            await conn.executemany(statement.sql, statement.parameters)
        else:
            await conn.execute(statement.sql, *statement.parameters)
    if script:
        await conn.execute("\n".join(script))


@asynccontextmanager
async def postgres_schema(*, migrated: bool = True) -> AsyncIterator[DatabaseTarget]:
    """A fresh schema for one test (migrated unless asked otherwise), dropped afterwards."""
    url = require_postgres()
    statements: list[_Statement] = []
    if migrated:
        if url not in _postgres_templates:
            _postgres_templates[url] = await _record_migration(url)
        statements = _postgres_templates[url]
    schema = unique_name("t")
    conn = await asyncpg.connect(_plain(url))
    try:
        async with conn.transaction():
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            await _replay(conn, statements)
    finally:
        await conn.close()
    try:
        yield DatabaseTarget(url=url, schema=schema)
    finally:
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
