"""Health endpoints and the migrated schema, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.store import migrate
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness


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
    assert await migrate.current(engine) == "0005"
    await migrate.upgrade(engine)  # a second run at start-up is a no-op
    assert await migrate.current(engine) == "0005"
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
    } <= tables


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
