"""Alembic migrations, run programmatically on the async engine.

Imported only to migrate: by `smokejumper db`, and by the child process the server starts
when its schema is behind (`python -m bot.store.migrate`, see bot.store.schema).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (safe to run on every start; a no-op when current)."""
    config = alembic_config()

    def _run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def revision(engine: AsyncEngine, message: str) -> None:
    """Autogenerate a new revision from the models (a developer tool)."""
    config = alembic_config()

    def _run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_read)


async def _upgrade_from_environment() -> str:
    from bot.store.database import create_engine
    from bot.store.schema import SCHEMA_VARIABLE, URL_VARIABLE, applied_revisions

    engine = create_engine(os.environ[URL_VARIABLE], os.environ.get(SCHEMA_VARIABLE) or None)
    try:
        await upgrade(engine)
        return ", ".join(await applied_revisions(engine)) or "none"
    finally:
        await engine.dispose()


def main() -> int:
    """The child's work: upgrade the database named in the environment to head.

    Progress and the outcome go to stdout as plain lines, which the parent logs; a failure
    is one line, the error's type and first line, never a traceback.
    """
    from bot.logs import SafeFormatter

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(SafeFormatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        revision = asyncio.run(_upgrade_from_environment())
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        print(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__, flush=True)
        return 1
    print(f"database at revision {revision}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
