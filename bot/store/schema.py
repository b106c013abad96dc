"""The schema check at start, without keeping Alembic in the server's memory.

A database already at the head revision is recognised by reading the `alembic_version`
table directly. One that needs an upgrade is migrated by a child process
(`python -m bot.store.migrate`), so Alembic, Mako and their templates are loaded there and
freed when it exits. An in-memory SQLite database lives only inside this process; it is
migrated in-process, as is every database the `smokejumper db upgrade` command touches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# The newest migration in bot/store/migrations/versions; a test checks it against Alembic's
# script directory, so a new migration that forgets to move it fails the suite.
HEAD_REVISION = "0010"
VERSION_TABLE = "alembic_version"
# A migration that takes longer than this is stopped (PostgreSQL rolls it back) and the
# start fails, rather than hanging with the port unbound.
MIGRATION_TIMEOUT_SECONDS = 600.0
# What the child reads; the same names as the settings, passed explicitly.
URL_VARIABLE = "SMOKEJUMPER_DATABASE_URL"
SCHEMA_VARIABLE = "SMOKEJUMPER_DATABASE_SCHEMA"
_OUTPUT_KEPT = 20
_LINE_LIMIT = 1024 * 1024


class MigrationFailed(Exception):
    """The schema could not be brought to the head revision; the message says why."""


async def applied_revisions(engine: AsyncEngine) -> tuple[str, ...]:
    """The revisions recorded in `alembic_version` (empty before the first migration)."""

    def read(connection: Connection) -> tuple[str, ...]:
        # The engine's search_path (PostgreSQL) or the file (SQLite) picks the table,
        # exactly as Alembic's own lookup does.
        if not inspect(connection).has_table(VERSION_TABLE):
            return ()
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608
        return tuple(sorted(str(row[0]) for row in rows))

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the database is at HEAD_REVISION, and only there."""
    return await applied_revisions(engine) == (HEAD_REVISION,)


def in_memory(url: str) -> bool:
    """An SQLite database that exists only inside this process (no child can reach it)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or "mode=memory" in url


async def upgrade_at_start(
    engine: AsyncEngine,
    url: str,
    schema: str | None = None,
    *,
    timeout: float = MIGRATION_TIMEOUT_SECONDS,
) -> None:
    """Bring the schema to the head revision; a no-op, without Alembic, when it is there."""
    if await is_current(engine):
        return
    if in_memory(url) or not sys.executable:
        from bot.store import migrate

        await migrate.upgrade(engine)
        return
    await upgrade_in_child(url, schema, timeout=timeout)
    if not await is_current(engine):
        found = ", ".join(await applied_revisions(engine)) or "none"
        raise MigrationFailed(
            f"database migration finished, but the schema is at revision {found},"
            f" not {HEAD_REVISION}"
        )


def _child_environment(url: str, schema: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env[URL_VARIABLE] = url
    if schema:
        env[SCHEMA_VARIABLE] = schema
    else:
        env.pop(SCHEMA_VARIABLE, None)
    # The child imports this very code, wherever this process found it: a source tree is
    # put on its path (an installed package is found there already).
    source_root = Path(__file__).resolve().parents[2]
    if source_root.name not in ("site-packages", "dist-packages"):
        paths = [str(source_root), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


async def upgrade_in_child(
    url: str, schema: str | None = None, *, timeout: float = MIGRATION_TIMEOUT_SECONDS
) -> None:
    """Run `python -m bot.store.migrate` on the database; MigrationFailed unless it succeeds.

    The URL travels in the child's environment, never on its command line (which any
    local user can read). The child's output is logged here, line by line.
    """
    log.info("database schema is not at revision %s: migrating in a child process", HEAD_REVISION)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.store.migrate",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_child_environment(url, schema),
        limit=_LINE_LIMIT,
    )
    output: list[str] = []

    async def relay() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if line:
                log.info("migration: %s", line)
                output.append(line)
                del output[:-_OUTPUT_KEPT]
        await process.wait()

    try:
        async with asyncio.timeout(timeout):
            await relay()
    except TimeoutError:
        await _stop(process)
        raise MigrationFailed(
            f"database migration did not finish within {timeout:g} s and was stopped"
        ) from None
    except BaseException:
        # Cancelled (a stop during start): the child goes too.
        await _stop(process)
        raise
    if process.returncode != 0:
        reason = output[-1] if output else "no output"
        raise MigrationFailed(
            f"database migration failed (exit status {process.returncode}): {reason[:300]}"
        )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
