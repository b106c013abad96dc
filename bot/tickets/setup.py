"""The ticket sync's outbox jobs, for the worker's handler table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.outbox.service import Job
from bot.runtime import Runtime
from bot.tickets import flows, jobs

JobHandler = Callable[[Job], Awaitable[None]]


def job_handlers(rt: Runtime) -> dict[str, JobHandler]:
    """Every ticket job kind and the flow that runs it."""

    def bind(flow: Callable[[Runtime, Job], Awaitable[None]]) -> JobHandler:
        return lambda job: flow(rt, job)

    return {
        jobs.CREATE: bind(flows.create_ticket_job),
        jobs.SYNC: bind(flows.sync_job),
        jobs.RESOLVE: bind(flows.resolve_job),
        jobs.RETRY: bind(flows.retry_job),
    }
