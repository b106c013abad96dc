"""Group commit: one transaction for deliveries that arrive together; a failure is its own."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.intake.build import build_pipeline
from bot.intake.commit import GroupCommit
from bot.intake.context import Disposition, IntakeContext
from bot.store.models import EventRow, OutboxRow
from handlers.http.sources import build_alert_sources
from tests.conftest import fixture_json
from tests.support.engine_events import engine_events
from tests.support.harness import Harness
from tests.support.intake import bare_context

pytestmark = pytest.mark.both_databases

AT = datetime(2026, 1, 1, tzinfo=UTC)


class _RecordThenMaybeFail:
    """A database stage: logs the delivery, then fails if it is the bad one."""

    name = "record"

    def __init__(self, bad: set[str]) -> None:
        self.bad = bad

    async def __call__(self, ctx: IntakeContext) -> None:
        eventlog.record(
            ctx.db(),
            kind=EventKind.SIGNAL_RESOLVED,
            actor="test",
            summary=ctx.correlation_id,
            correlation_id=ctx.correlation_id,
            at=AT,
        )
        await ctx.db().flush()
        if ctx.correlation_id in self.bad:
            raise RuntimeError(f"{ctx.correlation_id} cannot be stored")


def _ctx(name: str) -> IntakeContext:
    return bare_context(name, AT)


async def _stored(harness: Harness) -> set[str]:
    async with harness.sessions() as session:
        rows = (await session.exec(select(EventRow).where(EventRow.actor == "test"))).all()
    return {row.summary for row in rows}


async def test_deliveries_that_arrive_together_share_a_commit(harness: Harness) -> None:
    group = GroupCommit(harness.sessions, [_RecordThenMaybeFail(set())], max_batch=64, writers=1)
    with engine_events(harness, "commit") as commits:
        await asyncio.gather(*(group.run(_ctx(f"d{n}")) for n in range(20)))
    assert await _stored(harness) == {f"d{n}" for n in range(20)}
    assert 1 <= len(commits) < 20


async def test_a_failing_delivery_fails_alone_and_its_batch_mates_are_stored(
    harness: Harness,
) -> None:
    group = GroupCommit(harness.sessions, [_RecordThenMaybeFail({"d7"})], max_batch=64, writers=1)
    results = await asyncio.gather(
        *(group.run(_ctx(f"d{n}")) for n in range(20)), return_exceptions=True
    )
    failures = {f"d{n}": r for n, r in enumerate(results) if isinstance(r, BaseException)}
    assert list(failures) == ["d7"] and "cannot be stored" in str(failures["d7"])
    assert await _stored(harness) == {f"d{n}" for n in range(20)} - {"d7"}


async def test_a_delivery_returns_only_once_its_rows_are_visible_to_others(
    harness: Harness,
) -> None:
    group = GroupCommit(harness.sessions, [_RecordThenMaybeFail(set())], max_batch=64, writers=1)
    seen_at_return: dict[str, bool] = {}

    async def deliver(name: str) -> None:
        await group.run(_ctx(name))
        seen_at_return[name] = name in await _stored(harness)

    await asyncio.gather(*(deliver(f"d{n}") for n in range(10)))
    assert seen_at_return == {f"d{n}": True for n in range(10)}


async def test_quiet_waits_for_every_delivery_in_hand(harness: Harness) -> None:
    group = GroupCommit(
        harness.sessions,
        [_RecordThenMaybeFail({"d1"})],
        max_batch=64,
        writers=1,
        settle_seconds=0,
    )
    await asyncio.wait_for(group.quiet(), 1)  # nothing in hand

    deliveries = [asyncio.ensure_future(group.run(_ctx(f"d{n}"))) for n in range(3)]
    await asyncio.sleep(0)
    quiet = asyncio.ensure_future(group.quiet())
    await asyncio.sleep(0)
    assert not quiet.done()

    await asyncio.gather(*deliveries, return_exceptions=True)
    await asyncio.wait_for(quiet, 1)  # answered, the failed one included


async def test_quiet_also_waits_for_the_stream_to_settle(harness: Harness) -> None:
    """All answered is not quiet yet: the next delivery of a stream may be a moment away."""
    group = GroupCommit(
        harness.sessions,
        [_RecordThenMaybeFail(set())],
        max_batch=64,
        writers=1,
        settle_seconds=3600,
    )
    await asyncio.wait_for(group.quiet(), 1)  # nothing ever handed in: quiet at once
    await asyncio.gather(*(group.run(_ctx(f"d{n}")) for n in range(3)))
    quiet = asyncio.ensure_future(group.quiet())
    for _ in range(50):
        await asyncio.sleep(0)
    assert not quiet.done()  # none in hand, but the last came less than an hour ago
    quiet.cancel()


async def test_alerts_of_one_group_in_one_batch_share_one_incident(harness: Harness) -> None:
    def occurrence(n: int) -> dict[str, object]:
        body = fixture_json("alertmanager/alertmanager_0.25_firing.json")
        alert = dict(body["alerts"][0])
        # One alert group, twenty occurrences: each a new signal, none a new incident.
        alert["startsAt"] = f"2026-01-01T00:{n:02d}:00Z"
        return {**body, "alerts": [alert]}

    replies = await asyncio.gather(
        *(harness.post("/alerts/alertmanager", occurrence(n)) for n in range(20))
    )
    outcomes = sorted(tuple(r.body["outcomes"].items()) for r in replies)
    assert outcomes == [(("attached", 1),)] * 19 + [(("opened", 1),)]
    assert len({tuple(r.body["incidents"]) for r in replies}) == 1
    [incident] = await harness.incidents()
    assert incident.signal_count == 20  # counted per batch, not lost
    attached = [
        e for e in await harness.events(incident.id) if e.kind == "incident.signal_attached"
    ]
    assert len(attached) == 19


async def test_an_incidents_count_and_card_are_written_once_per_batch(harness: Harness) -> None:
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    await pipeline.run(_delivery(harness, "00000000000000a1"))  # opens the incident
    [opened] = await harness.incidents()
    writes: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_: object) -> None:
        words = " ".join(statement.split()[:3]).upper()
        if words in ("UPDATE INCIDENTS SET", "INSERT INTO OUTBOX"):
            writes.append(words)

    engine = app.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await asyncio.gather(
            *(pipeline.run(_delivery(harness, f"{n:016x}")) for n in range(10, 22))
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [incident] = await harness.incidents()
    assert incident.signal_count == opened.signal_count + 12
    # Twelve alerts joined it: a few batches at most, each one count and one refresh.
    assert 1 <= writes.count("UPDATE INCIDENTS SET") < 12
    async with harness.sessions() as session:
        refreshes = await session.exec(
            select(OutboxRow).where(OutboxRow.kind == "incident.refresh_card")
        )
        assert len(refreshes.all()) == 1  # coalesced: one pending edit shows them all


async def test_an_alert_that_fires_and_resolves_in_one_batch_leaves_the_incident_resolved(
    harness: Harness,
) -> None:
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    await pipeline.run(_delivery(harness, "00000000000000f1"))  # opens the incident

    def resolved(fingerprint: str) -> IntakeContext:
        ctx = _delivery(harness, fingerprint)
        document = json.loads(ctx.body)
        document["status"] = "resolved"
        document["alerts"][0].update(status="resolved", endsAt="2030-01-01T01:00:00Z")
        ctx.body = json.dumps(document).encode()
        ctx.correlation_id += "-resolved"
        return ctx

    # One batch: f2 joins, f1 resolves (f2 still fires), then f2 resolves too.
    await asyncio.gather(
        pipeline.run(_delivery(harness, "00000000000000f2")),
        pipeline.run(resolved("00000000000000f1")),
        pipeline.run(resolved("00000000000000f2")),
    )
    [incident] = await harness.incidents()
    assert incident.signal_resolved is True  # the batch's count must not undo the resolve
    assert incident.signal_count == 2


async def test_a_resolve_batched_behind_its_firing_finds_it_linked(harness: Harness) -> None:
    """Links are written per batch; a resolve in the same batch must still see them."""
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    source = build_alert_sources(app.settings).alertmanager
    assert source is not None
    template = fixture_json("alertmanager/alertmanager_0.25_firing.json")

    def delivery(fingerprint: str, status: str) -> IntakeContext:
        alert = {**template["alerts"][0], "fingerprint": fingerprint, "status": status}
        if status == "resolved":
            alert["endsAt"] = "2030-01-01T00:00:00Z"
        body = {**template, "status": status, "alerts": [alert]}
        return IntakeContext(
            source=source,
            headers={},
            content_type="application/json",
            body=json.dumps(body).encode(),
            received_at=app.clock(),
            correlation_id=f"{fingerprint}-{status}",
        )

    # Handed in in one turn of the loop: one batch, in this order.
    done = await asyncio.gather(
        pipeline.run(delivery("00000000000000f1", "firing")),
        pipeline.run(delivery("00000000000000f2", "firing")),
        pipeline.run(delivery("00000000000000f1", "resolved")),
    )
    assert [o.disposition for ctx in done for o in ctx.outcomes] == [
        Disposition.OPENED,
        Disposition.ATTACHED,
        Disposition.RESOLVED,
    ]
    [incident] = await harness.incidents()
    assert incident.signal_resolved is False  # the second alert still fires
    [resolved] = [e for e in await harness.events(incident.id) if e.kind == "signal.resolved"]
    assert resolved.data["still_firing"] == ["00000000000000f2"]


def _delivery(
    harness: Harness, fingerprint: str, starts: str = "2030-01-01T00:00:00Z"
) -> IntakeContext:
    source = build_alert_sources(harness.app.settings).alertmanager
    assert source is not None
    template = fixture_json("alertmanager/alertmanager_0.25_firing.json")
    alert = {**template["alerts"][0], "fingerprint": fingerprint, "startsAt": starts}
    return IntakeContext(
        source=source,
        headers={},
        content_type="application/json",
        body=json.dumps({**template, "alerts": [alert]}).encode(),
        received_at=harness.app.clock(),
        correlation_id=f"{fingerprint}-{starts}",
    )


async def test_a_batch_stores_its_signals_in_one_statement_in_delivery_order(
    harness: Harness,
) -> None:
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    inserts: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SIGNALS"):
            inserts.append(statement)

    engine = app.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        done = await asyncio.gather(
            *(pipeline.run(_delivery(harness, f"{n:016x}")) for n in range(12))
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    ids = [o.signal_id for ctx in done for o in ctx.outcomes]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 12
    assert len(inserts) < 12  # the batch's signals went together


async def test_twins_in_a_batch_and_occurrences_stored_before_are_duplicates(
    harness: Harness,
) -> None:
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    await pipeline.run(_delivery(harness, "00000000000000a1"))
    fresh = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    done = await asyncio.gather(
        fresh.run(_delivery(harness, "00000000000000a1")),  # stored by an earlier batch
        fresh.run(_delivery(harness, "00000000000000b2")),
        fresh.run(_delivery(harness, "00000000000000b2")),  # its twin, one delivery later
        fresh.run(_delivery(harness, "00000000000000c3")),
    )
    assert [o.disposition for ctx in done for o in ctx.outcomes] == [
        Disposition.DUPLICATE,
        Disposition.ATTACHED,
        Disposition.DUPLICATE,
        Disposition.ATTACHED,
    ]
    assert done[0].outcomes[0].signal_id is None and done[2].outcomes[0].signal_id is None


async def test_a_delivery_that_arrives_while_a_batch_runs_joins_it(harness: Harness) -> None:
    late: list[asyncio.Future[None]] = []

    class HandsInALateOne(_RecordThenMaybeFail):
        async def __call__(self, ctx: IntakeContext) -> None:
            await super().__call__(ctx)
            if ctx.correlation_id == "early":
                # Queued while the batch is in its stages, as a request parsed meanwhile.
                late.append(asyncio.ensure_future(group.run(_ctx("late"))))
                await asyncio.sleep(0)

    group = GroupCommit(harness.sessions, [HandsInALateOne(set())], max_batch=64, writers=1)
    with engine_events(harness, "commit") as commits:
        await group.run(_ctx("early"))
        assert len(late) == 1
        await late[0]
    assert await _stored(harness) == {"early", "late"}
    assert len(commits) == 1  # the late one went in the early one's transaction
