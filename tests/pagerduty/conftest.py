"""A local HTTPS PagerDuty and pagers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import VirtualTime
from integrations.common.tls import TestTls, make_test_tls
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager import PagerDutyPager, build_pager
from integrations.pagerduty.pager_config import PagerDutyPagerConfig

ROUTING_KEY = "R0ut1ngKeyS3cretAbCdEf0123456789"  # 32 characters, as PagerDuty issues them
API_TOKEN = "u+Tok3nS3cret-xyzzy"
FROM_EMAIL = "smokejumper-bot@example.com"

MakePager = Callable[..., Awaitable[PagerDutyPager]]


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TestTls:
    return make_test_tls(tmp_path_factory.mktemp("pagerduty-tls"))


@pytest.fixture
async def pd_server(tls: TestTls) -> AsyncIterator[PagerDutyServer]:
    server = PagerDutyServer(
        tls, routing_keys={ROUTING_KEY}, api_token=API_TOKEN, users={FROM_EMAIL}
    )
    await server.start()
    yield server
    await server.stop()


# The pager's clock, far from the machine's: a Retry-After date is read against it alone.
PAGER_NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def pager_time() -> VirtualTime:
    """The clock the pagers read Retry-After dates against."""
    return VirtualTime(PAGER_NOW)


def pager_config(server: PagerDutyServer, ca_file: Path | None, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "routing_key": ROUTING_KEY,
        "api_token": API_TOKEN,
        "from_email": FROM_EMAIL,
        "events_url": server.url,
        "api_url": server.url,
        "ca_bundle": ca_file,
        "timeout": 5.0,
    }
    settings.update(overrides)
    return settings


@pytest.fixture
async def make_pager(
    pd_server: PagerDutyServer, tls: TestTls, pager_time: VirtualTime
) -> AsyncIterator[MakePager]:
    built: list[PagerDutyPager] = []

    async def make(**overrides: Any) -> PagerDutyPager:
        config = PagerDutyPagerConfig(**pager_config(pd_server, tls.ca_file, **overrides))
        pager = build_pager(config, clock=pager_time)
        built.append(pager)
        return pager

    yield make
    for pager in built:
        await pager.aclose()


@pytest.fixture
async def pager(make_pager: MakePager) -> PagerDutyPager:
    return await make_pager()
