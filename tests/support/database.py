"""Test databases: a SQLite file, or a throwaway schema on a real PostgreSQL server."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

import asyncpg  # type: ignore[import-untyped]
import pytest

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


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[DatabaseTarget]:
    """A fresh schema for one test, dropped afterwards."""
    url = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
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
