"""A running job's lease, held step by step.

A job's lease is extended before each external step instead of by a heartbeat: a
heartbeat task sleeping on the time source would itself move a virtual clock, and a step
is where a job would repeat another worker's work. A job whose lease was taken (its
worker stalled past it and another replica claimed the job) stops at its next step.

While more than half of the lease is left, no one can have claimed the job (a claim needs
the lease to have run out), so a step costs no database write; the half is the margin
for replicas whose clocks disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.clock import Clock
from bot.outbox import service as outbox
from bot.outbox.service import Claim
from bot.store.database import SessionFactory


class LeaseLost(Exception):
    """Another worker claimed this job after its lease ran out; this run must stop."""


class JobLease:
    """Extends one claimed job's lease, fenced by its claim."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        job_id: int,
        claim: Claim,
        duration: timedelta,
        until: datetime,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._job_id = job_id
        self._claim = claim
        self._duration = duration
        self._until = until

    @property
    def claim(self) -> Claim:
        return self._claim

    @property
    def until(self) -> datetime:
        """When the lease runs out, as this worker last set it."""
        return self._until

    async def hold(self) -> None:
        now = self._clock()
        if self._until - now > self._duration / 2:
            return
        until = now + self._duration
        async with self._sessions() as session, session.begin():
            held = await outbox.renew(session, self._job_id, self._claim, until)
        if not held:
            raise LeaseLost(f"outbox job {self._job_id} is claimed by another worker")
        self._until = until
