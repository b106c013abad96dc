"""The ticket sync's outbox jobs, for the app's job list."""

from __future__ import annotations

from bot.capabilities import JobRoute
from bot.tickets import flows, jobs

JOBS: tuple[JobRoute, ...] = (
    JobRoute(jobs.CREATE, flows.create_ticket_job),
    JobRoute(jobs.SYNC, flows.sync_job),
    JobRoute(jobs.RESOLVE, flows.resolve_job),
    JobRoute(jobs.RETRY, flows.retry_job),
)
