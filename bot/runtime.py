"""The shared services one running smokejumper hands to its flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.breaker import Breakers
from bot.actions.registry import Adapters
from bot.config import Settings
from bot.domain.clock import REAL_TIME, Clock, TimeSource
from bot.ports.chat import ChatWorkspace
from bot.ports.triage import SummaryWriter, Triager
from bot.store.database import SessionFactory
from bot.store.models import IncidentRow, TriageRow
from bot.triage.models import CheckedTriage
from policies.policy import Policy, PolicyProblem, load_policy
from policies.runbooks import Runbook

# Called inside a transaction to queue a handoff: (session, incident_id, new owner, actor,
# why, correlation_id).
RequestHandoff = Callable[[AsyncSession, int, str | None, str, str, str], Awaitable[None]]

# Called inside a transaction to queue a ticket: (session, incident_id, correlation_id, now).
RequestTicket = Callable[[AsyncSession, int, str, datetime], Awaitable[None]]
# Called inside the transaction of a resolve: (session, incident_id, actor, correlation_id).
OnResolved = Callable[[AsyncSession, int, str, str], Awaitable[None]]

# Called inside the transaction that records a triage, to turn its proposals into actions.
ProposeActions = Callable[
    [AsyncSession, IncidentRow, TriageRow, CheckedTriage, str], Awaitable[None]
]


def _no_wake() -> None:
    return None


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    chat: ChatWorkspace
    # The one time source: flows read `clock()`, whatever waits sleeps on `time`.
    time: TimeSource = REAL_TIME
    wake_outbox: Callable[[], None] = field(default=_no_wake)
    runbooks: list[Runbook] = field(default_factory=list)
    runbooks_version: str = ""
    triager: Triager | None = None
    propose_actions: ProposeActions | None = None
    request_handoff: RequestHandoff | None = None
    request_ticket: RequestTicket | None = None
    on_resolved: OnResolved | None = None
    summary_writer: SummaryWriter | None = None
    policy: Policy = field(default_factory=lambda: load_policy().policy)
    policy_problem: PolicyProblem | None = None
    adapters: Adapters = field(default_factory=Adapters)
    breakers: Breakers = field(default_factory=Breakers)

    @property
    def clock(self) -> Clock:
        """The time source's wall clock, for flows that only read the time."""
        return self.time.now
