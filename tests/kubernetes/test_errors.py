"""API failures become AdapterErrors with a stable code and whether a retry can help."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from kmock import KubernetesEmulator, KubernetesError, Request

from bot.ports.adapters import AdapterError, NotReady
from integrations.kubernetes.adapter import KubernetesRemediator, setup
from integrations.kubernetes.config import KubernetesConfig, TokenCredentials
from tests.kubernetes.conftest import (
    action_request,
    config_for,
    make_deployment,
    seed_deployment,
)

DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/prod/deployments/payments"
REASONS = {
    403: "Forbidden",
    409: "Conflict",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


async def test_missing_deployment_is_not_found(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    with pytest.raises(AdapterError) as caught:
        await remediator.execute(action_request("restart_deployment"))
    assert caught.value.code == "not_found"
    assert not caught.value.retryable
    assert caught.value.message == (
        "Kubernetes get deployment prod/payments failed: HTTP 404 Not Found"
    )


@pytest.mark.parametrize(
    ("status", "code", "retryable", "phrase"),
    [
        (403, "forbidden", False, "403 Forbidden"),
        (429, "rate_limited", True, "429 Too Many Requests"),
        (500, "server_error", True, "500 Internal Server Error"),
        (503, "server_error", True, "503 Service Unavailable"),
    ],
)
async def test_read_errors_are_classified(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    status: int,
    code: str,
    retryable: bool,
    phrase: str,
) -> None:
    seed_deployment(cluster, make_deployment())
    cluster[f"get {DEPLOYMENT_PATH}"] << KubernetesError(
        status=status, reason=REASONS[status], message="injected"
    )
    with pytest.raises(AdapterError) as caught:
        await remediator.describe(action_request("restart_deployment"))
    assert caught.value.code == code
    assert caught.value.retryable is retryable
    assert caught.value.message == f"Kubernetes get deployment prod/payments failed: HTTP {phrase}"


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [(409, "conflict", True), (422, "invalid", False), (500, "server_error", True)],
)
async def test_write_errors_are_classified(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    status: int,
    code: str,
    retryable: bool,
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    cluster[f"patch {DEPLOYMENT_PATH}"] << KubernetesError(
        status=status, reason=REASONS[status], message="injected"
    )
    with pytest.raises(AdapterError) as caught:
        await remediator.execute(
            action_request("scale_deployment", {"replicas_delta": "1", "max_replicas": "5"})
        )
    assert caught.value.code == code
    assert caught.value.retryable is retryable
    assert caught.value.message.startswith(
        f"Kubernetes patch deployment prod/payments failed: HTTP {status} "
    )


async def test_a_refused_token_is_forbidden_and_not_ready(cluster: KubernetesEmulator) -> None:
    seed_deployment(cluster, make_deployment())
    credentials = TokenCredentials(host=str(cluster.url), bearer_token="not-the-token")
    remediator = await setup(KubernetesConfig(credentials=credentials))
    try:
        with pytest.raises(AdapterError) as caught:
            await remediator.execute(action_request("restart_deployment"))
        assert caught.value.code == "forbidden"
        assert not caught.value.retryable
        assert "HTTP 401 Unauthorized" in caught.value.message
        with pytest.raises(NotReady) as not_ready:
            await remediator.probe()
        assert "HTTP 401" in not_ready.value.reason
        assert not_ready.value.adapter == "kubernetes"
    finally:
        await remediator.close()


async def test_probe_passes_with_good_credentials(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    await remediator.probe()
    [request] = list(cluster)
    assert request.method.value == "GET"
    assert request.url.path == "/apis/apps/v1"


async def test_timeouts_are_retryable(cluster: KubernetesEmulator) -> None:
    seed_deployment(cluster, make_deployment())
    released = asyncio.Event()

    async def stall(request: Request) -> dict[str, Any]:
        await released.wait()
        return {}

    cluster[f"get {DEPLOYMENT_PATH}"] << stall
    remediator = await setup(config_for(cluster, request_timeout_seconds=0.2))
    try:
        with pytest.raises(AdapterError) as caught:
            await remediator.execute(action_request("restart_deployment"))
    finally:
        released.set()
        await remediator.close()
    assert caught.value.code == "timeout"
    assert caught.value.retryable
    assert caught.value.message == "Kubernetes get deployment prod/payments timed out"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_is_retryable_and_not_ready() -> None:
    credentials = TokenCredentials(host=f"http://127.0.0.1:{_closed_port()}", bearer_token="x")
    remediator = await setup(KubernetesConfig(credentials=credentials))
    try:
        with pytest.raises(AdapterError) as caught:
            await remediator.execute(action_request("restart_deployment"))
        assert caught.value.code == "unreachable"
        assert caught.value.retryable
        with pytest.raises(NotReady) as not_ready:
            await remediator.probe()
        assert "unreachable" in not_ready.value.reason
    finally:
        await remediator.close()
