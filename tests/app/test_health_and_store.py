"""Health endpoints and the migrated schema, on both databases."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.store import migrate
from bot.store.database import POSTGRES_POOL_SIZE
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

# Migrations and the schema differ by backend: check both.
pytestmark = pytest.mark.both_databases


async def test_healthz_and_readyz(harness: Harness) -> None:
    assert (await harness.get("/healthz")).body == {"status": "ok"}
    ready = await harness.get("/readyz")
    assert ready.status == 200
    assert ready.body["checks"] == {"database": "ok", "slack": "ok"}


async def test_readyz_fails_when_slack_rejects_the_token(
    database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    h = await start_harness(database, emulator, slack_bot_token="xoxb-revoked")
    try:
        ready = await h.get("/readyz")
        assert ready.status == 503
        assert ready.body["checks"]["slack"] == "failing: invalid_auth"
        assert ready.body["checks"]["database"] == "ok"
        assert "xoxb-revoked" not in str(ready.body)
    finally:
        await stop_harness(h)


async def test_migrations_are_current_and_idempotent(harness: Harness) -> None:
    engine = harness.app.runtime.engine
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert await migrate.current(engine) == head == "0010"
    await migrate.upgrade(engine)  # a second run at start-up is a no-op
    assert await migrate.current(engine) == head
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {
        "signals",
        "incidents",
        "events",
        "outbox",
        "slack_event_receipts",
        "changes",
        "triages",
        "actions",
        "autonomy",
        "timeline_pins",
        "audit_chain",
        "slack_request_receipts",
    } <= tables


async def test_start_up_migrates_an_empty_database(
    empty_database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    """Tests get copies of a migrated template; this one proves start-up migrates by itself."""
    h = await start_harness(empty_database, emulator)
    try:
        engine = h.app.runtime.engine
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        assert head is not None
        assert await migrate.current(engine) == head
        assert (await h.get("/readyz")).status == 200
    finally:
        await stop_harness(h)


async def test_start_up_warms_the_postgres_pool(
    database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    """The harness turns the warm-up off (tests never see the burst it is for); here it is on."""
    h = await start_harness(database, emulator, database_warm_up=True)
    try:
        pool = h.app.runtime.engine.pool
        # SQLite keeps its one connection; PostgreSQL's pool is full before the first alert.
        expected = POSTGRES_POOL_SIZE if database.backend == "postgres" else 1
        assert pool.checkedin() == expected  # type: ignore[attr-defined]
    finally:
        await stop_harness(h)


async def test_models_match_the_migrated_schema(harness: Harness) -> None:
    """Autogenerate against the migrated database finds nothing left to migrate."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import bot.store.models  # noqa: F401  (registers the tables)

    def diff(sync: object) -> list[object]:
        context = MigrationContext.configure(sync)  # type: ignore[arg-type]
        return list(compare_metadata(context, SQLModel.metadata))

    async with harness.app.runtime.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
