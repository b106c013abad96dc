"""The `Remediator` capability: describe, execute, verify and roll back one catalog action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.domain.subject import Subject


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One approved (or policy-allowed) action, bound to its incident's scope."""

    action: str  # a catalog action name, e.g. restart_deployment
    service: str
    environment: str
    params: Mapping[str, str]
    # Stable across retries and replicas; adapters pass it on where the far side
    # supports one (webhook header, PagerDuty dedup_key, annotation value).
    idempotency_key: str
    incident_id: str
    # The resolved subject; the adapter acts on it when it names its object exactly.
    subject: Subject | None = None


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """What an adapter would do, in words a responder can check before approving."""

    adapter: str
    summary: str
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """What an adapter did; `details` holds what verify and rollback need later."""

    summary: str
    details: Mapping[str, str] = field(default_factory=dict)


class VerifyStatus(StrEnum):
    HEALTHY = "healthy"  # the adapter's own check says the change took effect
    PROGRESSING = "progressing"  # not yet; ask again later within the window
    FAILED = "failed"  # the change did not take (e.g. rollout exceeded its deadline)
    UNKNOWN = "unknown"  # the adapter has no way to tell


@dataclass(frozen=True, slots=True)
class VerificationResult:
    status: VerifyStatus
    summary: str


class Remediator(Protocol):
    """An adapter that changes a running system through one vendor's API."""

    name: str
    # The catalog action names this adapter runs.
    actions: frozenset[str]

    async def probe(self) -> None:
        """Raise `NotReady` when the service cannot be reached or refuses us."""
        ...

    async def describe(self, request: ActionRequest) -> ActionPlan:
        """Dry run: exactly what `execute` would change, without changing it."""
        ...

    async def execute(self, request: ActionRequest) -> ExecutionResult: ...

    async def verify(
        self, request: ActionRequest, result: ExecutionResult
    ) -> VerificationResult: ...

    async def rollback(self, request: ActionRequest, result: ExecutionResult) -> ExecutionResult:
        """Undo `execute`; raise `AdapterError(code="not_reversible")` where it cannot be."""
        ...
