"""The handoff's outbox jobs, for the worker's handler table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.handoff import flows
from bot.handoff.jobs import PAGER_NOTE, POST
from bot.outbox.service import Job
from bot.runtime import Runtime

JobHandler = Callable[[Job], Awaitable[None]]


def job_handlers(rt: Runtime) -> dict[str, JobHandler]:
    """Every handoff job kind and the flow that runs it."""

    def bind(flow: Callable[[Runtime, Job], Awaitable[None]]) -> JobHandler:
        return lambda job: flow(rt, job)

    return {POST: bind(flows.post_handoff_job), PAGER_NOTE: bind(flows.pager_note_job)}
