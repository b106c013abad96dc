"""Both flag vendors behind one fixture, each against its local API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr

from bot.ports.remediation import ActionRequest
from integrations.launchdarkly import LaunchDarklyConfig, LaunchDarklyFlagRemediator
from integrations.launchdarkly import setup as setup_launchdarkly
from integrations.unleash import UnleashConfig, UnleashFlagRemediator
from integrations.unleash import setup as setup_unleash
from tests.support.flag_servers import LaunchDarklyServer, UnleashServer

UNLEASH_TOKEN = "*:*.unleash-admin-7f3a9c1d2e"
LAUNCHDARKLY_TOKEN = "api-5d1c2b3a-ld-access-token-91c2"

FlagRemediator = UnleashFlagRemediator | LaunchDarklyFlagRemediator


def flag_request(
    action: str = "disable_feature_flag",
    flag: str = "new-checkout",
    environment: str = "production",
) -> ActionRequest:
    return ActionRequest(
        action=action,
        service="checkout",
        environment=environment,
        params={"flag": flag},
        idempotency_key=f"inc-42:{action}:{flag}",
        incident_id="inc-42",
    )


@dataclass
class Vendor:
    """One vendor's server plus a way to build its remediator with any credentials."""

    name: str
    server: UnleashServer | LaunchDarklyServer
    http: aiohttp.ClientSession
    # The vendor environment our "staging" maps to.
    staging: str

    def remediator(
        self, *, token: str | None = None, base_url: str | None = None, timeout: float = 10.0
    ) -> FlagRemediator:
        fields = {
            "base_url": base_url or self.server.base_url,
            "token": SecretStr(token or self.server.token),
            "environments": {"staging": self.staging},
            "timeout_seconds": timeout,
        }
        if self.name == "unleash":
            return setup_unleash(UnleashConfig.model_validate(fields), self.http)
        return setup_launchdarkly(LaunchDarklyConfig.model_validate(fields), self.http)

    def state(self, flag: str, environment: str) -> bool:
        return self.server.flags[flag][environment]

    @property
    def write_method(self) -> str:
        return "POST" if self.name == "unleash" else "PATCH"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def unleash_server() -> AsyncIterator[UnleashServer]:
    server = UnleashServer(token=UNLEASH_TOKEN, environments=("development", "production"))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def launchdarkly_server() -> AsyncIterator[LaunchDarklyServer]:
    server = LaunchDarklyServer(token=LAUNCHDARKLY_TOKEN, environments=("test", "production"))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["unleash", "launchdarkly"])
def vendor(
    request: pytest.FixtureRequest,
    http: aiohttp.ClientSession,
    unleash_server: UnleashServer,
    launchdarkly_server: LaunchDarklyServer,
) -> Vendor:
    if request.param == "unleash":
        return Vendor("unleash", unleash_server, http, staging="development")
    return Vendor("launchdarkly", launchdarkly_server, http, staging="test")
