"""The storm's outbox job handlers, for the app's worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.outbox.service import Job
from bot.runtime import Runtime
from bot.storms import flows, jobs


def storm_job_handlers(rt: Runtime) -> dict[str, Callable[[Job], Awaitable[None]]]:
    return {
        jobs.OPEN_CHANNEL: lambda job: flows.open_storm_channel(rt, job),
        jobs.REFRESH_CARD: lambda job: flows.refresh_storm_card(rt, job),
        jobs.CHECK: lambda job: flows.check_storm(rt, job),
        jobs.REQUEST_PAGE: lambda job: flows.request_storm_page(rt, job),
    }
