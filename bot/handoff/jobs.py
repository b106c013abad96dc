"""Outbox job kinds of the handoff, and the worker's handlers for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.handoff import flows
from bot.handoff.flows import PAGER_NOTE, POST
from bot.outbox.service import Job
from bot.runtime import Runtime

__all__ = ["PAGER_NOTE", "POST", "job_handlers"]

JobHandler = Callable[[Job], Awaitable[None]]


def job_handlers(rt: Runtime) -> dict[str, JobHandler]:
    """Every handoff job kind and the flow that runs it."""

    def bind(flow: Callable[[Runtime, Job], Awaitable[None]]) -> JobHandler:
        return lambda job: flow(rt, job)

    return {POST: bind(flows.post_handoff_job), PAGER_NOTE: bind(flows.pager_note_job)}
