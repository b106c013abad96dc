"""What goes over the wire to Unleash, and what the local server refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr, ValidationError

from bot.ports.adapters import AdapterError, NotReady
from integrations.unleash import UnleashClient, UnleashConfig, UnleashFlagRemediator, setup
from tests.featureflags.conftest import UNLEASH_TOKEN, flag_request
from tests.support.flag_servers import UnleashServer

FEATURE = "/api/admin/projects/default/features/new-checkout"


def _config(server: UnleashServer, **overrides: object) -> UnleashConfig:
    fields: dict[str, object] = {"base_url": server.base_url, "token": SecretStr(server.token)}
    return UnleashConfig.model_validate({**fields, **overrides})


async def test_toggle_reads_then_posts_to_the_environment_off_route_with_the_raw_token(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    unleash_server.add_flag("new-checkout", production=True)

    await setup(_config(unleash_server), http).execute(flag_request())

    calls = [(r.method, r.path) for r in unleash_server.requests]
    assert calls == [
        ("GET", FEATURE),
        ("POST", f"{FEATURE}/environments/production/off"),
    ]
    assert {r.headers["Authorization"] for r in unleash_server.requests} == {UNLEASH_TOKEN}


async def test_enable_posts_to_the_on_route(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    unleash_server.add_flag("new-checkout")

    await setup(_config(unleash_server), http).execute(flag_request("enable_feature_flag"))

    assert unleash_server.writes[0].path == f"{FEATURE}/environments/production/on"


async def test_the_server_refuses_a_bearer_token_as_unleash_does(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        unleash_server.base_url + "/api/admin/environments",
        headers={"Authorization": f"Bearer {UNLEASH_TOKEN}"},
    ) as response:
        body = await response.json()

    assert response.status == 401
    assert body["name"] == "AuthenticationRequired"
    assert {"id", "message", "details", "path", "type"} <= set(body)


async def test_a_project_of_our_own_is_used_in_every_path(http: aiohttp.ClientSession) -> None:
    server = UnleashServer(token=UNLEASH_TOKEN, project="payments", environments=["production"])
    await server.start()
    try:
        server.add_flag("new-checkout", production=True)
        await setup(_config(server, project="payments"), http).execute(flag_request())
        ours = list(server.requests)
        with pytest.raises(AdapterError) as wrong_project:
            await setup(_config(server), http).describe(flag_request())
    finally:
        await server.stop()

    assert server.flags["new-checkout"]["production"] is False
    assert len(ours) == 2
    assert all(r.path.startswith("/api/admin/projects/payments/") for r in ours)
    assert wrong_project.value.code == "not_found"


async def test_errors_name_the_unleash_error_class_but_not_its_free_text(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(AdapterError) as caught:
        await setup(_config(unleash_server), http).describe(flag_request(flag="gone"))

    assert caught.value.message == "Unleash read flag gone: HTTP 404 NotFoundError"


async def test_probe_reports_a_mapped_environment_the_server_lacks(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    remediator = setup(_config(unleash_server, environments={"production": "prod-eu"}), http)

    with pytest.raises(NotReady) as caught:
        await remediator.probe()

    assert caught.value.reason == "Unleash has no environment prod-eu"


async def test_a_rate_limit_answer_with_retry_after_says_how_long_to_wait(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    unleash_server.add_flag("new-checkout", production=True)
    unleash_server.inject(429, method="POST", headers={"Retry-After": "7"})

    with pytest.raises(AdapterError) as caught:
        await setup(_config(unleash_server), http).execute(flag_request())

    assert caught.value.retryable is True
    assert caught.value.retry_after == 7.0
    assert caught.value.message.endswith("HTTP 429 RateLimitError; retry after 7s")


async def test_a_retry_after_date_is_read_on_the_clients_clock(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    unleash_server.add_flag("new-checkout", production=True)
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    unleash_server.inject(503, method="POST", headers={"Retry-After": date})
    now = datetime(2026, 10, 21, 7, 26, 30, tzinfo=UTC)
    client = UnleashClient(_config(unleash_server), http, clock=lambda: now)

    with pytest.raises(AdapterError) as caught:
        await UnleashFlagRemediator(client, _config(unleash_server)).execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("server_error", True)
    assert caught.value.retry_after == 90.0


async def test_a_refusal_carries_no_wait_whatever_the_headers_say(
    unleash_server: UnleashServer, http: aiohttp.ClientSession
) -> None:
    unleash_server.add_flag("new-checkout", production=True)
    unleash_server.inject(403, method="POST", headers={"Retry-After": "7"})

    with pytest.raises(AdapterError) as caught:
        await setup(_config(unleash_server), http).execute(flag_request())

    assert (caught.value.retryable, caught.value.retry_after) == (False, None)
    assert "retry after" not in caught.value.message


async def test_a_non_json_answer_is_a_bad_response(http: aiohttp.ClientSession) -> None:
    async def login_page(request: web.Request) -> web.Response:
        return web.Response(text="<html>sign in</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/api/admin/environments", login_page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        port = runner.addresses[0][1]
        config = UnleashConfig(base_url=f"http://127.0.0.1:{port}", token=SecretStr("t"))
        with pytest.raises(NotReady) as caught:
            await setup(config, http).probe()
    finally:
        await runner.cleanup()

    assert "not JSON" in caught.value.reason


@pytest.mark.parametrize(
    "base_url",
    ["ftp://unleash.example.com", "https://user:pw@unleash.example.com", "https://u.example?k=1"],
)
def test_config_refuses_base_urls_that_are_not_plain_http_origins(base_url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        UnleashConfig(base_url=base_url, token=SecretStr("t"))
    assert base_url not in str(caught.value)


def test_config_refuses_environment_names_that_are_not_url_safe() -> None:
    with pytest.raises(ValidationError):
        UnleashConfig(
            base_url="https://unleash.example.com",
            token=SecretStr("t"),
            environments={"production": "prod/eu"},
        )
