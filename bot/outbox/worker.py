"""Runs outbox jobs: claim, execute, then complete, retry with backoff, or give up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain import retry
from bot.domain.clock import REAL_TIME, TimeSource
from bot.domain.events import EventKind
from bot.domain.steps import set_before_step
from bot.eventlog import service as eventlog
from bot.outbox import lane_names as lanes
from bot.outbox import service as outbox
from bot.outbox.lanes import incident_of, keeps_retrying
from bot.outbox.lease import JobLease, LeaseLost
from bot.outbox.service import Claim, Job
from bot.ports.adapters import AdapterError
from bot.ports.chat import ChatError
from bot.store.database import SessionFactory

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], Awaitable[None]]

# How often `drain` looks again when jobs are left that it cannot run yet (running
# elsewhere, or waiting behind an earlier job of their incident).
DRAIN_STEP_SECONDS = 0.05
# Longest a worker waits for the intake to go quiet before its next claim: intake comes
# first (on SQLite it shares the one connection), but jobs still get a turn this often,
# one job per turn while the intake stays busy.
GIVE_WAY_SECONDS = 0.25
# Finished jobs are deleted at most this often, by whichever poll notices first.
SWEEP_EVERY = timedelta(hours=1)


def backoff(attempts: int, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """Exponential delay before the next attempt: 1 s, 2 s, 4 s … up to `cap`."""
    return retry.backoff(attempts, base, cap)


class OutboxWorker:
    """Processes due jobs with bounded concurrency; many replicas may run one each."""

    def __init__(
        self,
        sessions: SessionFactory,
        handlers: Mapping[str, JobHandler],
        *,
        time: TimeSource = REAL_TIME,
        concurrency: int = 4,
        poll_seconds: float = 0.5,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        retention: timedelta = timedelta(days=7),
        give_way: Callable[[], Awaitable[None]] | None = None,
        give_way_seconds: float = GIVE_WAY_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._time = time
        self._clock = time.now
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._lease = lease
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._retention = retention
        self._give_way = give_way
        self._give_way_seconds = give_way_seconds
        self._swept_at = self._clock() - SWEEP_EVERY
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()
        self.worker_id = uuid.uuid4().hex[:16]

    @property
    def max_attempts(self) -> int:
        """Runs a job gets before it is given up (while nothing keeps it alive longer)."""
        return self._max_attempts

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run_once(self, limit: int | None = None) -> int:
        """Claim and run one batch of due jobs (at most `limit`, else the worker's
        concurrency); return how many ran."""
        now = self._clock()
        if now - self._swept_at >= SWEEP_EVERY:
            await self._sweep(now)
        async with self._sessions() as session, session.begin():
            jobs = await outbox.claim(
                session,
                worker_id=self.worker_id,
                now=now,
                lease=self._lease,
                limit=self._concurrency if limit is None else limit,
            )
        if jobs:
            until = now + self._lease
            await asyncio.gather(*(self._run(self._leased(job, until)) for job in jobs))
        return len(jobs)

    async def _sweep(self, now: datetime) -> None:
        """Finished rows only answer "what happened?" for a while; the log keeps the rest."""
        self._swept_at = now
        async with self._sessions() as session, session.begin():
            swept = await outbox.sweep_finished(session, now - self._retention)
        if swept:
            log.info("deleted %d outbox job(s) finished over %s ago", swept, self._retention)

    def _leased(self, job: Job, until: datetime) -> Job:
        claim = Claim(self.worker_id, job.attempts)
        lease = JobLease(self._sessions, self._clock, job.id, claim, self._lease, until)
        return replace(job, lease=lease)

    async def _run(self, job: Job) -> None:
        claim = Claim(self.worker_id, job.attempts)
        handler = self._handlers.get(job.kind)
        if job.lease is not None:
            # Each Slack call or adapter attempt of this job first holds its lease.
            set_before_step(job.lease.hold)
        try:
            if handler is None:
                raise ChatError("unknown_job", f"no handler for {job.kind}", retryable=False)
            await handler(job)
        except LeaseLost:
            # Its new holder runs it from where the record says it stands; this run
            # neither completes nor retries it.
            log.warning("outbox job %s (%s) lost its lease; stopped", job.id, job.kind)
        except (ChatError, AdapterError) as exc:
            wait = exc.retry_after if isinstance(exc, AdapterError) else None
            await self._failed(job, claim, str(exc), retryable=exc.retryable, at_least=wait)
        except Exception as exc:
            # The exception's text may quote a request, a token or alert text: it goes to
            # the log only; the job, the timeline and the ticket get its type.
            log.exception("outbox job %s (%s) crashed", job.id, job.kind)
            error = f"unexpected error ({type(exc).__name__})"
            await self._failed(job, claim, error, retryable=True)
        else:
            async with self._sessions() as session, session.begin():
                done = await outbox.complete(session, job.id, self._clock(), claim)
            if not done:
                log.warning("outbox job %s (%s) finished after losing its lease", job.id, job.kind)

    async def _failed(
        self,
        job: Job,
        claim: Claim,
        error: str,
        *,
        retryable: bool,
        at_least: float | None = None,
    ) -> None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            # While its incident is open, a job waits out any outage (capped backoff);
            # the attempt limit only ends jobs of closed incidents and of none.
            keep_trying = await keeps_retrying(session, job)
            if retryable and (keep_trying or job.attempts < self._max_attempts):
                delay = backoff(job.attempts, self._backoff_base, self._backoff_cap)
                if at_least is not None:
                    # The far side said when to come back (Retry-After), within the cap.
                    delay = max(delay, timedelta(seconds=min(at_least, self._backoff_cap)))
                log.warning(
                    "outbox job %s (%s) will retry in %s: %s", job.id, job.kind, delay, error
                )
                await outbox.retry_later(session, job.id, now + delay, error, claim)
                return
            if not await outbox.give_up(session, job.id, now, error, claim):
                # Another worker holds the job now; its outcome is that worker's to record.
                log.warning("outbox job %s (%s) failed after losing its lease", job.id, job.kind)
                return
            log.error("outbox job %s (%s) gave up: %s", job.id, job.kind, error)
            work = lanes.WORK.get(job.lane, job.lane)
            # Against its incident, so the timeline, the handoff and the ticket say it.
            eventlog.record(
                session,
                kind=EventKind.JOB_GAVE_UP,
                summary=f"Gave up on {work} ({job.kind}) after {job.attempts} attempt(s): {error}",
                actor="smokejumper",
                correlation_id=job.correlation_id,
                at=now,
                incident_id=incident_of(job),
                data={
                    "job_id": job.id,
                    "kind": job.kind,
                    "lane": job.lane,
                    "work": work,
                    "attempts": job.attempts,
                    "error": error,
                },
            )

    async def run_forever(self) -> None:
        while not self._stopping:
            quiet = await self._let_intake_go_first()
            try:
                # Alerts still coming in: one job at a time, so the jobs' share of the
                # loop stays one job's, not a burst of them all at once.
                ran = await self.run_once(limit=None if quiet else 1)
            except Exception:
                log.exception("outbox poll failed; will try again")
                ran = 0
            if ran == 0:
                self._wake.clear()
                # The idle poll stays on the event loop's clock: on a virtual time source
                # a sleep returns at once, and this loop would spin instead of idling.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def _let_intake_go_first(self) -> bool:
        """Wait, for a bounded time, until no alert delivery is waiting for its commit;
        False if the intake was still busy when the wait ended.

        The bound is on the event loop's clock, like the idle poll: it is a share of real
        time for the jobs, not part of any job's schedule.
        """
        if self._give_way is None:
            return True
        quiet = asyncio.ensure_future(self._give_way())
        stopping = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait(
                {quiet, stopping},
                timeout=self._give_way_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            return quiet.done() and not quiet.cancelled()
        finally:
            for task in (quiet, stopping):
                task.cancel()
            await asyncio.gather(quiet, stopping, return_exceptions=True)

    def stop(self) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    async def drain(self, timeout: float = 30.0, *, due_only: bool = False) -> None:
        """Run until nothing is pending or running (sandbox and tests).

        Jobs waiting for a later time (a retry's backoff, a verification window's next
        look) are waited for on the time source, so on a virtual clock draining a
        ten-minute window takes no real time. With `due_only`, those jobs do not count
        and no time is waited for them. `timeout` is real seconds: a guard against a job
        that never finishes, not a wait.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._wake.clear()
            if await self.run_once():
                # Checked after every batch too: jobs that keep queueing due jobs would
                # otherwise keep a drain busy forever.
                if loop.time() > deadline:
                    raise TimeoutError(f"outbox jobs still queueing more after {timeout}s")
                continue
            async with self._sessions() as session:
                now = self._clock()
                left = await outbox.pending_count(session, now if due_only else None)
                next_due = None if due_only else await outbox.next_due(session)
            if left == 0:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"{left} outbox job(s) still pending after {timeout}s")
            pause = DRAIN_STEP_SECONDS
            if next_due is not None and next_due > now:
                pause = max(pause, (next_due - now).total_seconds())
            await self._pause(pause)

    async def _pause(self, seconds: float) -> None:
        """Sleep on the time source, cut short when a new job is enqueued (`wake`)."""
        if seconds <= DRAIN_STEP_SECONDS:
            await self._time.sleep(seconds)
            return
        sleeping = asyncio.ensure_future(self._time.sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, woken):
                task.cancel()
            await asyncio.gather(sleeping, woken, return_exceptions=True)
