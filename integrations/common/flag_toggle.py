"""Turning a feature flag on or off, whatever the vendor: read first, switch, read back."""

from __future__ import annotations

import logging

from bot.ports.adapters import AdapterError
from bot.ports.remediation import (
    ActionPlan,
    ActionRequest,
    ExecutionResult,
    VerificationResult,
    VerifyStatus,
)

logger = logging.getLogger(__name__)

# The state each action leaves the flag in.
TARGET_STATE = {"disable_feature_flag": False, "enable_feature_flag": True}


def word(on: bool) -> str:
    return "on" if on else "off"


def not_ready_reason(exc: AdapterError, host: str, token: str, forbidden: str) -> str:
    """Why a vendor refused the probe, without repeating anything the vendor sent."""
    if exc.code == "unauthorized":
        return f"{host} refused the {token} (HTTP 401)"
    if exc.code == "forbidden":
        return f"{host} accepted the {token} but it may not {forbidden} (HTTP 403)"
    return exc.message


class FlagToggleRemediator:
    """The Remediator capability for flags; a vendor supplies reading, writing and names."""

    name = "flags"
    actions = frozenset(TARGET_STATE)

    async def _read(self, flag: str, environment: str) -> bool:
        raise NotImplementedError

    async def _write(self, flag: str, environment: str, target: bool, comment: str) -> None:
        raise NotImplementedError

    def _vendor_environment(self, environment: str) -> str:
        raise NotImplementedError

    async def describe(self, request: ActionRequest) -> ActionPlan:
        flag, environment, target = self._scope(request)
        current = await self._read(flag, environment)
        if current == target:
            summary = f"flag {flag} is already {word(target)} in {environment}; nothing to change"
        else:
            summary = f"turn flag {flag} {word(target)} in {environment} (now {word(current)})"
        return ActionPlan(
            adapter=self.name,
            summary=summary,
            details={
                "flag": flag,
                "environment": environment,
                "current": word(current),
                "target": word(target),
            },
        )

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        flag, environment, target = self._scope(request)
        return await self._switch(flag, environment, target, _comment(request, request.action))

    async def verify(self, request: ActionRequest, result: ExecutionResult) -> VerificationResult:
        flag, environment, target = self._scope(request)
        target = result.details.get("target", word(target)) == "on"
        actual = await self._read(flag, environment)
        if actual == target:
            return VerificationResult(
                VerifyStatus.HEALTHY, f"flag {flag} is {word(actual)} in {environment}"
            )
        return VerificationResult(
            VerifyStatus.FAILED,
            f"flag {flag} is {word(actual)} in {environment}, expected {word(target)}",
        )

    async def rollback(self, request: ActionRequest, result: ExecutionResult) -> ExecutionResult:
        flag, environment, _ = self._scope(request)
        if result.details.get("changed") != "true":
            return ExecutionResult(
                summary=f"nothing to undo: flag {flag} was not changed in {environment}",
                details={**result.details, "changed": "false"},
            )
        previous = result.details.get("previous")
        if previous not in {"on", "off"}:
            raise AdapterError(
                "not_reversible",
                f"the earlier state of flag {flag} was not recorded",
                retryable=False,
            )
        comment = _comment(request, f"rollback of {request.action}")
        return await self._switch(flag, environment, previous == "on", comment)

    async def _switch(
        self, flag: str, environment: str, target: bool, comment: str
    ) -> ExecutionResult:
        current = await self._read(flag, environment)
        details = {
            "flag": flag,
            "environment": environment,
            "previous": word(current),
            "target": word(target),
        }
        if current == target:
            return ExecutionResult(
                summary=f"flag {flag} was already {word(target)} in {environment}; no change",
                details={**details, "changed": "false"},
            )
        await self._write(flag, environment, target, comment)
        logger.info("%s turned flag %s %s in %s", self.name, flag, word(target), environment)
        return ExecutionResult(
            summary=f"turned flag {flag} {word(target)} in {environment} (was {word(current)})",
            details={**details, "changed": "true"},
        )

    def _scope(self, request: ActionRequest) -> tuple[str, str, bool]:
        """The flag, the vendor's environment name and the state the action asks for."""
        if request.action not in TARGET_STATE:
            raise AdapterError(
                "unsupported_action", f"{self.name} cannot run {request.action}", retryable=False
            )
        flag = request.params.get("flag", "")
        if not flag:
            raise AdapterError(
                "missing_param", f"{request.action} needs a flag parameter", retryable=False
            )
        environment = self._vendor_environment(request.environment)
        return flag, environment, TARGET_STATE[request.action]


def _comment(request: ActionRequest, purpose: str) -> str:
    """An audit comment that ties a change in the vendor's log back to our incident."""
    return (
        f"smokejumper {purpose} for incident {request.incident_id} "
        f"(idempotency key {request.idempotency_key})"
    )
