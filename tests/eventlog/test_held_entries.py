"""Held log entries: written together, in the order recorded, and never out of sight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.eventlog.buffer import held, hold_events, write_held
from bot.store.models import EventRow
from tests.handoff.factories import incident_row
from tests.support.harness import Harness

pytestmark = pytest.mark.both_databases

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _record(session: object, summary: str, incident_id: int | None = None) -> None:
    eventlog.record(
        session,  # type: ignore[arg-type]
        kind=EventKind.SIGNAL_RESOLVED,
        actor="held-test",
        summary=summary,
        correlation_id="c" * 32,
        at=AT,
        incident_id=incident_id,
        data={"n": summary},
    )


async def _summaries(harness: Harness) -> list[str]:
    async with harness.sessions() as session:
        rows = await session.exec(
            select(EventRow).where(EventRow.actor == "held-test").order_by(col(EventRow.id))
        )
        return [row.summary for row in rows.all()]


async def test_held_entries_are_written_in_one_statement_in_the_order_recorded(
    harness: Harness,
) -> None:
    inserts: list[int] = []

    def count(_c: object, _cur: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            inserts.append(1)

    engine = harness.app.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with harness.sessions() as session, session.begin():
            hold_events(session)
            for n in range(5):
                _record(session, f"e{n}")
            assert inserts == []  # held, not yet written
            await write_held(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    assert await _summaries(harness) == [f"e{n}" for n in range(5)]


async def test_a_query_in_the_same_session_sees_what_was_held(harness: Harness) -> None:
    async with harness.sessions() as session, session.begin():
        hold_events(session)
        _record(session, "first")
        _record(session, "second")
        seen = await session.exec(select(EventRow.summary).where(EventRow.actor == "held-test"))
        assert sorted(seen.all()) == ["first", "second"]
        entries = held(session)
        assert entries == []  # written by the query, so the commit writes nothing twice
        await write_held(session)
    assert await _summaries(harness) == ["first", "second"]


async def test_entries_keep_their_order_around_rows_written_through_the_orm(
    harness: Harness,
) -> None:
    async with harness.sessions() as session, session.begin():
        hold_events(session)
        _record(session, "before the incident")
        incident = incident_row(None, correlation_id="d" * 32)
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        _record(session, "about the incident", incident.id)
        await write_held(session)
    assert await _summaries(harness) == ["before the incident", "about the incident"]


async def test_a_rolled_back_session_leaves_nothing_it_held(harness: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with harness.sessions() as session, session.begin():
            hold_events(session)
            _record(session, "lost")
            seen = await session.exec(select(EventRow.id).where(EventRow.actor == "held-test"))
            assert len(seen.all()) == 1
            raise RuntimeError("the batch failed")
    assert await _summaries(harness) == []


async def test_a_session_that_does_not_hold_writes_as_it_goes(harness: Harness) -> None:
    async with harness.sessions() as session, session.begin():
        assert held(session) is None
        _record(session, "plain")
        assert [type(row) for row in session.new] == [EventRow]
    assert await _summaries(harness) == ["plain"]
