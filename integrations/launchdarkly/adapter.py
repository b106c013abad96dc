"""`LaunchDarklyFlagRemediator`: the Remediator capability for feature flags on LaunchDarkly."""

from __future__ import annotations

import logging

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.remediation import (
    ActionPlan,
    ActionRequest,
    ExecutionResult,
    VerificationResult,
    VerifyStatus,
)
from integrations.launchdarkly.client import LaunchDarklyClient
from integrations.launchdarkly.config import LaunchDarklyConfig

logger = logging.getLogger(__name__)

# The targeting state each action leaves the flag in.
TARGET_STATE = {"disable_feature_flag": False, "enable_feature_flag": True}


def _word(on: bool) -> str:
    return "on" if on else "off"


def _comment(request: ActionRequest, purpose: str) -> str:
    """The audit-log comment that ties a change in LaunchDarkly back to our incident."""
    return (
        f"smokejumper {purpose} for incident {request.incident_id} "
        f"(idempotency key {request.idempotency_key})"
    )


class LaunchDarklyFlagRemediator:
    """Turns a flag's targeting on or off in one environment, reading its state first."""

    name = "launchdarkly"
    actions = frozenset(TARGET_STATE)

    def __init__(self, client: LaunchDarklyClient, config: LaunchDarklyConfig) -> None:
        self._client = client
        self._config = config

    async def probe(self) -> None:
        try:
            await self._client.caller_identity()
        except AdapterError as exc:
            raise NotReady(self.name, _not_ready_reason(exc, self._config.host)) from None

    async def describe(self, request: ActionRequest) -> ActionPlan:
        flag, environment, target = self._scope(request)
        current = await self._client.is_on(flag, environment)
        if current == target:
            summary = f"flag {flag} is already {_word(target)} in {environment}; nothing to change"
        else:
            summary = f"turn flag {flag} {_word(target)} in {environment} (now {_word(current)})"
        return ActionPlan(
            adapter=self.name,
            summary=summary,
            details={
                "flag": flag,
                "environment": environment,
                "current": _word(current),
                "target": _word(target),
            },
        )

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        flag, environment, target = self._scope(request)
        return await self._switch(flag, environment, target, _comment(request, request.action))

    async def verify(self, request: ActionRequest, result: ExecutionResult) -> VerificationResult:
        flag, environment, target = self._scope(request)
        target = result.details.get("target", _word(target)) == "on"
        actual = await self._client.is_on(flag, environment)
        if actual == target:
            return VerificationResult(
                VerifyStatus.HEALTHY, f"flag {flag} is {_word(actual)} in {environment}"
            )
        return VerificationResult(
            VerifyStatus.FAILED,
            f"flag {flag} is {_word(actual)} in {environment}, expected {_word(target)}",
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
        current = await self._client.is_on(flag, environment)
        details = {
            "flag": flag,
            "environment": environment,
            "previous": _word(current),
            "target": _word(target),
        }
        if current == target:
            return ExecutionResult(
                summary=f"flag {flag} was already {_word(target)} in {environment}; no change",
                details={**details, "changed": "false"},
            )
        await self._client.set_on(flag, environment, target, comment)
        logger.info("launchdarkly turned flag %s %s in %s", flag, _word(target), environment)
        return ExecutionResult(
            summary=f"turned flag {flag} {_word(target)} in {environment} (was {_word(current)})",
            details={**details, "changed": "true"},
        )

    def _scope(self, request: ActionRequest) -> tuple[str, str, bool]:
        """The flag, the LaunchDarkly environment key and the state the action asks for."""
        if request.action not in TARGET_STATE:
            raise AdapterError(
                "unsupported_action", f"launchdarkly cannot run {request.action}", retryable=False
            )
        flag = request.params.get("flag", "")
        if not flag:
            raise AdapterError(
                "missing_param", f"{request.action} needs a flag parameter", retryable=False
            )
        environment = self._config.launchdarkly_environment(request.environment)
        return flag, environment, TARGET_STATE[request.action]


def _not_ready_reason(exc: AdapterError, host: str) -> str:
    if exc.code == "unauthorized":
        return f"{host} refused the access token (HTTP 401)"
    if exc.code == "forbidden":
        return f"{host} accepted the access token but it may not call the API (HTTP 403)"
    return exc.message
