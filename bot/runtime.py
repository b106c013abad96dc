"""The shared services one running smokejumper hands to its flows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions.breaker import Breakers
from bot.actions.registry import Adapters
from bot.capabilities import Capabilities
from bot.config import Settings
from bot.domain.clock import REAL_TIME, Clock, TimeSource
from bot.ports.chat import ChatWorkspace
from bot.ports.triage import SummaryWriter, Triager
from bot.store.database import SessionFactory
from policies.policy import Policy, PolicyProblem, load_policy
from policies.runbooks import Runbook


def _no_wake() -> None:
    return None


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    # What this smokejumper can call; replaced whole when adapters are built at start.
    capabilities: Capabilities
    # The one time source: flows read `clock()`, whatever waits sleeps on `time`.
    time: TimeSource = REAL_TIME
    wake_outbox: Callable[[], None] = field(default=_no_wake)
    runbooks: list[Runbook] = field(default_factory=list)
    runbooks_version: str = ""
    policy: Policy = field(default_factory=lambda: load_policy().policy)
    policy_problem: PolicyProblem | None = None
    breakers: Breakers = field(default_factory=Breakers)

    @property
    def clock(self) -> Clock:
        """The time source's wall clock, for flows that only read the time."""
        return self.time.now

    # Shorthands for the capabilities that flows use most.
    @property
    def chat(self) -> ChatWorkspace:
        return self.capabilities.chat

    @property
    def adapters(self) -> Adapters:
        return self.capabilities.adapters

    @property
    def triager(self) -> Triager | None:
        return self.capabilities.triager

    @property
    def summary_writer(self) -> SummaryWriter | None:
        return self.capabilities.summary_writer
