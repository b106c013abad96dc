"""The schema check at start: no Alembic when at head, a child process when behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.store import migrate, schema
from bot.store.database import create_engine
from tests.support.database import DatabaseTarget


def app_url(target: DatabaseTarget) -> str:
    """The URL as the app's settings hold it (PostgreSQL through asyncpg)."""
    if target.url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + target.url.removeprefix("postgresql://")
    return target.url


def test_the_head_revision_constant_is_alembics_head() -> None:
    """A new migration must move schema.HEAD_REVISION, or the start re-migrates forever."""
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert head == schema.HEAD_REVISION


@pytest.mark.both_databases
async def test_a_migrated_database_is_current_without_alembic(
    database: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_child(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a database at head needs no migration")

    async def no_upgrade(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a database at head needs no migration")

    monkeypatch.setattr(schema, "upgrade_in_child", no_child)
    monkeypatch.setattr(migrate, "upgrade", no_upgrade)
    url = app_url(database)
    engine = create_engine(url, database.schema)
    try:
        assert await schema.applied_revisions(engine) == (schema.HEAD_REVISION,)
        await schema.upgrade_at_start(engine, url, database.schema)
    finally:
        await engine.dispose()


@pytest.mark.both_databases
async def test_an_empty_database_is_migrated_by_a_child_process(
    empty_database: DatabaseTarget,
) -> None:
    url = app_url(empty_database)
    engine = create_engine(url, empty_database.schema)
    try:
        assert await schema.applied_revisions(engine) == ()
        await schema.upgrade_at_start(engine, url, empty_database.schema)
        assert await schema.is_current(engine)
        assert await migrate.current(engine) == schema.HEAD_REVISION
    finally:
        await engine.dispose()


async def test_an_in_memory_database_is_migrated_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No child can open this process's memory; the migration runs here instead."""

    async def no_child(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an in-memory database cannot be migrated by a child")

    monkeypatch.setattr(schema, "upgrade_in_child", no_child)
    url = "sqlite+aiosqlite:///:memory:"
    assert schema.in_memory(url)
    engine = create_engine(url)
    try:
        await schema.upgrade_at_start(engine, url)
        assert await schema.is_current(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///:memory:", True),
        ("sqlite+aiosqlite://", True),
        ("sqlite+aiosqlite:///file:db?mode=memory&cache=shared&uri=true", True),
        ("sqlite+aiosqlite:///./smokejumper.db", False),
        ("postgresql+asyncpg://u@db:5432/smokejumper", False),
    ],
)
def test_which_databases_live_in_memory(url: str, expected: bool) -> None:
    assert schema.in_memory(url) is expected


async def test_a_failed_child_migration_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(schema.MigrationFailed) as failure:
        await schema.upgrade_in_child(f"sqlite+aiosqlite:///{broken}")
    message = str(failure.value)
    assert message.startswith("database migration failed (exit status 1): ")
    assert "not a database" in message
    assert "Traceback" not in message


async def test_a_child_migration_that_overruns_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(schema.MigrationFailed, match=r"did not finish within 0\.01 s"):
        await schema.upgrade_in_child(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", timeout=0.01)
