"""The handoff's outbox jobs, for the app's job list."""

from __future__ import annotations

from bot.capabilities import JobRoute
from bot.handoff import flows
from bot.handoff.jobs import PAGER_NOTE, POST

JOBS: tuple[JobRoute, ...] = (
    JobRoute(POST, flows.post_handoff_job),
    JobRoute(PAGER_NOTE, flows.pager_note_job),
)
