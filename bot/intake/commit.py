"""Group commit: concurrent deliveries' database stages share one transaction per batch.

A commit is the expensive part of taking an alert (a WAL write on SQLite, a round trip
and a flush on PostgreSQL), so deliveries share one. A batch takes what is queued, stores
all its signals in one statement, then runs each delivery's other stages in turn;
deliveries that arrive meanwhile join it (up to `max_batch`), and those arriving during
its commit go together in the next. A delivery's waiter is released only after the
commit that holds its rows, so its 2xx still means "durable".

Batches are optimistic: the deliveries run one after another in the one transaction, with
no savepoint each (two more round trips per delivery). Should any of them fail, or the
commit itself, the whole transaction is rolled back and each delivery of the batch is run
again in a transaction of its own, so the culprit fails alone and its batch-mates are
still stored.

Dedup and grouping need little: batch-mates see each other's rows inside the
transaction, and across replicas the unique `occurrence_key` and `open_group_key`
decide, as they do for single deliveries. The one decision that counts stored signals,
the storm breaker, is told which of them belong to deliveries not yet run
(`IntakeContext.signals_ahead`), so it decides as if each delivery ran on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.eventlog.buffer import hold_events, write_held
from bot.intake.context import IntakeContext
from bot.intake.effects import DeferredEffects
from bot.intake.links import PendingLinks
from bot.intake.lookups import OpenIncidents
from bot.intake.stages.persist import store_batch
from bot.store.database import SessionFactory
from bot.storms.keys import split_key, storm_key

log = logging.getLogger(__name__)

# How long no delivery must have come before the intake counts as quiet (see `quiet`).
SETTLE_SECONDS = 0.05


class Stage(Protocol):
    """One step of the alert path; raises IntakeError to stop with a reason."""

    name: str

    async def __call__(self, ctx: IntakeContext) -> None: ...


class _Rehearsed(Exception):
    """Ends a rehearsal's transaction the way every failure does: rolled back."""


@dataclass
class _Waiting:
    ctx: IntakeContext
    done: asyncio.Future[None]
    failure: BaseException | None = field(default=None)


class GroupCommit:
    """Runs the database stages for many deliveries per transaction; see the module doc."""

    def __init__(
        self,
        sessions: SessionFactory,
        stages: Sequence[Stage],
        *,
        max_batch: int,
        writers: int,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._stages = list(stages)
        self._max_batch = max_batch
        self._writers = writers
        self._settle = settle_seconds
        self._queue: deque[_Waiting] = deque()
        self._running: set[asyncio.Task[None]] = set()
        # Deliveries handed in and not yet answered; `_idle` is set while there are none.
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # When a delivery was last handed in or answered, on the loop's clock (None: never).
        self._last_activity: float | None = None

    async def quiet(self) -> None:
        """Return once no delivery is waiting for its commit, and none has been handed in
        or answered for a moment.

        A steady stream has an instant with nothing in hand between two batches (all
        answered, the next not yet parsed); the moment (`settle_seconds`, on the loop's
        clock, like every bound on giving way) keeps that instant from counting as quiet.
        """
        loop = asyncio.get_running_loop()
        while True:
            await self._idle.wait()
            if self._last_activity is None:
                return
            settled_at = self._last_activity + self._settle
            if loop.time() >= settled_at:
                return
            await asyncio.sleep(settled_at - loop.time())

    async def run(self, ctx: IntakeContext) -> None:
        """Return once `ctx`'s rows are committed; raise what its stages raised."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(ctx, loop.create_future())
        self._last_activity = loop.time()
        self._in_flight += 1
        self._idle.clear()
        waiting.done.add_done_callback(self._answered)
        self._queue.append(waiting)
        if len(self._running) < self._writers:
            task = asyncio.create_task(self._write_while_queued())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        # Shielded: a client that hangs up must not cancel a batch its mates are in.
        await asyncio.shield(waiting.done)

    async def _write_while_queued(self) -> None:
        # One yield first, so deliveries that arrive in the same turn of the loop join.
        await asyncio.sleep(0)
        while self._queue:
            batch = self._take(self._max_batch)
            try:
                await self._write(batch)
            except Exception:
                # Rolled back whole: nothing of it is stored, so each runs again alone.
                log.info("group commit of %d deliveries failed; writing each alone", len(batch))
                for waiting in batch:
                    await self._write_alone(waiting)
            except BaseException as exc:
                # Shutting down mid-batch: nothing is known committed, so nobody gets a 2xx.
                for waiting in batch:
                    waiting.failure = exc
                raise
            finally:
                for waiting in batch:
                    _release(waiting)

    async def rehearse(self, contexts: Sequence[IntakeContext]) -> None:
        """Run `contexts` through the batch path, then roll it all back.

        Run once before serving: the first batch would otherwise pay for building and
        preparing every statement of the alert path (measured: 100 ms or more, its 20
        deliveries the slowest of a burst). Nothing of it is kept.
        """
        loop = asyncio.get_running_loop()
        batch = [_Waiting(ctx, loop.create_future()) for ctx in contexts]
        with contextlib.suppress(_Rehearsed):
            await self._write(batch, rehearsal=True)

    async def _write(self, batch: list[_Waiting], *, rehearsal: bool = False) -> None:
        """Write `batch`, and deliveries that arrive meanwhile, in one transaction.

        Deliveries queued while the batch's stages run join it (up to `max_batch`), so
        a delivery that arrives a moment after the others is not left to a transaction
        of its own. Those that join are added to `batch`: its caller answers them too.
        A rehearsal takes no one else and is rolled back (`_Rehearsed`).
        """
        effects = DeferredEffects()
        async with self._sessions() as session, session.begin():
            hold_events(session)
            known = await OpenIncidents.load(session, _keys_asked(batch))
            links = PendingLinks()
            arrivals = list(batch)
            while arrivals:
                contexts = [waiting.ctx for waiting in arrivals]
                await store_batch(session, contexts)
                ahead = _stored_signals(contexts)
                for waiting in arrivals:
                    ahead.difference_update(_stored_signals([waiting.ctx]))
                    waiting.ctx.signals_ahead = frozenset(ahead)
                    waiting.ctx.open_incidents = known
                    waiting.ctx.pending_links = links
                    waiting.failure = None
                    await self._stages_for(waiting.ctx, session)
                    effects.merge(waiting.ctx.effects)
                    # The next delivery reads rows afresh, as it would in a session of
                    # its own; rows it added and not yet written stay, to be written
                    # with the batch's others.
                    for loaded in list(session.identity_map.values()):
                        session.expunge(loaded)
                arrivals = [] if rehearsal else self._take(self._max_batch - len(batch))
                batch.extend(arrivals)
                if arrivals:
                    await known.learn(session, _keys_asked(arrivals))
            await links.write(session)
            await effects.apply(session)
            await write_held(session)
            if rehearsal:
                raise _Rehearsed

    def _take(self, most: int) -> list[_Waiting]:
        return [self._queue.popleft() for _ in range(min(most, len(self._queue)))]

    async def _write_alone(self, waiting: _Waiting) -> None:
        waiting.ctx.forget_database_facts()
        waiting.failure = None
        try:
            async with self._sessions() as session, session.begin():
                hold_events(session)
                await self._stages_for(waiting.ctx, session)
                await waiting.ctx.effects.apply(session)
                await write_held(session)
        except Exception as exc:
            waiting.failure = exc
            waiting.ctx.forget_database_facts()

    def _answered(self, _done: asyncio.Future[None]) -> None:
        self._last_activity = asyncio.get_running_loop().time()
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()

    async def _stages_for(self, ctx: IntakeContext, session: AsyncSession) -> None:
        ctx.session = session
        try:
            for stage in self._stages:
                await stage(ctx)
        finally:
            ctx.session = None


def _stored_signals(contexts: list[IntakeContext]) -> set[int]:
    return {o.signal_id for ctx in contexts for o in ctx.outcomes if o.signal_id is not None}


def _keys_asked(batch: list[_Waiting]) -> list[str]:
    """Every open_group_key grouping may ask about for the batch's alerts."""
    keys: list[str] = []
    for waiting in batch:
        for outcome in waiting.ctx.outcomes:
            if outcome.disposition is None:
                signal = outcome.signal
                keys.append(outcome.group_key)
                keys.append(split_key(signal.environment, signal.service))
                keys.append(storm_key(signal.environment))
    return keys


def _release(waiting: _Waiting) -> None:
    if waiting.done.done():
        return
    if waiting.failure is not None:
        waiting.done.set_exception(waiting.failure)
    else:
        waiting.done.set_result(None)
