"""The storm's outbox jobs, for the app's job list."""

from __future__ import annotations

from bot.capabilities import JobRoute
from bot.storms import flows, jobs

JOBS: tuple[JobRoute, ...] = (
    JobRoute(jobs.OPEN_CHANNEL, flows.open_storm_channel),
    JobRoute(jobs.REFRESH_CARD, flows.refresh_storm_card),
    JobRoute(jobs.CHECK, flows.check_storm),
    JobRoute(jobs.REQUEST_PAGE, flows.request_storm_page),
)
