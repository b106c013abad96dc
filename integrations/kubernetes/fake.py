"""`FakeRemediator`: an in-memory Remediator for tests of the flows above the adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.remediation import (
    ActionPlan,
    ActionRequest,
    ExecutionResult,
    VerificationResult,
    VerifyStatus,
)
from integrations.kubernetes.adapter import ACTIONS
from integrations.kubernetes.validation import validate_request

Stage = Literal["describe", "execute", "verify", "rollback"]
RESULT_ID = "fake_result_id"


@dataclass(slots=True)
class _Failure:
    code: str
    retryable: bool
    # How many more calls fail; None fails every call.
    remaining: int | None


class FakeRemediator:
    """Validates requests like the real adapter, records them, and fails or verifies on command.

    Execution is idempotent per `idempotency_key`, as the real adapter's is: a repeat returns
    the first result and is not recorded again.
    """

    def __init__(self, name: str = "kubernetes", actions: frozenset[str] = ACTIONS) -> None:
        self.name = name
        self.actions = actions
        self.described: list[ActionRequest] = []
        self.executed: list[ActionRequest] = []
        self.verified: list[ActionRequest] = []
        self.rolled_back: list[ActionRequest] = []
        self._results: dict[str, ExecutionResult] = {}
        self._actions_by_key: dict[str, str] = {}
        self._failures: dict[tuple[Stage, str], _Failure] = {}
        self._verify_status = VerifyStatus.HEALTHY
        self._not_ready: str | None = None

    def fail(
        self,
        action: str,
        *,
        retryable: bool,
        stage: Stage = "execute",
        code: str | None = None,
        times: int | None = None,
    ) -> None:
        """Make `stage` of `action` raise an AdapterError, `times` times or until `clear()`."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every call")
        chosen = code or ("unavailable" if retryable else "refused")
        self._failures[(stage, action)] = _Failure(chosen, retryable, times)

    def verify_as(self, status: VerifyStatus) -> None:
        """Answer every later `verify` with `status`."""
        self._verify_status = status

    def not_ready(self, reason: str | None) -> None:
        """Make `probe` raise NotReady with `reason`; None makes it ready again."""
        self._not_ready = reason

    def clear(self) -> None:
        """Forget every injected failure."""
        self._failures.clear()

    async def probe(self) -> None:
        if self._not_ready is not None:
            raise NotReady(self.name, self._not_ready)

    async def describe(self, request: ActionRequest) -> ActionPlan:
        self._check(request, "describe")
        self.described.append(request)
        return ActionPlan(
            adapter=self.name,
            summary=f"would run {request.action} on {request.environment}/{request.service}",
            details=dict(request.params),
        )

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        self._check(request, "execute")
        earlier = self._results.get(request.idempotency_key)
        if earlier is not None:
            return earlier
        self.executed.append(request)
        result = ExecutionResult(
            summary=f"ran {request.action} on {request.environment}/{request.service}",
            details={**request.params, RESULT_ID: request.idempotency_key},
        )
        self._results[request.idempotency_key] = result
        self._actions_by_key[request.idempotency_key] = request.action
        return result

    async def verify(self, request: ActionRequest, result: ExecutionResult) -> VerificationResult:
        self._check(request, "verify")
        self._check_result(request, result)
        self.verified.append(request)
        return VerificationResult(
            self._verify_status, f"{request.action} reported {self._verify_status.value}"
        )

    async def rollback(self, request: ActionRequest, result: ExecutionResult) -> ExecutionResult:
        self._check(request, "rollback")
        self._check_result(request, result)
        self.rolled_back.append(request)
        return ExecutionResult(
            summary=f"rolled back {request.action} on {request.environment}/{request.service}",
            details={RESULT_ID: f"{request.idempotency_key}:rollback"},
        )

    def _check(self, request: ActionRequest, stage: Stage) -> None:
        validate_request(request, self.name, self.actions)
        failure = self._failures.get((stage, request.action))
        if failure is None:
            return
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[(stage, request.action)]
        raise AdapterError(
            failure.code,
            f"{self.name} {stage} of {request.action} failed (injected)",
            retryable=failure.retryable,
        )

    def _check_result(self, request: ActionRequest, result: ExecutionResult) -> None:
        known = self._actions_by_key.get(request.idempotency_key)
        if known != request.action or result.details.get(RESULT_ID) != request.idempotency_key:
            raise AdapterError(
                "unknown_result",
                f"{self.name} never executed {request.action} for this idempotency key",
                retryable=False,
            )
