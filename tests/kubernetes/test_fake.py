"""FakeRemediator validates like the real adapter and fails or verifies on command."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.remediation import ExecutionResult, Remediator, VerifyStatus
from integrations.kubernetes.fake import FakeRemediator
from tests.kubernetes.conftest import action_request

SCALE_PARAMS = {"replicas_delta": "2", "max_replicas": "6"}


def test_it_is_a_remediator() -> None:
    fake: Remediator = FakeRemediator()
    assert fake.name == "kubernetes"
    assert "scale_deployment" in fake.actions


async def test_records_and_answers_each_stage() -> None:
    fake = FakeRemediator()
    request = action_request("scale_deployment", SCALE_PARAMS)

    plan = await fake.describe(request)
    result = await fake.execute(request)
    verdict = await fake.verify(request, result)
    undone = await fake.rollback(request, result)

    assert plan.summary == "would run scale_deployment on prod/payments"
    assert plan.details == SCALE_PARAMS
    assert result.summary == "ran scale_deployment on prod/payments"
    assert verdict.status is VerifyStatus.HEALTHY
    assert "rolled back scale_deployment" in undone.summary
    assert fake.described == fake.executed == fake.verified == fake.rolled_back == [request]


async def test_execution_is_idempotent_per_key() -> None:
    fake = FakeRemediator()
    first = await fake.execute(action_request("restart_deployment"))
    again = await fake.execute(action_request("restart_deployment"))
    other = await fake.execute(action_request("restart_deployment", key="inc-42:action-2"))
    assert again == first
    assert other != first
    assert len(fake.executed) == 2


@pytest.mark.parametrize(
    ("action", "params", "code"),
    [
        ("delete_namespace", {}, "unknown_action"),
        ("page_oncall", {}, "unknown_action"),
        ("scale_deployment", {"replicas_delta": "2"}, "invalid_params"),
        ("scale_deployment", {**SCALE_PARAMS, "replicas_delta": "50"}, "invalid_params"),
        ("restart_deployment", {"force": "yes"}, "invalid_params"),
    ],
)
async def test_invalid_requests_are_refused(action: str, params: dict[str, str], code: str) -> None:
    fake = FakeRemediator()
    for call in (fake.describe, fake.execute):
        with pytest.raises(AdapterError) as caught:
            await call(action_request(action, params))
        assert caught.value.code == code
        assert not caught.value.retryable
    assert fake.executed == []


@pytest.mark.parametrize("retryable", [True, False])
async def test_an_injected_failure_fails_that_action_only(retryable: bool) -> None:
    fake = FakeRemediator()
    fake.fail("restart_deployment", retryable=retryable)
    with pytest.raises(AdapterError) as caught:
        await fake.execute(action_request("restart_deployment"))
    assert caught.value.retryable is retryable
    assert caught.value.code == ("unavailable" if retryable else "refused")
    await fake.execute(action_request("collect_diagnostics"))
    assert [r.action for r in fake.executed] == ["collect_diagnostics"]


async def test_a_failure_can_be_limited_to_some_calls_and_stages() -> None:
    fake = FakeRemediator()
    fake.fail("scale_deployment", retryable=True, times=2, code="timeout")
    request = action_request("scale_deployment", SCALE_PARAMS)
    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            await fake.execute(request)
        assert caught.value.code == "timeout"
    result = await fake.execute(request)
    fake.fail("scale_deployment", retryable=False, stage="rollback")
    with pytest.raises(AdapterError):
        await fake.rollback(request, result)
    fake.clear()
    await fake.rollback(request, result)
    with pytest.raises(ValueError):
        fake.fail("scale_deployment", retryable=True, times=0)


@pytest.mark.parametrize("status", [VerifyStatus.FAILED, VerifyStatus.PROGRESSING])
async def test_verify_answers_as_told(status: VerifyStatus) -> None:
    fake = FakeRemediator()
    request = action_request("rollback_deployment")
    result = await fake.execute(request)
    fake.verify_as(status)
    assert (await fake.verify(request, result)).status is status


async def test_verify_and_rollback_need_a_result_the_fake_produced() -> None:
    fake = FakeRemediator()
    request = action_request("rollback_deployment")
    with pytest.raises(AdapterError) as caught:
        await fake.verify(request, ExecutionResult("made up"))
    assert caught.value.code == "unknown_result"
    result = await fake.execute(request)
    with pytest.raises(AdapterError) as caught:
        await fake.rollback(action_request("scale_deployment", SCALE_PARAMS), result)
    assert caught.value.code == "unknown_result"


async def test_a_restart_is_rolled_back_like_the_real_adapter_does() -> None:
    fake = FakeRemediator()
    request = action_request("restart_deployment")
    result = await fake.execute(request)
    undone = await fake.rollback(request, result)
    assert fake.rolled_back == [request]
    assert undone.summary.startswith("rolled back restart_deployment")


async def test_probe_can_be_made_not_ready() -> None:
    fake = FakeRemediator()
    await fake.probe()
    fake.not_ready("API server unreachable")
    with pytest.raises(NotReady) as caught:
        await fake.probe()
    assert caught.value.reason == "API server unreachable"
    fake.not_ready(None)
    await fake.probe()
