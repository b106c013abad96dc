"""The capability registry: one job list, every kind once, each flow bound to the runtime."""

from __future__ import annotations

from typing import cast

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import job_routes
from bot.capabilities import JobRoute, job_handlers
from bot.outbox.service import Job
from bot.runtime import Runtime
from integrations.slack.threads import SlackThreads


def test_every_job_kind_is_routed_once() -> None:
    kinds = [route.kind for route in job_routes(SlackThreads(AsyncWebClient()))]

    assert len(kinds) == len(set(kinds))
    assert {"incident.open_channel", "triage.run", "ticket.create", "handoff.post"} <= set(kinds)


def test_a_kind_registered_twice_is_refused() -> None:
    async def flow(rt: Runtime, job: Job) -> None:
        return None

    routes = [JobRoute("incident.post_note", flow), JobRoute("incident.post_note", flow)]

    with pytest.raises(ValueError, match="registered twice"):
        job_handlers(cast(Runtime, None), routes)


async def test_a_handler_runs_its_flow_with_the_runtime() -> None:
    seen: list[tuple[object, object]] = []

    async def flow(rt: Runtime, job: Job) -> None:
        seen.append((rt, job))

    rt, job = cast(Runtime, object()), cast(Job, object())
    handlers = job_handlers(rt, [JobRoute("a", flow), JobRoute("b", flow)])
    await handlers["b"](job)

    assert seen == [(rt, job)]
