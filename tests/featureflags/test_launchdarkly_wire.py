"""What goes over the wire to LaunchDarkly, and what the local server refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import SecretStr

from bot.ports.adapters import AdapterError
from integrations.launchdarkly import (
    LaunchDarklyClient,
    LaunchDarklyConfig,
    LaunchDarklyFlagRemediator,
    setup,
)
from integrations.launchdarkly.client import SEMANTIC_PATCH, rate_limit_wait
from tests.featureflags.conftest import LAUNCHDARKLY_TOKEN, flag_request
from tests.support.flag_servers import LaunchDarklyServer

FLAG = "/api/v2/flags/default/new-checkout"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _config(server: LaunchDarklyServer) -> LaunchDarklyConfig:
    return LaunchDarklyConfig(base_url=server.base_url, token=SecretStr(server.token))


async def test_toggle_is_a_semantic_patch_with_the_exact_content_type_and_body(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)

    await setup(_config(launchdarkly_server), http).execute(flag_request())

    read, patch = launchdarkly_server.requests
    assert (read.method, read.path, read.query) == ("GET", FLAG, {"env": "production"})
    assert (patch.method, patch.path) == ("PATCH", FLAG)
    assert patch.headers["Content-Type"] == SEMANTIC_PATCH
    assert json.loads(patch.body) == {
        "environmentKey": "production",
        "comment": "smokejumper disable_feature_flag for incident inc-42 "
        "(idempotency key inc-42:disable_feature_flag:new-checkout)",
        "instructions": [{"kind": "turnFlagOff"}],
    }
    for request in (read, patch):
        assert request.headers["Authorization"] == LAUNCHDARKLY_TOKEN
        assert request.headers["LD-API-Version"] == "20240415"
    assert launchdarkly_server.versions["new-checkout"] == 2


async def test_enable_sends_turn_flag_on_and_rollback_says_it_is_a_rollback(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    launchdarkly_server.add_flag("new-checkout")
    remediator = setup(_config(launchdarkly_server), http)
    request = flag_request("enable_feature_flag")

    result = await remediator.execute(request)
    await remediator.rollback(request, result)

    kinds = [json.loads(w.body)["instructions"] for w in launchdarkly_server.writes]
    assert kinds == [[{"kind": "turnFlagOn"}], [{"kind": "turnFlagOff"}]]
    assert launchdarkly_server.comments[1].startswith(
        "smokejumper rollback of enable_feature_flag for incident inc-42"
    )


async def test_the_server_reads_a_plain_json_body_as_json_patch_and_refuses_it(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)
    semantic = {"environmentKey": "production", "instructions": [{"kind": "turnFlagOff"}]}
    headers = {"Authorization": LAUNCHDARKLY_TOKEN, "Content-Type": "application/json"}

    async with http.patch(
        launchdarkly_server.base_url + FLAG, data=json.dumps(semantic), headers=headers
    ) as response:
        body = await response.json()

    assert response.status == 400
    assert body["code"] == "invalid_request"
    assert launchdarkly_server.flags["new-checkout"]["production"] is True


async def test_the_server_applies_a_real_json_patch_sent_as_plain_json(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)
    patch = [{"op": "replace", "path": "/environments/production/on", "value": False}]
    headers = {"Authorization": LAUNCHDARKLY_TOKEN, "Content-Type": "application/json"}

    async with http.patch(
        launchdarkly_server.base_url + FLAG, data=json.dumps(patch), headers=headers
    ) as response:
        body = await response.json()

    assert response.status == 200
    assert body["environments"]["production"]["on"] is False


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"instructions": [{"kind": "turnFlagOff"}]}, 400),  # no environmentKey
        ({"environmentKey": "production", "instructions": []}, 400),
        ({"environmentKey": "production", "instructions": [{"kind": "deleteFlag"}]}, 400),
        ({"environmentKey": "qa", "instructions": [{"kind": "turnFlagOff"}]}, 404),
    ],
)
async def test_the_server_refuses_malformed_semantic_patches(
    launchdarkly_server: LaunchDarklyServer,
    http: aiohttp.ClientSession,
    patch: dict[str, object],
    status: int,
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)
    headers = {"Authorization": LAUNCHDARKLY_TOKEN, "Content-Type": SEMANTIC_PATCH}

    async with http.patch(
        launchdarkly_server.base_url + FLAG, data=json.dumps(patch), headers=headers
    ) as response:
        body = await response.json()

    assert response.status == status
    assert set(body) == {"code", "message", "id"}
    assert launchdarkly_server.flags["new-checkout"]["production"] is True


async def test_a_route_rate_limit_is_retryable_and_says_when_the_window_resets(
    http: aiohttp.ClientSession,
) -> None:
    server = LaunchDarklyServer(token=LAUNCHDARKLY_TOKEN, wall_clock=lambda: NOW)
    await server.start()
    try:
        server.add_flag("new-checkout", production=True)
        server.inject(429, method="PATCH", headers=server.rate_limit_headers(wait_seconds=3))
        client = LaunchDarklyClient(
            _config(server), http, clock=lambda: datetime.fromtimestamp(NOW, UTC)
        )
        remediator = LaunchDarklyFlagRemediator(client, _config(server))
        with pytest.raises(AdapterError) as caught:
            await remediator.execute(flag_request())
    finally:
        await server.stop()

    assert (caught.value.code, caught.value.retryable) == ("rate_limited", True)
    assert caught.value.retry_after == 3.0
    assert caught.value.message == (
        "LaunchDarkly turn flag new-checkout off in production: "
        "HTTP 429 rate_limited; retry after 3s"
    )
    assert server.flags["new-checkout"]["production"] is True


def test_retry_after_prefers_the_retry_after_header_to_the_reset_time() -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    reset = str(int((NOW + 9) * 1000))

    assert rate_limit_wait({"Retry-After": "2", "X-Ratelimit-Reset": reset}, now) == 2
    assert rate_limit_wait({"X-Ratelimit-Reset": reset}, now) == 9
    assert rate_limit_wait({"X-Ratelimit-Reset": str(int((NOW - 5) * 1000))}, now) == 0
    # Retry-After is read as every integration reads it: an HTTP date counts too.
    assert rate_limit_wait({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}, now) == 30
    assert rate_limit_wait({"Retry-After": "soon", "X-Ratelimit-Reset": reset}, now) == 9
    assert rate_limit_wait({}, now) is None


async def test_a_conflict_is_retryable(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)
    launchdarkly_server.inject(409, method="PATCH")

    with pytest.raises(AdapterError) as caught:
        await setup(_config(launchdarkly_server), http).execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("conflict", True)


@pytest.mark.parametrize(("status", "code"), [(403, "forbidden"), (400, "bad_request")])
async def test_refusals_that_need_a_fix_are_not_retryable(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession, status: int, code: str
) -> None:
    launchdarkly_server.add_flag("new-checkout", production=True)
    launchdarkly_server.inject(status, method="PATCH")

    with pytest.raises(AdapterError) as caught:
        await setup(_config(launchdarkly_server), http).execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == (code, False)


async def test_probe_calls_caller_identity(
    launchdarkly_server: LaunchDarklyServer, http: aiohttp.ClientSession
) -> None:
    await setup(_config(launchdarkly_server), http).probe()

    assert [(r.method, r.path) for r in launchdarkly_server.requests] == [
        ("GET", "/api/v2/caller-identity")
    ]
