"""The bearer token never reaches an error message, a repr or a log line."""

from __future__ import annotations

import logging

import pytest
from kmock import KubernetesEmulator, KubernetesError, Request
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.client.exceptions import ApiException

from bot.ports.adapters import AdapterError, NotReady
from integrations.kubernetes.adapter import KubernetesRemediator, setup
from integrations.kubernetes.config import KubernetesConfig, TokenCredentials
from tests.kubernetes.conftest import (
    TOKEN,
    action_request,
    make_deployment,
    make_replica_set,
    seed_deployment,
    seed_replica_sets,
)

DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/prod/deployments/payments"


def echo_authorization(status: int):  # type: ignore[no-untyped-def]
    """A server that quotes the caller's Authorization header back in its error body."""

    def react(request: Request) -> KubernetesError:
        return KubernetesError(
            status=status,
            reason="Echo",
            message=f"request had {request.headers.get('Authorization')}",
        )

    return react


def assert_clean(exc: BaseException) -> None:
    assert TOKEN not in str(exc)
    assert TOKEN not in repr(exc)
    assert TOKEN not in getattr(exc, "message", "")
    assert TOKEN not in str(exc.args)
    # Nothing chained that a traceback printer could render.
    assert exc.__cause__ is None
    assert exc.__context__ is None


async def test_the_library_exception_itself_would_leak_the_echo(
    cluster: KubernetesEmulator,
) -> None:
    cluster[f"get {DEPLOYMENT_PATH}"] << echo_authorization(500)
    configuration = Configuration(host=str(cluster.url))
    configuration.api_key["BearerToken"] = TOKEN
    configuration.api_key_prefix["BearerToken"] = "Bearer"
    async with ApiClient(configuration) as api:
        with pytest.raises(ApiException) as caught:
            await api.call_api(DEPLOYMENT_PATH, "GET", auth_settings=["BearerToken"])
    # Why the adapter builds its own messages: the library's string carries the body.
    assert TOKEN in str(caught.value)


@pytest.mark.parametrize("status", [401, 403, 404, 409, 429, 500, 503])
async def test_errors_never_carry_the_token(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_deployment(cluster, make_deployment())
    seed_replica_sets(cluster, make_replica_set(2, "a:2"), make_replica_set(3, "a:3"))
    cluster[f"patch {DEPLOYMENT_PATH}"] << echo_authorization(status)
    cluster["get /apis/apps/v1"] << echo_authorization(status)

    for action, params in [
        ("restart_deployment", {}),
        ("scale_deployment", {"replicas_delta": "1", "max_replicas": "5"}),
        ("rollback_deployment", {}),
    ]:
        with pytest.raises(AdapterError) as caught:
            await remediator.execute(action_request(action, params, key=f"inc-42:{action}"))
        assert f"failed: HTTP {status} " in caught.value.message
        assert_clean(caught.value)
    with pytest.raises(NotReady) as not_ready:
        await remediator.probe()
    assert_clean(not_ready.value)
    assert TOKEN not in not_ready.value.reason

    # The requests did carry the token, so a leak was possible.
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in cluster)
    assert TOKEN not in caplog.text


async def test_successful_calls_log_without_the_token(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_deployment(cluster, make_deployment())
    result = await remediator.execute(action_request("restart_deployment"))
    assert any("restarted deployment prod/payments" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(result)
    assert TOKEN not in repr(remediator.__dict__)


async def test_the_library_response_body_dump_is_dropped(
    remediator: KubernetesRemediator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    library_logger = logging.getLogger("kubernetes_asyncio.client.rest")
    library_logger.debug("response body: %s", f"env SECRET={TOKEN}")
    library_logger.debug("connection pool reused")
    assert [r.getMessage() for r in caplog.records] == ["connection pool reused"]


async def test_unloadable_credentials_say_so_without_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "kubeconfig"
    broken.write_text(f"users: [{{name: x, user: {{token: {TOKEN}}}}}]\ncurrent-context: nope\n")
    config = KubernetesConfig.model_validate(
        {"credentials": {"kind": "kubeconfig", "path": str(broken)}}
    )
    with pytest.raises(NotReady) as caught:
        await setup(config)
    assert "could not load kubeconfig credentials" in caught.value.reason
    assert_clean(caught.value)


async def test_a_token_config_never_shows_its_token() -> None:
    config = KubernetesConfig(
        credentials=TokenCredentials(host="https://k8s.local", bearer_token=TOKEN)
    )
    assert TOKEN not in repr(config)
    assert TOKEN not in repr(config.credentials)
