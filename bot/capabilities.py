"""The one registry of what a running smokejumper can call, built once in `bot/app.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.actions.registry import Adapters
from bot.outbox.service import Job
from bot.ports.alerts import AlertSource
from bot.ports.chat import ChatWorkspace
from bot.ports.triage import SummaryWriter, Triager

if TYPE_CHECKING:
    from bot.runtime import Runtime

# A flow the outbox worker runs for one job kind.
JobFlow = Callable[["Runtime", Job], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobRoute:
    """One outbox job kind and the flow that runs it."""

    kind: str
    flow: JobFlow


@dataclass(frozen=True)
class AlertSources:
    """The inbound alert formats; None when its secret (or explicit opt-out) is not set."""

    alertmanager: AlertSource | None = None
    generic: AlertSource | None = None
    pagerduty: AlertSource | None = None


@dataclass(frozen=True)
class Capabilities:
    """Chat, adapters (remediators, pager, ticketing), triage, summaries, intake and jobs."""

    chat: ChatWorkspace
    adapters: Adapters = field(default_factory=Adapters)
    # None: the runbook triage does the job.
    triager: Triager | None = None
    # None: the handoff uses its template summary.
    summary_writer: SummaryWriter | None = None
    alert_sources: AlertSources = field(default_factory=AlertSources)
    jobs: tuple[JobRoute, ...] = ()


def job_handlers(
    rt: Runtime, routes: Iterable[JobRoute]
) -> Mapping[str, Callable[[Job], Awaitable[None]]]:
    """The worker's table: each route's flow bound to `rt`; a kind named twice is a bug."""
    handlers: dict[str, Callable[[Job], Awaitable[None]]] = {}
    for route in routes:
        if route.kind in handlers:
            raise ValueError(f"job kind {route.kind!r} is registered twice")
        handlers[route.kind] = _bind(rt, route.flow)
    return handlers


def _bind(rt: Runtime, flow: JobFlow) -> Callable[[Job], Awaitable[None]]:
    # A function of its own, so each handler closes over its own flow.
    return lambda job: flow(rt, job)
